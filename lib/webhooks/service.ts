import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { webhookDeliveries, webhookEndpoints, type Environment, type WebhookDelivery, type WebhookDeliveryAttempt, type WebhookDeliveryStatus, type WebhookEndpoint } from "@/db/schema";
import {
  countWebhookEndpoints,
  findWebhookDelivery,
  findWebhookEndpoint,
  listWebhookAttempts,
  listWebhookDeliveryRows,
  listWebhookEndpointRows,
} from "@/db/queries/webhooks";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { unseal } from "@/lib/crypto/vault";
import { AppError, notFound } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import type { Runtime } from "@/lib/runtime";
import type { WebhookDeliveryOut, WebhookEndpointOut } from "@/lib/schemas/webhooks";
import { checkWebhookUrl, parseAllowlist, type OutboundPolicy } from "@/lib/webhooks/deliver";
import { enqueuePing, nudgeWebhookWorker } from "@/lib/webhooks/outbox";
import { sealWebhookSecret } from "@/lib/webhooks/secrets";
import { generateWebhookSecret } from "@/lib/webhooks/signing";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

/** Fan-out stays bounded: every event is written once per subscribed endpoint. */
export const MAX_ENDPOINTS_PER_ENVIRONMENT = 50;

let cachedPolicy: { spec: readonly string[]; policy: OutboundPolicy } | null = null;
export function outboundPolicy(rt: Pick<Runtime, "env">): OutboundPolicy {
  const spec = rt.env.LATCHKEY_OUTBOUND_ALLOWLIST;
  if (!cachedPolicy || cachedPolicy.spec !== spec) cachedPolicy = { spec, policy: parseAllowlist(spec.join(",")) };
  return cachedPolicy.policy;
}

export function toWebhookEndpointOut(e: WebhookEndpoint): WebhookEndpointOut {
  return {
    id: e.id,
    object: "webhook_endpoint",
    environment_id: e.environmentId,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    secret_rotated_at: e.secretRotatedAt?.toISOString() ?? null,
    previous_secret_expires_at: e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt.toISOString() : null,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

export function toWebhookDeliveryOut(d: WebhookDelivery, attempts: WebhookDeliveryAttempt[]): WebhookDeliveryOut {
  return {
    id: d.id,
    object: "webhook_delivery",
    environment_id: d.environmentId,
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
    last_attempt_at: d.lastAttemptAt?.toISOString() ?? null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    attempt_log: attempts.map((a) => ({
      attempt: a.attempt,
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      response_snippet: a.responseSnippet,
      error: a.error,
      created_at: a.createdAt.toISOString(),
    })),
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

/** `*` subsumes the rest; duplicates go. */
function normalizeEvents(events: string[]): string[] {
  return events.includes("*") ? ["*"] : [...new Set(events)];
}

function checkUrl(url: string, policy: OutboundPolicy) {
  const r = checkWebhookUrl(url, policy);
  if (!r.ok) throw new AppError({ code: "validation_error", message: `The webhook URL ${r.message}.`, issues: [{ path: "url", message: r.message }] });
}

/** What the audit log keeps of a URL: no query string, where a receiver's own token may sit. */
const auditUrl = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return null;
  }
};

export async function getWebhookEndpoint(db: DbOrTx, environmentId: string, id: string) {
  const e = await findWebhookEndpoint(db, environmentId, id);
  if (!e) throw notFound("Webhook endpoint");
  return e;
}

export async function listWebhookEndpoints(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined }) {
  const rows = await listWebhookEndpointRows(db, { environmentId: input.environmentId, limit: input.limit, beforeId: decodeCursor(input.cursor) });
  return page(rows, input.limit);
}

export async function createWebhookEndpoint(
  rt: Rt,
  input: { environment: Env; policy: OutboundPolicy; url: string; description?: string | null | undefined; events: string[]; enabled?: boolean | undefined } & Caller,
) {
  checkUrl(input.url, input.policy);
  const id = createId("webhookEndpoint");
  const secret = generateWebhookSecret();
  const events = normalizeEvents(input.events);
  const endpoint = await rt.db.transaction(async (tx) => {
    if ((await countWebhookEndpoints(tx, input.environment.id)) >= MAX_ENDPOINTS_PER_ENVIRONMENT) {
      throw new AppError({ code: "conflict", message: `An environment can have at most ${MAX_ENDPOINTS_PER_ENVIRONMENT} webhook endpoints.` });
    }
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        id,
        environmentId: input.environment.id,
        url: input.url,
        description: input.description ?? null,
        events,
        enabled: input.enabled ?? true,
        secret: sealWebhookSecret(rt, input.environment, id, secret),
      })
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "webhook_endpoint.created",
      target: { type: "webhook_endpoint", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { url: auditUrl(input.url), events, enabled: input.enabled ?? true },
    });
    return row!;
  });
  return { endpoint, secret };
}

