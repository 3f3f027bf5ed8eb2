import { and, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import {
  environments,
  webhookDeliveries,
  webhookDeliveryAttempts,
  webhookEndpoints,
  webhookEvents,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookEndpoint,
} from "@/db/schema";

/** Every query here names the environment, except the worker's claim, which serves all of them by nature. */

export async function findWebhookEndpoint(db: DbOrTx, environmentId: string, id: string): Promise<WebhookEndpoint | null> {
  const [row] = await db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.environmentId, environmentId), eq(webhookEndpoints.id, id)));
  return row ?? null;
}

export async function listWebhookEndpointRows(db: DbOrTx, opts: { environmentId: string; limit: number; beforeId?: string | undefined }) {
  const conds: SQL[] = [eq(webhookEndpoints.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(webhookEndpoints.id, opts.beforeId));
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(...conds))
    .orderBy(desc(webhookEndpoints.id))
    .limit(opts.limit + 1);
}

export async function listEnabledWebhookEndpoints(db: DbOrTx, environmentId: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.environmentId, environmentId), eq(webhookEndpoints.enabled, true)));
}

export async function countWebhookEndpoints(db: DbOrTx, environmentId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(webhookEndpoints).where(eq(webhookEndpoints.environmentId, environmentId));
  return Number(row?.n ?? 0);
}

export async function findWebhookDelivery(db: DbOrTx, environmentId: string, id: string): Promise<WebhookDelivery | null> {
  const [row] = await db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.environmentId, environmentId), eq(webhookDeliveries.id, id)));
  return row ?? null;
}

export async function listWebhookDeliveryRows(
  db: DbOrTx,
  opts: { environmentId: string; endpointId: string; limit: number; beforeId?: string | undefined; status?: WebhookDeliveryStatus | undefined },
) {
  const conds: SQL[] = [eq(webhookDeliveries.environmentId, opts.environmentId), eq(webhookDeliveries.endpointId, opts.endpointId)];
  if (opts.beforeId) conds.push(lt(webhookDeliveries.id, opts.beforeId));
  if (opts.status) conds.push(eq(webhookDeliveries.status, opts.status));
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conds))
    .orderBy(desc(webhookDeliveries.id))
    .limit(opts.limit + 1);
}

export async function listWebhookAttempts(db: DbOrTx, environmentId: string, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return [];
  return db
    .select()
    .from(webhookDeliveryAttempts)
    .where(and(eq(webhookDeliveryAttempts.environmentId, environmentId), inArray(webhookDeliveryAttempts.deliveryId, deliveryIds)))
    .orderBy(webhookDeliveryAttempts.deliveryId, webhookDeliveryAttempts.attempt);
}

export async function findWebhookEvent(db: DbOrTx, environmentId: string, id: string) {
  const [row] = await db.select().from(webhookEvents).where(and(eq(webhookEvents.environmentId, environmentId), eq(webhookEvents.id, id)));
  return row ?? null;
}

export type ClaimedDelivery = WebhookDelivery & { organizationId: string };

/**
 * Takes up to `limit` due deliveries for this worker: one atomic UPDATE sets a lease on rows
 * that are pending, due and not leased (or whose lease ran out), skipping rows another
 * replica is claiming at this moment. Whoever holds a row's lease is the only one who may
 * record its attempt (see the lease_owner check when recording).
 */
export async function claimDueWebhookDeliveries(db: DbOrTx, opts: { owner: string; limit: number; leaseSeconds: number }): Promise<ClaimedDelivery[]> {
  const rows = await db
    .update(webhookDeliveries)
    .set({ leaseOwner: opts.owner, leaseUntil: sql`now() + make_interval(secs => ${opts.leaseSeconds})` })
    .where(
      inArray(
        webhookDeliveries.id,
        sql`(select id from ${webhookDeliveries}
              where status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
              order by next_attempt_at
              limit ${opts.limit}
              for update skip locked)`,
      ),
    )
    .returning();
  if (rows.length === 0) return [];
  const envs = await db
    .select({ id: environments.id, organizationId: environments.organizationId })
    .from(environments)
    .where(inArray(environments.id, [...new Set(rows.map((r) => r.environmentId))]));
  const orgOf = new Map(envs.map((e) => [e.id, e.organizationId]));
  return rows.filter((r) => orgOf.has(r.environmentId)).map((r) => ({ ...r, organizationId: orgOf.get(r.environmentId)! }));
}
