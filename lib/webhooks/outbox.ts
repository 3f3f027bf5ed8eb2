import type { DbOrTx } from "@/db/client";
import { webhookDeliveries, webhookEvents, type Environment, type WebhookDelivery, type WebhookEndpoint } from "@/db/schema";
import { listEnabledWebhookEndpoints } from "@/db/queries/webhooks";
import { createId } from "@/lib/ids";
import { PING_EVENT, type WebhookEventType } from "@/lib/webhooks/events";

type Env = Pick<Environment, "id">;

export const subscribes = (endpoint: Pick<WebhookEndpoint, "events">, type: string) => endpoint.events.includes("*") || endpoint.events.includes(type);

/**
 * Writes an event to the outbox, with one pending delivery per enabled endpoint that
 * subscribes to it. Call it with the transaction of the change it reports: the event exists
 * exactly when the change committed. With no subscriber nothing is written (one indexed read).
 */
export async function emitEvent(db: DbOrTx, input: { environment: Env; type: WebhookEventType; data: Record<string, unknown> }) {
  const endpoints = (await listEnabledWebhookEndpoints(db, input.environment.id)).filter((e) => subscribes(e, input.type));
  if (endpoints.length === 0) return null;
  return enqueue(db, input.environment, input.type, input.data, endpoints);
}

/** The test endpoint's event: to one endpoint, whatever it subscribes to. */
export async function enqueuePing(db: DbOrTx, environment: Env, endpoint: WebhookEndpoint) {
  return enqueue(db, environment, PING_EVENT, { webhook_endpoint_id: endpoint.id, message: "A test event sent from Latchkey." }, [endpoint]);
}

async function enqueue(db: DbOrTx, environment: Env, type: string, data: Record<string, unknown>, endpoints: WebhookEndpoint[]) {
  const id = createId("webhookEvent");
  const createdAt = new Date();
  // Serialized once: the stored text is the exact body every attempt sends and signs.
  const payload = JSON.stringify({ id, type, created_at: createdAt.toISOString(), environment_id: environment.id, data });
  const [event] = await db.insert(webhookEvents).values({ id, environmentId: environment.id, type, payload, createdAt }).returning();
  const deliveries: WebhookDelivery[] = await db
    .insert(webhookDeliveries)
    .values(endpoints.map((e) => ({ id: createId("webhookDelivery"), environmentId: environment.id, endpointId: e.id, eventId: id, eventType: type, nextAttemptAt: createdAt })))
    .returning();
  nudgeWebhookWorker();
  return { event: event!, deliveries };
}

const NUDGE = Symbol.for("latchkey.webhooks.nudge");
type Holder = { [NUDGE]?: () => void };

/** The worker of this process registers here; route bundles and the server share it through globalThis. */
export function registerWebhookNudge(fn: (() => void) | undefined) {
  (globalThis as Holder)[NUDGE] = fn;
}

/**
 * Asks this process's worker to look for due deliveries soon, rather than at its next poll.
 * Deferred a little because the caller's transaction has not committed yet; if it commits
 * later than that, the regular poll finds the rows.
 */
export function nudgeWebhookWorker() {
  const fn = (globalThis as Holder)[NUDGE];
  if (fn) setTimeout(fn, 50).unref();
}
