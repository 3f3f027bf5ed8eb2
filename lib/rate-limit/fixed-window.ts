import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { rateLimits } from "@/db/schema";

export type RateLimitResult = { allowed: boolean; limit: number; remaining: number; retryAfter: number };

/**
 * A fixed-window counter in the database, so the limit holds across replicas. One upsert per
 * request; the window's row is pruned by a later call.
 */
export async function hitRateLimit(
  db: DbOrTx,
  bucket: string,
  limit: number,
  windowSeconds: number,
  now = Date.now(),
): Promise<RateLimitResult> {
  const windowMs = windowSeconds * 1000;
  const windowStart = Math.floor(now / windowMs) * windowMs;
  const [row] = await db
    .insert(rateLimits)
    .values({ bucket, windowStart, count: 1 })
    .onConflictDoUpdate({ target: [rateLimits.bucket, rateLimits.windowStart], set: { count: sql`${rateLimits.count} + 1` } })
    .returning({ count: rateLimits.count });
  const count = row?.count ?? 1;
  if (count === 1 && Math.random() < 0.01) {
    await db.delete(rateLimits).where(and(lt(rateLimits.windowStart, windowStart - windowMs)));
  }
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    retryAfter: Math.ceil((windowStart + windowMs - now) / 1000),
  };
}

/**
 * Gives back one hit of the current window: for limits on failures (sign-in), where an attempt
 * is counted before its outcome is known and a success must not use up the budget.
 */
export async function refundRateLimit(db: DbOrTx, bucket: string, windowSeconds: number, now = Date.now()): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const windowStart = Math.floor(now / windowMs) * windowMs;
  await db
    .update(rateLimits)
    .set({ count: sql`${rateLimits.count} - 1` })
    .where(and(eq(rateLimits.bucket, bucket), eq(rateLimits.windowStart, windowStart), gt(rateLimits.count, 0)));
}
