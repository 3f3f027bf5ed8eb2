import { and, eq, gte, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { toolCalls } from "@/db/schema";

export type ToolCallBucket = { start: Date; calls: number; errors: number; p50: number | null; p95: number | null };

/**
 * Calls, errors and latency percentiles per hour (or day) from the tool-call log, with empty
 * buckets filled in so a chart's x axis is time, not rows. One indexed range scan.
 */
export async function toolCallStats(db: DbOrTx, opts: { environmentId: string; bucket: "hour" | "day"; buckets: number; now?: Date }): Promise<ToolCallBucket[]> {
  const step = opts.bucket === "hour" ? 3600_000 : 24 * 3600_000;
  const now = opts.now ?? new Date();
  const last = Math.floor(now.getTime() / step) * step;
  const since = new Date(last - (opts.buckets - 1) * step);
  // Buckets in UTC epoch seconds, whatever the session's time zone.
  const start = sql<number>`(floor(extract(epoch from ${toolCalls.createdAt}) / ${sql.raw(String(step / 1000))}) * ${sql.raw(String(step / 1000))})::float8`;
  const rows = await db
    .select({
      start,
      calls: sql<number>`count(*)::int`,
      errors: sql<number>`(count(*) filter (where ${toolCalls.status} <> 'ok'))::int`,
      p50: sql<number>`percentile_cont(0.5) within group (order by ${toolCalls.latencyMs})`,
      p95: sql<number>`percentile_cont(0.95) within group (order by ${toolCalls.latencyMs})`,
    })
    .from(toolCalls)
    .where(and(eq(toolCalls.environmentId, opts.environmentId), gte(toolCalls.createdAt, since)))
    .groupBy(start);
  const byTime = new Map<number, (typeof rows)[number]>();
  for (const r of rows) byTime.set(Number(r.start) * 1000, r);
  const out: ToolCallBucket[] = [];
  for (let t = since.getTime(); t <= last; t += step) {
    const r = byTime.get(t);
    out.push({
      start: new Date(t),
      calls: r ? Number(r.calls) : 0,
      errors: r ? Number(r.errors) : 0,
      p50: r && r.p50 !== null ? Math.round(Number(r.p50)) : null,
      p95: r && r.p95 !== null ? Math.round(Number(r.p95)) : null,
    });
  }
  return out;
}
