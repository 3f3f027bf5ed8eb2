import type { Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import { alertCountsOverTime, findAlert, listAlertRows, setAlertStatus, type AlertFilter } from "@/db/queries/alerts";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { notFound } from "@/lib/errors";

export { listAlertRows as listAlerts };
export type { AlertFilter };

export async function getAlert(db: Db, environmentId: string, id: string) {
  const row = await findAlert(db, environmentId, id);
  if (!row) throw notFound("Alert");
  return row;
}

/**
 * Acknowledge or resolve, audited in the same transaction. Repeating it changes nothing and
 * writes no audit row (the alert is answered as it is).
 */
export async function changeAlertStatus(
  db: Db,
  input: { environment: Pick<Environment, "id" | "organizationId">; id: string; to: "acknowledged" | "resolved"; actor: Actor; requestId?: string | null; ip?: string | null },
) {
  return db.transaction(async (tx) => {
    const changed = await setAlertStatus(tx, input.environment.id, input.id, input.to);
    if (!changed) {
      const row = await findAlert(tx, input.environment.id, input.id);
      if (!row) throw notFound("Alert");
      return row;
    }
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: input.to === "acknowledged" ? "alert.acknowledged" : "alert.resolved",
      target: { type: "alert", id: changed.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { kind: changed.kind },
    });
    return changed;
  });
}

export type AlertBucket = { start: string; alerts: number; events: number; by_kind: Record<string, number> };

export async function alertStats(db: Db, environmentId: string, bucket: "hour" | "day", since?: Date) {
  const from = since ?? new Date(Date.now() - (bucket === "hour" ? 24 * 3600_000 : 30 * 24 * 3600_000));
  const rows = await alertCountsOverTime(db, environmentId, bucket, from);
  const byStart = new Map<string, AlertBucket>();
  for (const r of rows) {
    const start = new Date(Number(r.start) * 1000).toISOString();
    let b = byStart.get(start);
    if (!b) byStart.set(start, (b = { start, alerts: 0, events: 0, by_kind: {} }));
    b.alerts += Number(r.alerts);
    b.events += Number(r.events);
    b.by_kind[r.kind] = (b.by_kind[r.kind] ?? 0) + Number(r.alerts);
  }
  return { object: "alert_stats" as const, bucket, since: from.toISOString(), data: [...byStart.values()] };
}

/** The last `hours` hours, oldest first, empty hours included (for the dashboard's chart). */
export async function alertEventsPerHour(db: Db, environmentId: string, hours = 24, now = new Date()) {
  const hour = 3600_000;
  const last = Math.floor(now.getTime() / hour) * hour;
  const since = new Date(last - (hours - 1) * hour);
  const stats = await alertStats(db, environmentId, "hour", since);
  const byStart = new Map(stats.data.map((b) => [b.start, b]));
  return Array.from({ length: hours }, (_, i) => {
    const start = new Date(since.getTime() + i * hour);
    const b = byStart.get(start.toISOString());
    return { start, events: b?.events ?? 0, alerts: b?.alerts ?? 0 };
  });
}
