import { secretFingerprint } from "@/lib/crypto/fingerprint";
import type { DbOrTx } from "@/db/client";
import { apiKeys, type ApiKey, type Environment } from "@/db/schema";
import { findApiKey, listApiKeyRows, revokeApiKeyRow, setApiKeyExpiry } from "@/db/queries/api-keys";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { generateApiKey } from "@/lib/crypto/tokens";
import { AppError, notFound } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import type { ApiKeyOut } from "@/lib/schemas/api-keys";

export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

export function apiKeyStatus(k: ApiKey, now = new Date()): ApiKeyOut["status"] {
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && k.expiresAt <= now) return "expired";
  return "active";
}

export function toApiKeyOut(k: ApiKey): ApiKeyOut {
  return {
    id: k.id,
    object: "api_key",
    name: k.name,
    environment_id: k.environmentId,
    mode: k.mode,
    prefix: k.displayPrefix,
    status: apiKeyStatus(k),
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    expires_at: k.expiresAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

const modeOf = (env: Pick<Environment, "kind">) => (env.kind === "production" ? "live" : "test");

export async function createApiKey(
  db: DbOrTx,
  input: { environment: Pick<Environment, "id" | "organizationId" | "kind">; name: string; expiresAt?: Date | null } & Caller,
) {
  if (input.expiresAt && input.expiresAt <= new Date()) {
    throw new AppError({ code: "validation_error", message: "expires_at must be in the future.", issues: [{ path: "expires_at", message: "must be in the future" }] });
  }
  const generated = generateApiKey(modeOf(input.environment));
  const id = createId("apiKey");
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(apiKeys)
      .values({
        id,
        environmentId: input.environment.id,
        name: input.name,
        mode: generated.mode,
        displayPrefix: generated.displayPrefix,
        secretHash: generated.hash,
        createdBy: `${input.actor.type}:${input.actor.id}`,
        expiresAt: input.expiresAt ?? null,
      })
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "api_key.created",
      target: { type: "api_key", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: input.name, key_fingerprint: secretFingerprint(generated.hash), expires_at: input.expiresAt?.toISOString() ?? null },
    });
    return created!;
  });
  return { key: row, secret: generated.secret };
}

export async function listApiKeys(
  db: DbOrTx,
  input: { environmentId: string; limit: number; cursor?: string | undefined; includeRevoked: boolean },
) {
  const rows = await listApiKeyRows(db, {
    environmentId: input.environmentId,
    limit: input.limit,
    beforeId: decodeCursor(input.cursor),
    includeRevoked: input.includeRevoked,
  });
  return page(rows, input.limit);
}

export async function getApiKey(db: DbOrTx, environmentId: string, id: string) {
  const row = await findApiKey(db, environmentId, id);
  if (!row) throw notFound("API key");
  return row;
}

/** Idempotent: revoking a revoked key returns it unchanged (and audits nothing new). */
export async function revokeApiKey(
  db: DbOrTx,
  input: { environment: Pick<Environment, "id" | "organizationId">; id: string } & Caller,
) {
  return db.transaction(async (tx) => {
    const revoked = await revokeApiKeyRow(tx, input.environment.id, input.id, new Date());
    if (!revoked) return getApiKey(tx, input.environment.id, input.id);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "api_key.revoked",
      target: { type: "api_key", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: revoked.name, key_fingerprint: secretFingerprint(revoked.secretHash) },
    });
    return revoked;
  });
}

/** A new key with the same name; the old one keeps working for `overlapSeconds`, then expires. */
export async function rotateApiKey(
  db: DbOrTx,
  input: { environment: Pick<Environment, "id" | "organizationId" | "kind">; id: string; overlapSeconds: number } & Caller,
) {
  return db.transaction(async (tx) => {
    const old = await getApiKey(tx, input.environment.id, input.id);
    if (apiKeyStatus(old) !== "active") {
      throw new AppError({ code: "conflict", message: "Only an active key can be rotated." });
    }
    const created = await createApiKey(tx, {
      environment: input.environment,
      name: old.name,
      expiresAt: old.expiresAt,
      actor: input.actor,
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
    });
    const until = new Date(Date.now() + input.overlapSeconds * 1000);
    if (input.overlapSeconds === 0) await revokeApiKeyRow(tx, input.environment.id, old.id, until);
    else await setApiKeyExpiry(tx, input.environment.id, old.id, until);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "api_key.rotated",
      target: { type: "api_key", id: old.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { replaced_by: created.key.id, old_key_valid_until: until.toISOString() },
    });
    return created;
  });
}