export async function updateWebhookEndpoint(
  db: DbOrTx,
  input: {
    environment: Env;
    policy: OutboundPolicy;
    id: string;
    patch: { url?: string | undefined; description?: string | null | undefined; events?: string[] | undefined; enabled?: boolean | undefined };
  } & Caller,
) {
  if (input.patch.url !== undefined) checkUrl(input.patch.url, input.policy);
  return db.transaction(async (tx) => {
    const before = await getWebhookEndpoint(tx, input.environment.id, input.id);
    const set: Partial<typeof webhookEndpoints.$inferInsert> = {};
    if (input.patch.url !== undefined) set.url = input.patch.url;
    if (input.patch.description !== undefined) set.description = input.patch.description;
    if (input.patch.events !== undefined) set.events = normalizeEvents(input.patch.events);
    if (input.patch.enabled !== undefined) {
      set.enabled = input.patch.enabled;
      // A member's decision replaces the system's reason either way.
      set.disabledReason = null;
    }
    if (Object.keys(set).length === 0) return before;
    const [after] = await tx
      .update(webhookEndpoints)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.environmentId, input.environment.id), eq(webhookEndpoints.id, input.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "webhook_endpoint.updated",
      target: { type: "webhook_endpoint", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: {
        fields: Object.keys(set).filter((k) => k !== "disabledReason"),
        ...(set.url !== undefined ? { url: auditUrl(set.url) } : {}),
        ...(set.events !== undefined ? { events: set.events } : {}),
        ...(set.enabled !== undefined ? { enabled: set.enabled } : {}),
      },
    });
    return after!;
  });
}

/** Removes the endpoint with its delivery log (cascade). */
export async function deleteWebhookEndpoint(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  return db.transaction(async (tx) => {
    const e = await getWebhookEndpoint(tx, input.environment.id, input.id);
    await tx.delete(webhookEndpoints).where(and(eq(webhookEndpoints.environmentId, input.environment.id), eq(webhookEndpoints.id, e.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "webhook_endpoint.deleted",
      target: { type: "webhook_endpoint", id: e.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { url: auditUrl(e.url) },
    });
    return e;
  });
}

/**
 * A new signing secret now. For `overlapSeconds` deliveries are signed with both the new and
 * the old secret (two signatures in webhook-signature), so a receiver can switch without
 * dropping any. Rotating again during an overlap ends the older overlap.
 */
export async function rotateWebhookSecret(rt: Rt, input: { environment: Env; id: string; overlapSeconds: number } & Caller) {
  const secret = generateWebhookSecret();
  const endpoint = await rt.db.transaction(async (tx) => {
    const e = await getWebhookEndpoint(tx, input.environment.id, input.id);
    const old = unseal(rt, e.secret, { org: input.environment.organizationId, env: input.environment.id, table: "webhook_endpoints", row: e.id, field: "secret" });
    const overlap = input.overlapSeconds > 0;
    const [after] = await tx
      .update(webhookEndpoints)
      .set({
        secret: sealWebhookSecret(rt, input.environment, e.id, secret),
        previousSecret: overlap ? sealWebhookSecret(rt, input.environment, e.id, old, "previous_secret") : null,
        previousSecretExpiresAt: overlap ? sql`now() + make_interval(secs => ${input.overlapSeconds})` : null,
        secretRotatedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(webhookEndpoints.environmentId, input.environment.id), eq(webhookEndpoints.id, e.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "webhook_endpoint.secret_rotated",
      target: { type: "webhook_endpoint", id: e.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { overlap_seconds: input.overlapSeconds },
    });
    return after!;
  });
  return { endpoint, secret };
}

/** Queues a `ping` event to this endpoint only; it shows in the delivery log like any other. */
export async function sendTestEvent(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  return db.transaction(async (tx) => {
    const e = await getWebhookEndpoint(tx, input.environment.id, input.id);
    if (!e.enabled) throw new AppError({ code: "conflict", message: "This endpoint is disabled: enable it before sending a test event." });
    const { deliveries } = await enqueuePing(tx, input.environment, e);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "webhook_endpoint.test_sent",
      target: { type: "webhook_endpoint", id: e.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { delivery_id: deliveries[0]!.id },
    });
    return deliveries[0]!;
  });
}

export async function listWebhookDeliveries(
  db: DbOrTx,
  input: { environmentId: string; endpointId: string; limit: number; cursor?: string | undefined; status?: WebhookDeliveryStatus | undefined },
) {
  await getWebhookEndpoint(db, input.environmentId, input.endpointId);
  const rows = await listWebhookDeliveryRows(db, { ...input, beforeId: decodeCursor(input.cursor) });
  const p = page(rows, input.limit);
  const attempts = await listWebhookAttempts(db, input.environmentId, p.data.map((d) => d.id));
  const byDelivery = new Map<string, WebhookDeliveryAttempt[]>();
  for (const a of attempts) byDelivery.set(a.deliveryId, [...(byDelivery.get(a.deliveryId) ?? []), a]);
  return { ...p, data: p.data.map((d) => toWebhookDeliveryOut(d, byDelivery.get(d.id) ?? [])) };
}

/**
 * Redelivery: a new delivery of the same event (same webhook-id, so receivers can deduplicate)
 * to the same endpoint, attempted now and retried on its own schedule. The original stays in
 * the log as it was.
 */
export async function retryWebhookDelivery(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  const created = await db.transaction(async (tx) => {
    const original = await findWebhookDelivery(tx, input.environment.id, input.id);
    if (!original) throw notFound("Webhook delivery");
    const endpoint = await getWebhookEndpoint(tx, input.environment.id, original.endpointId);
    if (!endpoint.enabled) throw new AppError({ code: "conflict", message: "The endpoint is disabled: enable it before redelivering." });
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({ id: createId("webhookDelivery"), environmentId: input.environment.id, endpointId: endpoint.id, eventId: original.eventId, eventType: original.eventType, nextAttemptAt: new Date() })
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "webhook_delivery.retried",
      target: { type: "webhook_delivery", id: original.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { new_delivery_id: row!.id, event_id: original.eventId, endpoint_id: endpoint.id },
    });
    return row!;
  });
  nudgeWebhookWorker();
  return toWebhookDeliveryOut(created, []);
}
