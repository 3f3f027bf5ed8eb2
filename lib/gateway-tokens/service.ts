import { secretFingerprint } from "@/lib/crypto/fingerprint";
import type { DbOrTx } from "@/db/client";
import { gatewayTokens, registeredUserTokens, type Environment, type GatewayToken, type RegisteredUserToken } from "@/db/schema";
import {
  findGatewayToken,
  findUserToken,
  listGatewayTokenRows,
  listUserTokenRows,
  revokeGatewayTokenRow,
  revokeUserTokenRow,
} from "@/db/queries/gateway-tokens";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { generateToken } from "@/lib/crypto/tokens";
import { AppError, notFound } from "@/lib/errors";
import { displayPrefix, SERVICE_TOKEN_PREFIX, USER_TOKEN_PREFIX } from "@/lib/gateway-tokens/parse";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import { getRegisteredUser } from "@/lib/registered-users/service";
import type { GatewayTokenOut, UserTokenOut } from "@/lib/schemas/gateway-tokens";

type Env = Pick<Environment, "id" | "organizationId">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

export function tokenStatus(t: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): "active" | "expired" | "revoked" {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && t.expiresAt <= now) return "expired";
  return "active";
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

// ---------------------------------------------------------------- service tokens

export function toGatewayTokenOut(t: GatewayToken): GatewayTokenOut {
  return {
    id: t.id,
    object: "gateway_token",
    environment_id: t.environmentId,
    name: t.name,
    prefix: t.displayPrefix,
    status: tokenStatus(t),
    created_at: t.createdAt.toISOString(),
    last_used_at: iso(t.lastUsedAt),
    expires_at: iso(t.expiresAt),
    revoked_at: iso(t.revokedAt),
  };
}

export async function createGatewayToken(db: DbOrTx, input: { environment: Env; name: string; expiresAt?: Date | null } & Caller) {
  if (input.expiresAt && input.expiresAt <= new Date()) {
    throw new AppError({ code: "validation_error", message: "expires_at must be in the future.", issues: [{ path: "expires_at", message: "must be in the future" }] });
  }
  const { token, hash } = generateToken(SERVICE_TOKEN_PREFIX);
  const id = createId("gatewayToken");
  const prefix = displayPrefix(token);
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(gatewayTokens)
      .values({ id, environmentId: input.environment.id, name: input.name, displayPrefix: prefix, tokenHash: hash, createdBy: `${input.actor.type}:${input.actor.id}`, expiresAt: input.expiresAt ?? null })
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "gateway_token.created",
      target: { type: "gateway_token", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: input.name, token_fingerprint: secretFingerprint(hash), expires_at: iso(input.expiresAt ?? null) },
    });
    return created!;
  });
  return { row, token };
}

export async function listGatewayTokens(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined; includeRevoked: boolean }) {
  const rows = await listGatewayTokenRows(db, { environmentId: input.environmentId, limit: input.limit, beforeId: decodeCursor(input.cursor), includeRevoked: input.includeRevoked });
  return page(rows, input.limit);
}

export async function getGatewayToken(db: DbOrTx, environmentId: string, id: string) {
  const row = await findGatewayToken(db, environmentId, id);
  if (!row) throw notFound("Gateway token");
  return row;
}

/** Idempotent: revoking a revoked token returns it unchanged and audits nothing new. */
export async function revokeGatewayToken(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  return db.transaction(async (tx) => {
    const revoked = await revokeGatewayTokenRow(tx, input.environment.id, input.id);
    if (!revoked) return getGatewayToken(tx, input.environment.id, input.id);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "gateway_token.revoked",
      target: { type: "gateway_token", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: revoked.name, token_fingerprint: secretFingerprint(revoked.tokenHash) },
    });
    return revoked;
  });
}

// ---------------------------------------------------------------- personal tokens of registered users

export function toUserTokenOut(t: RegisteredUserToken): UserTokenOut {
  return {
    id: t.id,
    object: "registered_user_token",
    environment_id: t.environmentId,
    registered_user_id: t.registeredUserId,
    name: t.name,
    prefix: t.displayPrefix,
    status: tokenStatus(t),
    created_at: t.createdAt.toISOString(),
    last_used_at: iso(t.lastUsedAt),
    expires_at: iso(t.expiresAt),
    revoked_at: iso(t.revokedAt),
  };
}

export async function createUserToken(db: DbOrTx, input: { environment: Env; registeredUserId: string; name?: string | undefined; expiresInSeconds?: number | undefined } & Caller) {
  const { token, hash } = generateToken(USER_TOKEN_PREFIX);
  const id = createId("userToken");
  const prefix = displayPrefix(token);
  const expiresAt = input.expiresInSeconds ? new Date(Date.now() + input.expiresInSeconds * 1000) : null;
  const row = await db.transaction(async (tx) => {
    // In the transaction: a user deleted meanwhile fails the foreign key rather than leaving a token behind.
    await getRegisteredUser(tx, input.environment.id, input.registeredUserId);
    const [created] = await tx
      .insert(registeredUserTokens)
      .values({
        id,
        environmentId: input.environment.id,
        registeredUserId: input.registeredUserId,
        name: input.name ?? null,
        displayPrefix: prefix,
        tokenHash: hash,
        createdBy: `${input.actor.type}:${input.actor.id}`,
        expiresAt,
      })
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "registered_user_token.created",
      target: { type: "registered_user_token", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { registered_user_id: input.registeredUserId, name: input.name ?? null, token_fingerprint: secretFingerprint(hash), expires_at: iso(expiresAt) },
    });
    return created!;
  });
  return { row, token };
}

export async function listUserTokens(db: DbOrTx, input: { environmentId: string; registeredUserId: string; limit: number; cursor?: string | undefined; includeRevoked: boolean }) {
  await getRegisteredUser(db, input.environmentId, input.registeredUserId);
  const rows = await listUserTokenRows(db, { ...input, beforeId: decodeCursor(input.cursor) });
  return page(rows, input.limit);
}

export async function revokeUserToken(db: DbOrTx, input: { environment: Env; registeredUserId: string; id: string } & Caller) {
  return db.transaction(async (tx) => {
    const revoked = await revokeUserTokenRow(tx, input.environment.id, input.registeredUserId, input.id);
    if (!revoked) {
      const existing = await findUserToken(tx, input.environment.id, input.registeredUserId, input.id);
      if (!existing) throw notFound("Token");
      return existing;
    }
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "registered_user_token.revoked",
      target: { type: "registered_user_token", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { registered_user_id: input.registeredUserId, token_fingerprint: secretFingerprint(revoked.tokenHash) },
    });
    return revoked;
  });
}
