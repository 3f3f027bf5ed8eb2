import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, webhookEvents } from "@/db/schema";
import { claimDueWebhookDeliveries, findWebhookEndpoint, findWebhookEvent, type ClaimedDelivery } from "@/db/queries/webhooks";
import { recordAudit } from "@/lib/audit/record";
import { createId } from "@/lib/ids";
import { log } from "@/lib/log";
import type { Keyring } from "@/lib/crypto/keyring";
import { deliver, type DeliveryResult, type OutboundPolicy } from "@/lib/webhooks/deliver";
import { registerWebhookNudge } from "@/lib/webhooks/outbox";
import { nextRetryDelaySec } from "@/lib/webhooks/schedule";
import { signingSecrets } from "@/lib/webhooks/secrets";
import { signedHeaders } from "@/lib/webhooks/signing";

export type WebhookWorkerOptions = {
  db: Db;
  keyring: Keyring;
  /** Seconds between attempts (LATCHKEY_WEBHOOK_RETRY_SCHEDULE). */
  schedule: readonly number[];
  policy: OutboundPolicy;
  /** Deliveries in flight at once in this process. */
  concurrency?: number;
  /** How often to look for due deliveries when nothing woke the worker sooner. */
  pollMs?: number;
  /** A claimed delivery is this replica's for this long; a replica that dies frees it when it runs out. */
  leaseSeconds?: number;
  random?: () => number;
  /** Swappable in tests; production sends with `deliver`. */
  send?: typeof deliver;
};

/** Finished events (no pending delivery) are kept this long for the delivery log, then pruned. */
const RETENTION_DAYS = 30;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Sends due deliveries from the outbox. Runs in every server replica: rows are claimed with a
 * lease (atomic UPDATE … FOR UPDATE SKIP LOCKED), so replicas share the work and a delivery is
 * never in flight twice. At-least-once: a replica that dies mid-attempt leaves a lease that
 * runs out, and the attempt is made again.
 */
