import type { DbOrTx } from "@/db/client";
import type { Environment, MagicLink } from "@/db/schema";
import {
  activeConnectorsOfUsers,
  deleteMagicSession,
  deleteMagicSessionsOfLink,
  findMagicLink,
  findMagicLinkByTokenHash,
  findMagicSessionByHash,
  insertMagicLink,
  insertMagicSession,
  listMagicLinkRows,
  markMagicLinkRevoked,
  organizationNameOf,
  touchMagicLink,
} from "@/db/queries/magic-links";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { getConnector } from "@/lib/connectors/catalog";
import { accountNamer } from "@/lib/mcp-servers/oauth";
import { deliverEmail, type EmailDelivery } from "@/lib/email/deliver";
import { renderMagicLinkEmail } from "@/lib/email/magic-link-template";
import { AppError, notFound, validationError } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import { magicLinkStatus, pendingConnectors } from "@/lib/magic-links/status";
import { generateMagicToken, generateSessionToken, magicLinkUrl, magicTokenHash, sameHash, sessionTokenHash } from "@/lib/magic-links/token";
import { getRegisteredUser } from "@/lib/registered-users/service";
import type { Runtime } from "@/lib/runtime";
import { MAGIC_LINK_DEFAULT_TTL_SECONDS, type MagicLinkOut } from "@/lib/schemas/magic-links";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring"> & { env: Pick<Runtime["env"], "SMTP_URL" | "LATCHKEY_EMAIL_FROM"> };
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

/** How long a page opened with a magic link stays signed in (never past the link's own expiry). */
export const MAGIC_SESSION_TTL_MS = 30 * 60 * 1000;

/** The one answer for a token that is unknown, malformed, expired, revoked or completed: no oracle. */
export const LINK_EXPIRED_MESSAGE = "This link has expired or is no longer valid. Ask for a new one.";
export const linkExpired = () => new AppError({ code: "unauthorized", message: LINK_EXPIRED_MESSAGE });

/** Branding without the Link page's helper: the organization, plus the environment's name outside production. */
export function brandName(organizationName: string, env: Pick<Environment, "kind" | "name">): string {
  return env.kind === "production" ? organizationName : `${organizationName} (${env.name})`;
}

export function toMagicLinkOut(link: MagicLink, activeConnectors: ReadonlySet<string>, now = new Date()): MagicLinkOut {
  return {
    id: link.id,
    object: "magic_link",
    environment_id: link.environmentId,
    registered_user_id: link.registeredUserId,
    connectors: link.connectors ?? null,
    status: magicLinkStatus(link, activeConnectors, now),
    pending_connectors: pendingConnectors(link, activeConnectors),
    expires_at: link.expiresAt.toISOString(),
    revoked_at: link.revokedAt?.toISOString() ?? null,
    last_used_at: link.lastUsedAt?.toISOString() ?? null,
    created_at: link.createdAt.toISOString(),
  };
}

async function present(db: DbOrTx, environmentId: string, links: MagicLink[]): Promise<MagicLinkOut[]> {
  const active = await activeConnectorsOfUsers(db, environmentId, links.filter((l) => l.connectors?.length).map((l) => l.registeredUserId));
  const now = new Date();
  return links.map((l) => toMagicLinkOut(l, active.get(l.registeredUserId) ?? new Set(), now));
}

export async function createMagicLink(
  rt: Rt,
  input: {
    environment: Pick<Environment, "id" | "organizationId" | "kind" | "name">;
    registeredUserId: string;
    connectors?: string[] | null | undefined;
    expiresInSeconds?: number | undefined;
    sendEmail?: boolean | undefined;
    baseUrl: string;
  } & Caller,
): Promise<{ link: MagicLinkOut; url: string; email: EmailDelivery | null }> {
  const user = await getRegisteredUser(rt.db, input.environment.id, input.registeredUserId);
  const connectors = input.connectors?.length ? input.connectors : null;
  // A registered MCP server with authorization code is named by its id (srv_…), as in link tokens.
  const names = await accountNamer(rt.db, input.environment.id, connectors ?? []);
  const unknown = (connectors ?? []).map((c, i) => [c, i] as const).filter(([c]) => !getConnector(c) && !names.isServer(c));
  if (unknown.length) throw validationError(unknown.map(([c, i]) => ({ path: `connectors.${i}`, message: `unknown connector "${c.slice(0, 64)}"` })), "Unknown connector(s).");
  if (input.sendEmail && !user.email) {
    throw validationError(
      [{ path: "send_email", message: "the registered user has no email address" }],
      "The registered user has no email address: set one (PATCH /api/v1/registered-users/{id}) or deliver the URL yourself.",
    );
  }
  const { token, hash } = generateMagicToken();
  const id = createId("magicLink");
  const expiresAt = new Date(Date.now() + (input.expiresInSeconds ?? MAGIC_LINK_DEFAULT_TTL_SECONDS) * 1000);
  const link = await rt.db.transaction(async (tx) => {
    const row = await insertMagicLink(tx, { id, environmentId: input.environment.id, registeredUserId: user.id, connectors, tokenHash: hash, expiresAt });
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "magic_link.created",
      target: { type: "magic_link", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { registered_user_id: user.id, connectors, expires_at: expiresAt.toISOString(), send_email: Boolean(input.sendEmail) },
    });
    return row;
  });
  const url = magicLinkUrl(input.baseUrl, token);
  let email: EmailDelivery | null = null;
  if (input.sendEmail && user.email) {
    const orgName = (await organizationNameOf(rt.db, input.environment.id)) ?? "Latchkey";
    const rendered = renderMagicLinkEmail({
      brand: brandName(orgName, input.environment),
      connectorNames: (connectors ?? []).map(names.name),
      url,
      expiresAt,
    });
    email = await deliverEmail(rt, { environment: input.environment, to: user.email, email: rendered, magicLinkId: id });
  }
  const [out] = await present(rt.db, input.environment.id, [link]);
  return { link: out!, url, email };
}

