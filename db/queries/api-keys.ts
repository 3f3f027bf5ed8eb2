import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { apiKeys, environments, type ApiKey } from "@/db/schema";

/** Every query here names the environment: a key of one environment never sees another's. */
export async function findApiKey(db: DbOrTx, environmentId: string, id: string): Promise<ApiKey | null> {
  const [row] = await db.select().from(apiKeys).where(and(eq(apiKeys.environmentId, environmentId), eq(apiKeys.id, id)));
  return row ?? null;
}

export async function listApiKeyRows(
  db: DbOrTx,
  opts: { environmentId: string; limit: number; beforeId?: string | undefined; includeRevoked: boolean },
) {
  const conds = [eq(apiKeys.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(apiKeys.id, opts.beforeId));
  if (!opts.includeRevoked) conds.push(isNull(apiKeys.revokedAt));
  return db
    .select()
    .from(apiKeys)
    .where(and(...conds))
    .orderBy(desc(apiKeys.id))
    .limit(opts.limit + 1);
}

/** Lookup by hash through the unique index, joined to the environment the key belongs to. */
export async function findApiKeyByHash(db: DbOrTx, hash: string) {
  const [row] = await db
    .select({ key: apiKeys, environment: environments })
    .from(apiKeys)
    .innerJoin(environments, eq(environments.id, apiKeys.environmentId))
    .where(eq(apiKeys.secretHash, hash));
  return row ?? null;
}

/** Revoke only if still active; returns the updated row, or null when it already was. */
export async function revokeApiKeyRow(db: DbOrTx, environmentId: string, id: string, at: Date) {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.environmentId, environmentId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return row ?? null;
}

export async function setApiKeyExpiry(db: DbOrTx, environmentId: string, id: string, at: Date) {
  await db
    .update(apiKeys)
    .set({ expiresAt: at })
    .where(
      and(
        eq(apiKeys.environmentId, environmentId),
        eq(apiKeys.id, id),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, at)),
      ),
    );
}

/** Written at most once a minute per key, so authentication stays a read. */
export async function touchApiKey(db: DbOrTx, environmentId: string, id: string) {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.environmentId, environmentId),
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '60 seconds'`)),
      ),
    );
}
