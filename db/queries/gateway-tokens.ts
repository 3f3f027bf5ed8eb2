import { and, desc, eq, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { environments, gatewayTokens, registeredUsers, registeredUserTokens, type GatewayToken, type RegisteredUserToken } from "@/db/schema";

/** Every query here names the environment, except the two lookups by hash that find it. */

// ---------------------------------------------------------------- service tokens

export async function findGatewayToken(db: DbOrTx, environmentId: string, id: string): Promise<GatewayToken | null> {
  const [row] = await db.select().from(gatewayTokens).where(and(eq(gatewayTokens.environmentId, environmentId), eq(gatewayTokens.id, id)));
  return row ?? null;
}

export async function listGatewayTokenRows(db: DbOrTx, opts: { environmentId: string; limit: number; beforeId?: string | undefined; includeRevoked: boolean }) {
  const conds: SQL[] = [eq(gatewayTokens.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(gatewayTokens.id, opts.beforeId));
  if (!opts.includeRevoked) conds.push(isNull(gatewayTokens.revokedAt));
  return db
    .select()
    .from(gatewayTokens)
    .where(and(...conds))
    .orderBy(desc(gatewayTokens.id))
    .limit(opts.limit + 1);
}

/** Revoke only if still active; null when it already was (or does not exist). */
export async function revokeGatewayTokenRow(db: DbOrTx, environmentId: string, id: string) {
  const [row] = await db
    .update(gatewayTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(gatewayTokens.environmentId, environmentId), eq(gatewayTokens.id, id), isNull(gatewayTokens.revokedAt)))
    .returning();
  return row ?? null;
}

/** Lookup by hash through the unique index, with the environment the token belongs to. */
export async function findGatewayTokenByHash(db: DbOrTx, hash: string) {
  const [row] = await db
    .select({ token: gatewayTokens, environment: environments })
    .from(gatewayTokens)
    .innerJoin(environments, eq(environments.id, gatewayTokens.environmentId))
    .where(eq(gatewayTokens.tokenHash, hash));
  return row ?? null;
}

/** At most once a minute per token, so authentication stays (almost always) a read. */
export async function touchGatewayToken(db: DbOrTx, environmentId: string, id: string) {
  await db
    .update(gatewayTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(gatewayTokens.environmentId, environmentId),
        eq(gatewayTokens.id, id),
        or(isNull(gatewayTokens.lastUsedAt), lt(gatewayTokens.lastUsedAt, sql`now() - interval '60 seconds'`)),
      ),
    );
}

// ---------------------------------------------------------------- personal tokens of registered users

export async function findUserToken(db: DbOrTx, environmentId: string, registeredUserId: string, id: string): Promise<RegisteredUserToken | null> {
  const [row] = await db
    .select()
    .from(registeredUserTokens)
    .where(and(eq(registeredUserTokens.environmentId, environmentId), eq(registeredUserTokens.registeredUserId, registeredUserId), eq(registeredUserTokens.id, id)));
  return row ?? null;
}

export async function listUserTokenRows(db: DbOrTx, opts: { environmentId: string; registeredUserId: string; limit: number; beforeId?: string | undefined; includeRevoked: boolean }) {
  const conds: SQL[] = [eq(registeredUserTokens.environmentId, opts.environmentId), eq(registeredUserTokens.registeredUserId, opts.registeredUserId)];
  if (opts.beforeId) conds.push(lt(registeredUserTokens.id, opts.beforeId));
  if (!opts.includeRevoked) conds.push(isNull(registeredUserTokens.revokedAt));
  return db
    .select()
    .from(registeredUserTokens)
    .where(and(...conds))
    .orderBy(desc(registeredUserTokens.id))
    .limit(opts.limit + 1);
}

export async function revokeUserTokenRow(db: DbOrTx, environmentId: string, registeredUserId: string, id: string) {
  const [row] = await db
    .update(registeredUserTokens)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(registeredUserTokens.environmentId, environmentId),
        eq(registeredUserTokens.registeredUserId, registeredUserId),
        eq(registeredUserTokens.id, id),
        isNull(registeredUserTokens.revokedAt),
      ),
    )
    .returning();
  return row ?? null;
}

/** Lookup by hash, with the environment and the registered user (same environment) it serves. */
export async function findUserTokenByHash(db: DbOrTx, hash: string) {
  const [row] = await db
    .select({ token: registeredUserTokens, environment: environments, user: registeredUsers })
    .from(registeredUserTokens)
    .innerJoin(environments, eq(environments.id, registeredUserTokens.environmentId))
    .innerJoin(registeredUsers, and(eq(registeredUsers.id, registeredUserTokens.registeredUserId), eq(registeredUsers.environmentId, registeredUserTokens.environmentId)))
    .where(eq(registeredUserTokens.tokenHash, hash));
  return row ?? null;
}

export async function touchUserToken(db: DbOrTx, environmentId: string, id: string) {
  await db
    .update(registeredUserTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(registeredUserTokens.environmentId, environmentId),
        eq(registeredUserTokens.id, id),
        or(isNull(registeredUserTokens.lastUsedAt), lt(registeredUserTokens.lastUsedAt, sql`now() - interval '60 seconds'`)),
      ),
    );
}
