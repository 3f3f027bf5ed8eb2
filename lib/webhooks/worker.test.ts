import http from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, testKeyring } from "@/db/test-db";
import type { DbHandle } from "@/db/client";
import { auditLog, webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, webhookEvents } from "@/db/schema";
import { claimDueWebhookDeliveries } from "@/db/queries/webhooks";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import { deliver, parseAllowlist, type DeliveryResult } from "@/lib/webhooks/deliver";
import { createWebhookEndpoint, listWebhookDeliveries, retryWebhookDelivery, rotateWebhookSecret, sendTestEvent, updateWebhookEndpoint } from "@/lib/webhooks/service";
import { verifyWebhook } from "@/lib/webhooks/verify";
import { WebhookWorker } from "@/lib/webhooks/worker";

const actor = { type: "system" as const, id: "test" };
let handle: DbHandle;
let rt: { db: DbHandle["db"]; keyring: ReturnType<typeof testKeyring> };
let receiver: http.Server;
let receiverUrl = "";
let policy: ReturnType<typeof parseAllowlist>;
type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };
const received: Received[] = [];
/** Status codes the receiver answers in turn, per path; 200 when the list is empty. */
const script = new Map<string, number[]>();

async function newEnv() {
  const uid = await createUser(handle.db, { email: `o${Math.random()}@x.test`, actor });
  const org = await createOrganization(handle.db, { name: "Org", ownerUserId: uid, actor });
  return { id: org.environments[1]!.id, organizationId: org.id };
}

const worker = (opts: Partial<ConstructorParameters<typeof WebhookWorker>[0]> = {}) =>
  new WebhookWorker({ db: handle.db, keyring: rt.keyring, schedule: [0, 0], policy, random: () => 0.5, ...opts });

/** Runs the worker until nothing is due (a zero-second schedule makes every retry due at once). */
async function drain(w: WebhookWorker) {
  for (let i = 0; i < 20 && (await w.runOnce()) > 0; i++);
}

beforeAll(async () => {
  handle = await createTestDb();
  rt = { db: handle.db, keyring: testKeyring("k1") };
  receiver = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    received.push({ path: req.url!, headers: req.headers, body });
    const status = script.get(req.url!)?.shift() ?? 200;
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "thanks" : `nope ${status}`);
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const port = (receiver.address() as AddressInfo).port;
  receiverUrl = `http://127.0.0.1:${port}`;
  policy = parseAllowlist(`127.0.0.1:${port}`);
}, 60_000);

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  await handle?.close();
});

