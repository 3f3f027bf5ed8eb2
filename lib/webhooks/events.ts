import type { Connection } from "@/db/schema";

/**
 * Every event type an endpoint can subscribe to. Adding one: a line here (its description is
 * shown in the dashboard and the API docs), then `emitEvent(tx, …)` in the transaction of the
 * change it reports.
 */
export const webhookEventCatalog = {
  "registered_user.created": "A registered user was created (REST, MCP instance ensure, or automatic creation).",
  "connection.created": "A connection was stored: a new one, or an existing one whose credentials were replaced (`data.reconnected: true`, e.g. after re-authentication).",
  "connection.reauth_required": "A connection now needs the user to reconnect: the provider refused to refresh its token, or still refuses its credentials (`data.reason`).",
  "alert.created": "A security event opened an alert (`data.kind`: security_rule_hit, auth_failures, environment_mismatch, ssrf_blocked, decrypt_failure, tool_definition_changed, refresh_failed, audit_sink_failure). Sent once per alert; repeats within its window only raise `count`. Carries a masked excerpt, never the value.",
  "connection.deleted": "A connection was deleted, directly or because its registered user was deleted (`data.cause`).",
} as const;

export type WebhookEventType = keyof typeof webhookEventCatalog;
export const webhookEventTypes = Object.keys(webhookEventCatalog) as [WebhookEventType, ...WebhookEventType[]];

/** Sent only by `POST /api/v1/webhook-endpoints/{id}/test`, whatever the endpoint subscribes to. */
export const PING_EVENT = "ping";

/** A connection as events describe it: who owns it, for what, in which state. Never a credential, not even masked fields. */
export function connectionEventData(c: Connection) {
  return {
    id: c.id,
    object: "connection" as const,
    environment_id: c.environmentId,
    connector: c.connector,
    owner_type: c.ownerType,
    registered_user_id: c.ownerType === "registered_user" ? c.ownerId : null,
    shared_credential_group: c.ownerType === "group" ? c.ownerId : null,
    status: c.status,
    account_label: c.accountLabel,
    granted_scopes: c.grantedScopes,
    expires_at: c.expiresAt?.toISOString() ?? null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