export class WebhookWorker {
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseSeconds: number;
  private readonly send: typeof deliver;
  private readonly workerId = randomBytes(6).toString("hex");
  private claims = 0;
  private readonly inflight = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private pruneTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: WebhookWorkerOptions) {
    this.concurrency = opts.concurrency ?? 8;
    this.pollMs = opts.pollMs ?? 1_000;
    this.leaseSeconds = opts.leaseSeconds ?? 60;
    this.send = opts.send ?? deliver;
  }

  start() {
    this.stopped = false;
    registerWebhookNudge(() => this.wake(0));
    this.wake(0);
    this.pruneTimer = setInterval(() => void this.prune().catch((err) => log.warn("webhook prune failed", { err })), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /** Stops claiming; lets attempts in flight finish for a few seconds, then aborts them and frees their leases. */
  async stop() {
    this.stopped = true;
    registerWebhookNudge(undefined);
    if (this.timer) clearTimeout(this.timer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.timer = null;
    await this.ticking;
    const all = () => Promise.all([...this.inflight.values()].map((f) => f.done));
    const grace = new Promise<"late">((r) => setTimeout(() => r("late"), SHUTDOWN_GRACE_MS).unref());
    if ((await Promise.race([all().then(() => "done" as const), grace])) === "late") {
      for (const f of this.inflight.values()) f.abort.abort();
      await all();
    }
  }

  /** Claims what is due and waits until those attempts are recorded. Tests drive the worker with this. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((d) => this.launch(d)));
    return claimed.length;
  }

  private wake(inMs: number) {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, inMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.tick();
    }, Math.max(0, inMs));
    this.timer.unref();
  }

  private async tick() {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        if (this.stopped) break;
        try {
          const claimed = await this.claim();
          for (const d of claimed) void this.launch(d);
        } catch (err) {
          log.warn("webhook worker could not claim deliveries", { err });
        }
      } while (this.again);
    })();
    await this.ticking;
    this.ticking = null;
    this.wake(this.pollMs);
  }

  private async claim(): Promise<ClaimedDelivery[]> {
    const free = this.concurrency - this.inflight.size;
    if (free <= 0) return [];
    const owner = `${this.workerId}:${++this.claims}`;
    const claimed = await claimDueWebhookDeliveries(this.opts.db, { owner, limit: free, leaseSeconds: this.leaseSeconds });
    // A full batch means more may be waiting.
    if (claimed.length === free) this.again = true;
    return claimed;
  }

  private launch(d: ClaimedDelivery): Promise<void> {
    const abort = new AbortController();
    const done = this.attempt(d, abort.signal)
      .catch((err) => log.error("webhook delivery attempt failed unexpectedly", { delivery: d.id, err }))
      .finally(() => {
        this.inflight.delete(d.id);
        this.wake(0);
      });
    this.inflight.set(d.id, { done, abort });
    return done;
  }

  private async attempt(d: ClaimedDelivery, signal: AbortSignal) {
    const db = this.opts.db;
    const env = { id: d.environmentId, organizationId: d.organizationId };
    const [endpoint, event] = await Promise.all([findWebhookEndpoint(db, env.id, d.endpointId), findWebhookEvent(db, env.id, d.eventId)]);
    if (!endpoint || !event) return;
    if (!endpoint.enabled) {
      await this.finish(d, { status: "failed", error: "The endpoint was disabled before this delivery was sent." });
      return;
    }
    let result: DeliveryResult;
    try {
      const secrets = signingSecrets({ keyring: this.opts.keyring }, env, endpoint);
      result = await this.send(endpoint.url, event.payload, signedHeaders(secrets, event.id, event.payload), { policy: this.opts.policy, signal });
    } catch {
      result = { statusCode: null, durationMs: 0, responseSnippet: null, error: "the signing secret could not be decrypted", retryAfterSec: null };
    }
    if (signal.aborted) {
      // Shutting down mid-attempt: not the receiver's fault, so no attempt is counted; the next claim sends it again.
      await db
        .update(webhookDeliveries)
        .set({ leaseOwner: null, leaseUntil: null })
        .where(and(eq(webhookDeliveries.environmentId, env.id), eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.leaseOwner, d.leaseOwner!)));
      return;
    }
    await this.record(d, result);
  }

  /** Writes the attempt and the delivery's next state, only while this worker still holds the lease. */
  private async record(d: ClaimedDelivery, r: DeliveryResult) {
    const attempts = d.attempts + 1;
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    // Standard Webhooks: 410 Gone means the receiver wants no more; the endpoint is disabled.
    const gone = r.statusCode === 410;
    const delay = ok || gone ? null : nextRetryDelaySec(attempts, this.opts.schedule, { retryAfterSec: r.retryAfterSec, ...(this.opts.random ? { random: this.opts.random } : {}) });
    const status = ok ? "succeeded" : delay === null ? "failed" : "pending";
    const recorded = await this.opts.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhookDeliveries)
        .set({
          status,
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          nextAttemptAt: delay === null ? null : sql`now() + make_interval(secs => ${delay})`,
          leaseOwner: null,
          leaseUntil: null,
          lastAttemptAt: sql`now()`,
          lastStatusCode: r.statusCode,
          lastError: r.error,
          updatedAt: sql`now()`,
        })
        .where(and(eq(webhookDeliveries.environmentId, d.environmentId), eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.leaseOwner, d.leaseOwner!)))
        .returning({ attempts: webhookDeliveries.attempts });
      if (!row) return false;
      await tx.insert(webhookDeliveryAttempts).values({
        id: createId("webhookAttempt"),
        environmentId: d.environmentId,
        deliveryId: d.id,
        attempt: row.attempts,
        statusCode: r.statusCode,
        durationMs: r.durationMs,
        responseSnippet: r.responseSnippet,
        error: r.error,
      });
      if (gone) {
        const [disabled] = await tx
          .update(webhookEndpoints)
          .set({ enabled: false, disabledReason: "The receiver answered 410 Gone.", updatedAt: sql`now()` })
          .where(and(eq(webhookEndpoints.environmentId, d.environmentId), eq(webhookEndpoints.id, d.endpointId), eq(webhookEndpoints.enabled, true)))
          .returning({ url: webhookEndpoints.url });
        if (disabled) {
          await recordAudit(tx, {
            organizationId: d.organizationId,
            environmentId: d.environmentId,
            actor: { type: "system", id: "webhook-worker" },
            action: "webhook_endpoint.disabled",
            target: { type: "webhook_endpoint", id: d.endpointId },
            metadata: { reason: "410_gone", url: disabled.url },
          });
        }
      }
      return true;
    });
    if (!recorded) {
      log.warn("webhook delivery lease lost before the attempt was recorded", { delivery: d.id });
      return;
    }
    if (status === "pending") this.wake(delay! * 1000);
    if (status === "failed") log.warn("webhook delivery failed for good", { delivery: d.id, endpoint: d.endpointId, attempts, status_code: r.statusCode, error: r.error });
    else log.debug("webhook delivery attempt", { delivery: d.id, attempt: attempts, status_code: r.statusCode, error: r.error });
  }

  private async finish(d: ClaimedDelivery, outcome: { status: "failed"; error: string }) {
    await this.opts.db
      .update(webhookDeliveries)
      .set({ status: outcome.status, nextAttemptAt: null, leaseOwner: null, leaseUntil: null, lastError: outcome.error, updatedAt: sql`now()` })
      .where(and(eq(webhookDeliveries.environmentId, d.environmentId), eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.leaseOwner, d.leaseOwner!)));
  }

  /** Housekeeping across environments: events whose deliveries are all finished, older than the retention. */
  async prune() {
    await this.opts.db.delete(webhookEvents).where(
      and(
        sql`${webhookEvents.createdAt} < now() - make_interval(days => ${RETENTION_DAYS})`,
        sql`not exists (select 1 from ${webhookDeliveries} d where d.event_id = ${webhookEvents.id} and d.status = 'pending')`,
      ),
    );
  }
}

const KEY = Symbol.for("latchkey.webhooks.worker");
type Holder = { [KEY]?: WebhookWorker };

/** The server process's worker (one per process, however many bundles load this module). */
export function startWebhookWorker(opts: WebhookWorkerOptions): WebhookWorker {
  const g = globalThis as Holder;
  if (!g[KEY]) {
    g[KEY] = new WebhookWorker(opts);
    g[KEY].start();
  }
  return g[KEY];
}

export async function stopWebhookWorker() {
  const g = globalThis as Holder;
  const w = g[KEY];
  delete g[KEY];
  await w?.stop();
}
