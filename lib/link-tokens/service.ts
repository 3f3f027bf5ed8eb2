import type { DbOrTx } from "@/db/client";
import { linkTokens, type Environment } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { generateToken } from "@/lib/crypto/tokens";
import { createId } from "@/lib/ids";

export const LINK_TOKEN_TTL_MS = 30 * 60 * 1000;

/** The hosted Link page for a token. The token travels in the fragment, so it never reaches server logs or Referer headers. */
export const linkUrl = (baseUrl: string, token: string) => `${baseUrl.replace(/\/$/, "")}/link#link_token=${token}`;

/**
 * A short-lived (30 min), single-use token that lets one registered user connect accounts
 * through Link. Stored as a hash; shown once.
 */
export async function createLinkToken(
  db: DbOrTx,
  input: {
    environment: Pick<Environment, "id" | "organizationId">;
    registeredUserId: string;
    connectors?: string[] | null;
    redirectUrl?: string | null;
    baseUrl: string;
    actor: Actor;
    requestId?: string | null;
  },
) {
  const { token, hash } = generateToken("lk_link");
  const id = createId("linkToken");
  const expiresAt = new Date(Date.now() + LINK_TOKEN_TTL_MS);
  await db.transaction(async (tx) => {
    await tx.insert(linkTokens).values({
      id,
      environmentId: input.environment.id,
      registeredUserId: input.registeredUserId,
      connectors: input.connectors ?? null,
      redirectUrl: input.redirectUrl ?? null,
      tokenHash: hash,
      expiresAt,
    });
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "link_token.created",
      target: { type: "link_token", id },
      requestId: input.requestId ?? null,
      metadata: { registered_user_id: input.registeredUserId, connectors: input.connectors ?? null },
    });
  });
  return { id, link_token: token, url: linkUrl(input.baseUrl, token), expires_at: expiresAt.toISOString() };
}
