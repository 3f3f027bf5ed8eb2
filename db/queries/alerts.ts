import { and, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { alerts, type Alert } from "@/db/schema";

export type AlertFilter = {
  environmentId: string;
  kind?: Alert["kind"] | undefined;
  status?: Alert["status"] | undefined;
  toolPackId?: string | undefined;
  registeredUserId?: string | undefined;
  since?: Date | undefined;
  beforeId?: string | undefined;
  limit: number;
};

/** The environment is always in the WHERE: an alert is its tenant's only. */
export async function listAlertRows(db: DbOrTx, f: AlertFilter): Promise<Alert[]> {
  const conds: SQL[] = [eq(alerts.environmentId, f.environmentId)];
  if (f.kind) conds.push(eq(alerts.kind, f.kind));
  if (f.status) conds.push(eq(alerts.status, f.status));
  if (f.toolPackId) conds.push(eq(alerts.toolPackId, f.toolPackId));
  if (f.registeredUserId) conds.push(eq(alerts.registeredUserId, f.registeredUserId));
  if (f.since) conds.push(gte(alerts.lastSeen, f.since));
  if (f.beforeId) conds.push(lt(alerts.id, f.beforeId));
  return db
    .select()
    .from(alerts)
    .where(and(...conds))
    .orderBy(desc(alerts.id))
    .limit(f.limit + 1);
}

export async function findAlert(db: DbOrTx, environmentId: string, id: string): Promise<Alert | null> {
  const [row] = await db.select().from(alerts).where(and(eq(alerts.environmentId, environmentId), eq(alerts.id, id)));
  return row ?? null;
}

export async function setAlertStatus(db: DbOrTx, environmentId: string, id: string, to: "acknowledged" | "resolved"): Promise<Alert | null> {
  const now = new Date();
  const [row] = await db
    .update(alerts)
    .set(to === "acknowledged" ? { status: "acknowledged", acknowledgedAt: now } : { status: "resolved", resolvedAt: now })
    // Acknowledging only moves an open alert; resolving moves any that is not resolved yet.
    .where(and(eq(alerts.environmentId, environmentId), eq(alerts.id, id), to === "acknowledged" ? eq(alerts.status, "open") : sql`${alerts.status} <> 'resolved'`))
    .returning();
  return row ?? null;
}

export async function alertCountsOverTime(db: DbOrTx, environmentId: string, bucket: "hour" | "day", since: Date) {
  const step = bucket === "hour" ? 3600 : 86400;
  // UTC epoch seconds, whatever the session's time zone.
  const start = sql<number>`(floor(extract(epoch from ${alerts.windowStart}) / ${sql.raw(String(step))}) * ${sql.raw(String(step))})::float8`;
  const rows = await db
    .select({ start, kind: alerts.kind, alerts: sql<number>`count(*)::int`, events: sql<number>`coalesce(sum(${alerts.count}), 0)::int` })
    .from(alerts)
    .where(and(eq(alerts.environmentId, environmentId), gte(alerts.windowStart, since)))
    .groupBy(start, alerts.kind)
    .orderBy(start);
  return rows;
}