describe("webhook outbox", () => {
  it("an event is written with the change, to enabled subscribers only; a rolled-back change leaves none", async () => {
    const env = await newEnv();
    const users = await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/users`, events: ["registered_user.created"], actor });
    await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/deleted`, events: ["connection.deleted"], actor });
    await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/off`, events: ["*"], enabled: false, actor });
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "u-1", actor });
    // Idempotent create: the second call changes nothing, so it emits nothing.
    await ensureRegisteredUser(handle.db, { environment: env, originUserId: "u-1", actor });
    const rows = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.environmentId, env.id));
    expect(rows.map((r) => [r.endpointId, r.eventType, r.status])).toEqual([[users.endpoint.id, "registered_user.created", "pending"]]);
    const [event] = await handle.db.select().from(webhookEvents).where(eq(webhookEvents.id, rows[0]!.eventId));
    expect(JSON.parse(event!.payload)).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-z]{22}$/),
      type: "registered_user.created",
      created_at: expect.any(String),
      environment_id: env.id,
      data: expect.objectContaining({ id: user.id, object: "registered_user", origin_user_id: "u-1" }),
    });

    await expect(
      handle.db.transaction(async (tx) => {
        await ensureRegisteredUser(tx, { environment: env, originUserId: "u-rolled-back", actor });
        throw new Error("the change fails after emitting");
      }),
    ).rejects.toThrow("the change fails");
    expect(await handle.db.select().from(webhookEvents).where(eq(webhookEvents.environmentId, env.id))).toHaveLength(1);
  });

  it("two workers claiming at once split the due deliveries without overlap; an expired lease is claimed again", async () => {
    // The claim serves every environment: settle what earlier tests left due.
    await handle.db.update(webhookDeliveries).set({ status: "failed", nextAttemptAt: null }).where(eq(webhookDeliveries.status, "pending"));
    const env = await newEnv();
    await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/claim`, events: ["*"], actor });
    for (let i = 0; i < 10; i++) await ensureRegisteredUser(handle.db, { environment: env, originUserId: `claim-${i}`, actor });
    const [a, b] = await Promise.all([
      claimDueWebhookDeliveries(handle.db, { owner: "w1", limit: 6, leaseSeconds: 60 }),
      claimDueWebhookDeliveries(handle.db, { owner: "w2", limit: 6, leaseSeconds: 60 }),
    ]);
    const ids = [...a, ...b].map((d) => d.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(a.every((d) => d.leaseOwner === "w1" && d.organizationId === env.organizationId)).toBe(true);
    expect(await claimDueWebhookDeliveries(handle.db, { owner: "w3", limit: 10, leaseSeconds: 60 })).toEqual([]);

    // w1 died: once its lease runs out, its rows are claimable again, and only those.
    await handle.db.update(webhookDeliveries).set({ leaseUntil: sql`now() - interval '1 second'` }).where(eq(webhookDeliveries.leaseOwner, "w1"));
    const again = await claimDueWebhookDeliveries(handle.db, { owner: "w3", limit: 10, leaseSeconds: 60 });
    expect(again.map((d) => d.id).sort()).toEqual(a.map((d) => d.id).sort());
    // Leave nothing leased for the other tests.
    await handle.db.update(webhookDeliveries).set({ status: "failed", nextAttemptAt: null, leaseOwner: null, leaseUntil: null }).where(eq(webhookDeliveries.environmentId, env.id));
  });

  it("a worker whose lease was taken over records nothing: the attempt counts once", async () => {
    const env = await newEnv();
    const { endpoint } = await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/slow`, events: ["*"], actor });
    await ensureRegisteredUser(handle.db, { environment: env, originUserId: "slow", actor });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ok: DeliveryResult = { statusCode: 200, durationMs: 1, responseSnippet: "ok", error: null, retryAfterSec: null };
    const slow = worker({ send: async () => (await gate, ok) });
    const slowRun = slow.runOnce();
    // Wait until the slow worker holds the lease, then let it run out.
    for (let i = 0; i < 100; i++) {
      const [d] = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
      if (d?.leaseOwner) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await handle.db.update(webhookDeliveries).set({ leaseUntil: sql`now() - interval '1 second'` }).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(await worker({ send: async () => ok }).runOnce()).toBe(1);
    release();
    await slowRun;
    const [d] = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));
    expect(d).toMatchObject({ status: "succeeded", attempts: 1, leaseOwner: null });
    expect(await handle.db.select().from(webhookDeliveryAttempts).where(eq(webhookDeliveryAttempts.deliveryId, d!.id))).toHaveLength(1);
  });
});

describe("webhook worker", () => {
  it("sends signed events; 500, 500, then 200 succeeds on the third attempt, each attempt logged", async () => {
    const env = await newEnv();
    const { endpoint, secret } = await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/flaky`, events: ["registered_user.created"], actor });
    script.set("/flaky", [500, 500]);
    const before = received.length;
    await ensureRegisteredUser(handle.db, { environment: env, originUserId: "flaky", actor });
    const w = worker({ send: deliver, schedule: [0, 0, 0] });
    await drain(w);
    const got = received.slice(before).filter((r) => r.path === "/flaky");
    expect(got).toHaveLength(3);
    // Same id and body every time; each one verifies with the secret shown at creation.
    expect(new Set(got.map((g) => g.headers["webhook-id"])).size).toBe(1);
    expect(new Set(got.map((g) => g.body)).size).toBe(1);
    for (const g of got) expect(verifyWebhook(secret, g.headers as Record<string, string>, g.body)).toMatchObject({ ok: true, id: JSON.parse(g.body).id });
    const log = await listWebhookDeliveries(handle.db, { environmentId: env.id, endpointId: endpoint.id, limit: 10 });
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({ status: "succeeded", attempts: 3, last_status_code: 200, next_attempt_at: null });
    expect(log.data[0]!.attempt_log.map((a) => [a.attempt, a.status_code, a.response_snippet])).toEqual([
      [1, 500, "nope 500"],
      [2, 500, "nope 500"],
      [3, 200, "thanks"],
    ]);
    // Another environment does not see this endpoint's log.
    const other = await newEnv();
    await expect(listWebhookDeliveries(handle.db, { environmentId: other.id, endpointId: endpoint.id, limit: 10 })).rejects.toMatchObject({ code: "not_found" });
  });

  it("gives up when the schedule is exhausted (failed, no next attempt); a retry redelivers the same event id", async () => {
    const env = await newEnv();
    const { endpoint, secret } = await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/down`, events: ["*"], actor });
    script.set("/down", [503, 503, 503]);
    await ensureRegisteredUser(handle.db, { environment: env, originUserId: "down", actor });
    await drain(worker({ schedule: [0, 0] }));
    const log = await listWebhookDeliveries(handle.db, { environmentId: env.id, endpointId: endpoint.id, limit: 10 });
    expect(log.data[0]).toMatchObject({ status: "failed", attempts: 3, next_attempt_at: null, last_status_code: 503 });
    const before = received.length;
    const retried = await retryWebhookDelivery(handle.db, { environment: env, id: log.data[0]!.id, actor });
    expect(retried).toMatchObject({ status: "pending", attempts: 0, event_id: log.data[0]!.event_id });
    await drain(worker());
    const again = received.slice(before);
    expect(again).toHaveLength(1);
    expect(again[0]!.headers["webhook-id"]).toBe(log.data[0]!.event_id);
    expect(verifyWebhook(secret, again[0]!.headers as Record<string, string>, again[0]!.body).ok).toBe(true);
    const after = await listWebhookDeliveries(handle.db, { environmentId: env.id, endpointId: endpoint.id, limit: 10 });
    expect(after.data.map((d) => d.status)).toEqual(["succeeded", "failed"]);
  });

  it("a receiver answering 410 Gone disables the endpoint (audited); deliveries to a disabled endpoint are not sent", async () => {
    const env = await newEnv();
    const { endpoint } = await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/gone`, events: ["*"], actor });
    script.set("/gone", [410]);
    await ensureRegisteredUser(handle.db, { environment: env, originUserId: "gone-1", actor });
    await drain(worker());
    const [e] = await handle.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(e).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("410") });
    const audit = await handle.db.select().from(auditLog).where(and(eq(auditLog.targetId, endpoint.id), eq(auditLog.action, "webhook_endpoint.disabled")));
    expect(audit).toHaveLength(1);
    await expect(sendTestEvent(handle.db, { environment: env, id: endpoint.id, actor })).rejects.toMatchObject({ code: "conflict" });
  });

  it("after a secret rotation both secrets sign during the overlap; with no overlap only the new one", async () => {
    const env = await newEnv();
    const { endpoint, secret: first } = await createWebhookEndpoint(rt, { environment: env, policy, url: `${receiverUrl}/rotate`, events: ["*"], actor });
    const { secret: second } = await rotateWebhookSecret(rt, { environment: env, id: endpoint.id, overlapSeconds: 3600, actor });
    let before = received.length;
    await sendTestEvent(handle.db, { environment: env, id: endpoint.id, actor });
    await drain(worker());
    let got = received.slice(before)[0]!;
    expect(JSON.parse(got.body)).toMatchObject({ type: "ping", data: { webhook_endpoint_id: endpoint.id } });
    expect(String(got.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyWebhook(first, got.headers as Record<string, string>, got.body).ok).toBe(true);
    expect(verifyWebhook(second, got.headers as Record<string, string>, got.body).ok).toBe(true);

    const { secret: third } = await rotateWebhookSecret(rt, { environment: env, id: endpoint.id, overlapSeconds: 0, actor });
    before = received.length;
    await sendTestEvent(handle.db, { environment: env, id: endpoint.id, actor });
    await drain(worker());
    got = received.slice(before)[0]!;
    expect(verifyWebhook(third, got.headers as Record<string, string>, got.body).ok).toBe(true);
    expect(verifyWebhook(second, got.headers as Record<string, string>, got.body).ok).toBe(false);
    // The secrets are stored sealed, never in clear.
    const [row] = await handle.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(JSON.stringify(row)).not.toContain(third.slice(6));
    expect(row!.secret).toMatch(/^v1:k1:/);
  });

  it("saving an endpoint checks its URL: private addresses and plain http are refused with a field error", async () => {
    const env = await newEnv();
    for (const url of ["https://10.0.0.1/hook", "https://169.254.169.254/latest", "http://hooks.example.com/x"]) {
      await expect(createWebhookEndpoint(rt, { environment: env, policy, url, events: ["*"], actor }), url).rejects.toMatchObject({ code: "validation_error", issues: [{ path: "url" }] });
    }
    const { endpoint } = await createWebhookEndpoint(rt, { environment: env, policy, url: "https://hooks.example.com/x", events: ["connection.created", "connection.created"], actor });
    expect(endpoint.events).toEqual(["connection.created"]);
    await expect(updateWebhookEndpoint(handle.db, { environment: env, policy, id: endpoint.id, patch: { url: "https://192.168.0.10/" }, actor })).rejects.toMatchObject({ code: "validation_error" });
  });
});
