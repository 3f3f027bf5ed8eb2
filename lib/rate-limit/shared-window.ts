import { and, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { rateLimits } from "@/db/schema";
import { log } from "@/lib/log";
import { outsideQueryScope } from "@/lib/metrics/registry";
import type { RateLimitResult } from "@/lib/rate-limit/fixed-window";

/** pending: counted here, not yet sent; sending: on its way to the database; known: the shared total last read. */
type Bucket = { windowStart: number; windowMs: number; pending: number; sending: number; known: number };

export const SYNC_EVERY_MS = 100;

/**
 * Fixed-window limits shared by all replicas through the database, decided without a query on
 * the request path (DESIGN §8). Each replica counts locally and, off the request path every
 * 100 ms, adds what it counted to the window's row and reads back the total of all replicas.
 * A decision uses that total plus what this replica counted since: on one replica the limit is
 * exact; across replicas it can be exceeded by what the others admitted in the last 100 ms.
 */
export class SharedRateLimiter {
  private buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;

  constructor(private readonly db: () => DbOrTx) {}

  hit(bucket: string, limit: number, windowSeconds: number, now = Date.now()): RateLimitResult {
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let b = this.buckets.get(bucket);
    if (!b || b.windowStart !== windowStart) {
      // A new window: carry nothing over; the next sync learns what other replicas counted.
      if (b?.pending) this.pushLate(bucket, b);
      this.buckets.set(bucket, (b = { windowStart, windowMs, pending: 0, sending: 0, known: 0 }));
    }
    const used = b.known + b.sending + b.pending;
    const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
    if (used >= limit) return { allowed: false, limit, remaining: 0, retryAfter };
    b.pending++;
    this.schedule();
    return { allowed: true, limit, remaining: Math.max(0, limit - used - 1), retryAfter };
  }

  private late: { bucket: string; b: Bucket }[] = [];
  private pushLate(bucket: string, b: Bucket) {
    this.late.push({ bucket, b: { ...b } });
  }

  private schedule() {
    if (this.timer) return;
    outsideQueryScope(() => {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.sync();
      }, SYNC_EVERY_MS);
      this.timer.unref();
    });
  }

  /** Adds every replica-local count to the database and learns the shared totals. */
  async sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = outsideQueryScope(() => this.syncOnce()).finally(() => (this.syncing = null));
    return this.syncing;
  }

  private async syncOnce() {
    const work: { bucket: string; b: Bucket; delta: number; current: boolean }[] = this.late.splice(0).map((l) => ({ ...l, delta: l.b.pending, current: false }));
    for (const [bucket, b] of this.buckets) {
      if (b.pending > 0) {
        work.push({ bucket, b, delta: b.pending, current: true });
        b.sending += b.pending;
        b.pending = 0;
      } else if (b.windowStart + b.windowMs < Date.now()) {
        this.buckets.delete(bucket);
      }
    }
    for (const w of work) {
      try {
        const [row] = await this.db()
          .insert(rateLimits)
          .values({ bucket: w.bucket, windowStart: w.b.windowStart, count: w.delta })
          .onConflictDoUpdate({ target: [rateLimits.bucket, rateLimits.windowStart], set: { count: sql`${rateLimits.count} + ${w.delta}` } })
          .returning({ count: rateLimits.count });
        if (w.current) {
          w.b.sending -= w.delta;
          // The total includes what was just sent.
          if (row) w.b.known = Math.max(w.b.known, row.count);
        }
      } catch (err) {
        // Keep the count; it is pushed with the next sync.
        if (w.current) {
          w.b.sending -= w.delta;
          w.b.pending += w.delta;
        }
        log.warn("could not sync rate-limit counters", { err });
      }
    }
    if (work.length && Math.random() < 0.01) {
      await this.db()
        .delete(rateLimits)
        .where(and(lt(rateLimits.windowStart, Date.now() - 2 * 3600_000)))
        .catch(() => {});
    }
    if ([...this.buckets.values()].some((b) => b.pending > 0)) this.schedule();
  }

  async stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sync().catch(() => {});
  }
}
