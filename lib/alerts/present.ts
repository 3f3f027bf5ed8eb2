import type { Alert } from "@/db/schema";

/** An alert as the API, the dashboard and `alert.created` show it: masked excerpt, never a value. */
export function alertEventData(a: Alert) {
  return {
    id: a.id,
    object: "alert" as const,
    environment_id: a.environmentId,
    kind: a.kind,
    severity: a.severity,
    rule_id: a.ruleId,
    tool_pack_id: a.toolPackId,
    registered_user_id: a.registeredUserId,
    tool: a.tool,
    field_path: a.fieldPath,
    excerpt: a.excerpt,
    details: a.details,
    count: a.count,
    status: a.status,
    first_seen: new Date(a.firstSeen).toISOString(),
    last_seen: new Date(a.lastSeen).toISOString(),
    acknowledged_at: a.acknowledgedAt ? new Date(a.acknowledgedAt).toISOString() : null,
    resolved_at: a.resolvedAt ? new Date(a.resolvedAt).toISOString() : null,
  };
}
