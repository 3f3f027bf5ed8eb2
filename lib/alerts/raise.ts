import { getTableColumns, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { alerts, type Alert, type alertKinds, type alertSeverities } from "@/db/schema";
import { createId } from "@/lib/ids";
import { log, scrub } from "@/lib/log";
import { counter, outsideQueryScope } from "@/lib/metrics/registry";
import { emitEvent } from "@/lib/webhooks/outbox";
import { alertEventData } from "@/lib/alerts/present";

export type AlertKind = (typeof alertKinds)[number];
export type AlertSeverity = (typeof alertSeverities)[number];

export type AlertInput = {
  environmentId: string;
  kind: AlertKind;
  severity?: AlertSeverity;
  ruleId?: string | null;
  toolPackId?: string | null;
  registeredUserId?: string | null;
  tool?: string | null;
  fieldPath?: string | null;
  /** Already masked by the caller (e.g. `sk-…[REDACTED]`); scrubbed and cut again here anyway. */
  excerpt?: string | null;
  /** Fixed-vocabulary context (reason codes, ids, an address): never a secret. */
  details?: Record<string, string | number | boolean | null>;
  /** Same key within one window → one row whose count grows. Default: kind and every id above. */
  dedupKey?: string;
  count?: number;
};

/** The dedup window: events with one key inside it are one alert. */
export const ALERT_WINDOW_MS = 10 * 60 * 1000;

const DEFAULT_SEVERITY: Record<AlertKind, AlertSeverity> = {
  security_rule_hit: "high",
  auth_failures: "medium",
  environment_mismatch: "medium",
  ssrf_blocked: "high",
  decrypt_failure: "critical",
  tool_definition_changed: "medium",
  refresh_failed: "low",
  audit_sink_failure: "critical",
};

export const alertsRaised = counter("latchkey_alerts_total", "Security events raised as alerts, by kind (each event, before deduplication).");
const alertsWriteFailed = counter("latchkey_alert_write_failures_total", "Alert batches that could not be written.");

type Sink = { db: Db } | null;
type Pending = { input: AlertInput & { dedupKey: string }; windowStart: Date; count: number; firstSeen: Date; lastSeen: Date; sink: Sink };

const ENV_ID = /^env_[0-9a-z]{22}$/;
const clip = (v: string | null | undefined, n: number) => (v == null ? null : scrub(String(v)).slice(0, n));

export function defaultDedupKey(i: AlertInput): string {
  return [i.kind, i.ruleId ?? "", i.toolPackId ?? "", i.registeredUserId ?? "", i.tool ?? "", i.fieldPath ?? ""].join("|").slice(0, 500);
}

const KEY = Symbol.for("latchkey.alerts.queue");
type State = { pending: Map<string, Pending>; timer: NodeJS.Timeout | null; flushing: Promise<void> | null; db: (() => Db) | null };
const state: State = ((globalThis as { [KEY]?: State })[KEY] ??= { pending: new Map(), timer: null, flushing: null, db: null });

/** The database of alerts raised without a runtime at hand (vault, outbound guard): set by the runtime at start. */
export function setAlertDatabase(db: (() => Db) | null) {
  state.db = db;
}

/**
 * Records a security event as an alert. Never throws and never waits: the event is coalesced in
 * memory (a flood of one event becomes one row write) and written shortly after, off the request
 * path, by a single UPSERT per (environment, dedup key, window) — so concurrent raisers on any
 * number of replicas still make one row whose count is the sum. `rt` null: the process runtime.
 */
export function raiseAlert(rt: Sink, input: AlertInput): void {
  try {
    if (!ENV_ID.test(input.environmentId)) {
      log.warn("alert without a tenant: logged only", { kind: input.kind });
      return;
    }
    const now = new Date();
    const windowStart = new Date(Math.floor(now.getTime() / ALERT_WINDOW_MS) * ALERT_WINDOW_MS);
    const dedupKey = (input.dedupKey ?? defaultDedupKey(input)).slice(0, 500);
    const k = `${input.environmentId}\n${dedupKey}\n${windowStart.getTime()}`;
    const n = Math.max(1, Math.floor(input.count ?? 1));
    alertsRaised.inc({ kind: input.kind }, n);
    const p = state.pending.get(k);
    if (p) {
      p.count += n;
      p.lastSeen = now;
    } else {
      state.pending.set(k, { input: { ...input, dedupKey }, windowStart, count: n, firstSeen: now, lastSeen: now, sink: rt ? { db: rt.db } : null });
    }
    // The write serves no request: its queries belong to none (DESIGN §8 query accounting).
    outsideQueryScope(() => {
      if (!state.timer) {
        state.timer = setTimeout(() => void flushAlerts(), 50);
        state.timer.unref();
      }
    });
  } catch (err) {
    log.error("could not raise alert", { kind: input.kind, err });
  }
}

function resolveDb(sink: Sink): Db {
  const db = sink?.db ?? state.db?.();
  if (!db) throw new Error("no database for alerts: the runtime has not started");
  return db;
}

/** Writes what is pending now. Awaited on shutdown and by tests; otherwise runs on its timer. */
export async function flushAlerts(): Promise<void> {
  if (state.timer) {
    clearTimeout(state.timer);
    state.timer = null;
  }
  if (state.flushing) await state.flushing;
  const batch = [...state.pending.values()];
  state.pending.clear();
  if (batch.length === 0) return;
  state.flushing = (async () => {
    for (const p of batch) {
      try {
        await upsertAlert(resolveDb(p.sink), p);
      } catch (err) {
        alertsWriteFailed.inc();
        log.error("could not write alert", { kind: p.input.kind, environment_id: p.input.environmentId, err });
      }
    }
  })();
  try {
    await state.flushing;
  } finally {
    state.flushing = null;
  }
}

/**
 * One statement decides insert-or-count, so two replicas raising the same alert at once make
 * one row. A resolved alert that fires again in its window opens again. `alert.created` is
 * emitted in the same transaction, only when the row is new.
 */
export async function upsertAlert(db: Db, p: Omit<Pending, "sink">): Promise<{ alert: Alert; created: boolean }> {
  const i = p.input;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(alerts)
      .values({
        id: createId("alert"),
        environmentId: i.environmentId,
        kind: i.kind,
        severity: i.severity ?? DEFAULT_SEVERITY[i.kind],
        ruleId: clip(i.ruleId, 200),
        toolPackId: clip(i.toolPackId, 64),
        registeredUserId: clip(i.registeredUserId, 64),
        tool: clip(i.tool, 200),
        fieldPath: clip(i.fieldPath, 300),
        excerpt: clip(i.excerpt, 160),
        details: Object.fromEntries(Object.entries(i.details ?? {}).slice(0, 20).map(([k, v]) => [k.slice(0, 50), typeof v === "string" ? clip(v, 200) : v])),
        count: p.count,
        firstSeen: p.firstSeen,
        lastSeen: p.lastSeen,
        status: "open",
        dedupKey: i.dedupKey,
        windowStart: p.windowStart,
      })
      .onConflictDoUpdate({
        target: [alerts.environmentId, alerts.dedupKey, alerts.windowStart],
        set: {
          count: sql`${alerts.count} + excluded.count`,
          lastSeen: sql`greatest(${alerts.lastSeen}, excluded.last_seen)`,
          status: sql`case when ${alerts.status} = 'resolved' then 'open' else ${alerts.status} end`,
          resolvedAt: sql`case when ${alerts.status} = 'resolved' then null else ${alerts.resolvedAt} end`,
        },
      })
      .returning({ ...getTableColumns(alerts), inserted: sql<boolean>`(xmax = 0)` });
    // xmax is 0 only on a row this statement inserted (PostgreSQL and PGlite alike).
    const { inserted, ...alert } = row!;
    const created = inserted === true;
    if (created) await emitEvent(tx, { environment: { id: i.environmentId }, type: "alert.created", data: alertEventData(alert) });
    return { alert, created };
  });
}

/** For the helper that watches upstream tool definitions (rug pulls): one alert per tool per window. */
export function raiseToolDefinitionChanged(
  rt: Sink,
  input: { environmentId: string; tool: string; toolPackId?: string | null; details?: AlertInput["details"]; severity?: AlertSeverity },
) {
  raiseAlert(rt, { ...input, kind: "tool_definition_changed" });
}