export async function getMagicLink(db: DbOrTx, environmentId: string, id: string): Promise<MagicLinkOut> {
  const link = await findMagicLink(db, environmentId, id);
  if (!link) throw notFound("Magic link");
  return (await present(db, environmentId, [link]))[0]!;
}

export async function listMagicLinks(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined; registeredUserId?: string | undefined }) {
  const rows = await listMagicLinkRows(db, { environmentId: input.environmentId, limit: input.limit, beforeId: decodeCursor(input.cursor), registeredUserId: input.registeredUserId });
  const p = page(rows, input.limit);
  return { data: await present(db, input.environmentId, p.data), has_more: p.hasMore, next_cursor: p.nextCursor };
}

/** Idempotent. Sessions opened with the link end in the same transaction, so nothing it opened outlives it. */
export async function revokeMagicLink(db: DbOrTx, input: { environment: Env; id: string } & Caller): Promise<MagicLinkOut> {
  await db.transaction(async (tx) => {
    const link = await findMagicLink(tx, input.environment.id, input.id);
    if (!link) throw notFound("Magic link");
    const revoked = await markMagicLinkRevoked(tx, input.environment.id, input.id);
    if (!revoked) return;
    await deleteMagicSessionsOfLink(tx, input.environment.id, input.id);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "magic_link.revoked",
      target: { type: "magic_link", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { registered_user_id: link.registeredUserId },
    });
  });
  return getMagicLink(db, input.environment.id, input.id);
}

// ---------------------------------------------------------------- the end user's side

/**
 * Redeems a magic-link token for a browser session (the page POSTs the token from its URL
 * fragment). Only an `active` link opens one; every other case gets the same error. Audited as
 * a link redemption by the end user.
 */
export async function openMagicLink(db: DbOrTx, input: { token: unknown; requestId?: string | null; ip?: string | null }) {
  const hash = magicTokenHash(input.token);
  if (!hash) throw linkExpired();
  const found = await findMagicLinkByTokenHash(db, hash);
  if (!found || !sameHash(found.link.tokenHash, hash)) throw linkExpired();
  const { link, environment } = found;
  const now = new Date();
  const active = link.connectors?.length ? ((await activeConnectorsOfUsers(db, environment.id, [link.registeredUserId])).get(link.registeredUserId) ?? new Set<string>()) : new Set<string>();
  if (magicLinkStatus(link, active, now) !== "active") throw linkExpired();

  const { token: sessionToken, hash: sessionHash } = generateSessionToken();
  const expiresAt = new Date(Math.min(now.getTime() + MAGIC_SESSION_TTL_MS, link.expiresAt.getTime()));
  const sessionId = createId("magicLinkSession");
  await db.transaction(async (tx) => {
    await deleteMagicSessionsOfLink(tx, environment.id, link.id, { expiredOnly: now });
    await insertMagicSession(tx, { id: sessionId, environmentId: environment.id, magicLinkId: link.id, sessionHash, expiresAt });
    await touchMagicLink(tx, environment.id, link.id);
    await recordAudit(tx, {
      organizationId: environment.organizationId,
      environmentId: environment.id,
      actor: { type: "end_user", id: link.registeredUserId },
      action: "magic_link.opened",
      target: { type: "magic_link", id: link.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { session_id: sessionId },
    });
  });
  return { sessionToken, expiresAt };
}

export type MagicSession = NonNullable<Awaited<ReturnType<typeof findMagicSessionByHash>>>;

/**
 * The session behind a cookie, or null. Checked against the link on every request, so a
 * revoked or expired link ends its pages at once. A link that became `completed` keeps the
 * page it opened for the session's short life: the user sees the connection they just made.
 */
export async function resolveMagicSession(db: DbOrTx, rawSessionToken: unknown, now = new Date()): Promise<MagicSession | null> {
  const hash = sessionTokenHash(rawSessionToken);
  if (!hash) return null;
  const s = await findMagicSessionByHash(db, hash, now);
  if (!s || !sameHash(s.session.sessionHash, hash)) return null;
  if (s.link.revokedAt || s.link.expiresAt.getTime() <= now.getTime()) return null;
  return s;
}

export async function endMagicSession(db: DbOrTx, s: MagicSession) {
  await deleteMagicSession(db, s.environment.id, s.session.id);
}
