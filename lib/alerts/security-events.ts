import { ALERT_WINDOW_MS, raiseAlert } from "@/lib/alerts/raise";
import { currentAlertContext } from "@/lib/alerts/context";
import { setAuditWriteFailureHook } from "@/lib/audit/record";
import { setToolDefinitionChangedSink } from "@/lib/mcp-servers/tools";
import { setOutboundBlockedHook } from "@/lib/net/outbound-guard";
import { setSecurityHitSink } from "@/lib/security/enforce-hooks";

/** Failures from one source in one environment before they count as an attack, per window. */
export const AUTH_FAILURE_THRESHOLD = 5;

const KEY = Symbol.for("latchkey.alerts.authFailures");
type Counts = Map<string, { window: number; count: number }>;
const counts: Counts = ((globalThis as { [KEY]?: Counts })[KEY] ??= new Map());

/**
 * A credential that belongs to an environment was refused (revoked, expired). Counted in
 * process — no query on the failing request — and raised once the source passes the threshold
 * within the window; later failures in the window only grow that alert's count.
 */
export function noteAuthFailure(rt: { db: import("@/db/client").Db } | null, input: { environmentId: string; source: string; ip?: string | null }) {
  const window = Math.floor(Date.now() / ALERT_WINDOW_MS);
  const k = `${input.environmentId}|${input.source}`;
  let c = counts.get(k);
  if (!c || c.window !== window) {
    if (counts.size > 10_000) counts.clear();
    counts.set(k, (c = { window, count: 0 }));
  }
  c.count++;
  if (c.count < AUTH_FAILURE_THRESHOLD) return;
  raiseAlert(rt, {
    environmentId: input.environmentId,
    kind: "auth_failures",
    dedupKey: `auth_failures|${input.source}`,
    count: c.count === AUTH_FAILURE_THRESHOLD ? AUTH_FAILURE_THRESHOLD : 1,
    details: { source: input.source, ip: input.ip ?? null, threshold: AUTH_FAILURE_THRESHOLD },
  });
}

const INSTALLED = Symbol.for("latchkey.alerts.hooksInstalled");

/** Connects modules that must not depend on alerts (the outbound guard) to them. Idempotent. */
export function installAlertHooks() {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  setOutboundBlockedHook((info) => {
    const ctx = currentAlertContext();
    if (!ctx) return;
    raiseAlert(null, {
      environmentId: ctx.environmentId,
      kind: "ssrf_blocked",
      toolPackId: ctx.toolPackId ?? null,
      registeredUserId: ctx.registeredUserId ?? null,
      dedupKey: `ssrf_blocked|${info.host}`,
      details: { host: info.host, reason: info.reason },
    });
  });
  // Every security-gateway hit is an alert (masked excerpt only), one per rule, pack, user, tool and path per window.
  setSecurityHitSink((hits) => {
    for (const h of hits) {
      if (h.ruleId === "engine") continue;
      raiseAlert(null, {
        environmentId: h.environmentId,
        kind: "security_rule_hit",
        severity: h.action === "block" ? "high" : h.action === "redact" ? "medium" : "low",
        ruleId: h.ruleId,
        toolPackId: h.toolPackId,
        registeredUserId: h.registeredUserId,
        tool: h.tool,
        fieldPath: h.fieldPath,
        excerpt: h.maskedExcerpt,
        details: { detector: h.detector, action: h.action, direction: h.direction },
      });
    }
  });
  // F9: the audit log refused a write. Alerts live in another table, which the same fault may spare.
  setAuditWriteFailureHook((f) => {
    for (const environmentId of f.environmentIds) {
      raiseAlert(null, { environmentId, kind: "audit_sink_failure", dedupKey: "audit_sink_failure", details: { rows: f.rows, reason: dbErrorReason(f.err) } });
    }
  });
  // A changed upstream tool is held until approved; the alert is how an admin learns of it.
  setToolDefinitionChangedSink((c) =>
    raiseAlert(null, {
      environmentId: c.environmentId,
      kind: "tool_definition_changed",
      severity: "high",
      tool: `${c.serverSlug}__${c.tool}`,
      dedupKey: `tool_definition_changed|${c.serverId}|${c.tool}|${c.newHash}`,
      details: { server_id: c.serverId, server: c.serverSlug, tool: c.tool, previous_hash: c.previousHash, new_hash: c.newHash },
    }),
  );
}

/** A fixed-vocabulary reason (the SQLSTATE class), never the driver's message, which may quote values. */
function dbErrorReason(err: unknown): string {
  for (let e: unknown = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code === "42501" ? "permission_denied" : `sqlstate_${code}`;
  }
  return "write_failed";
}
