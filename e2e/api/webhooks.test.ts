// Webhooks through the production server (issue 5, item 7): lifecycle events from the places
// they happen, signed and verified with the exported helper, retried on a short schedule
// (LATCHKEY_WEBHOOK_RETRY_SCHEDULE), kept in a durable outbox across a restart, with the
// outbound check refusing private URLs. Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, webhookEndpoints } from "@/db/schema";
import { parseKeyring } from "@/lib/crypto/keyring";
import { saveOAuthConnection } from "@/lib/connections/service";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { verifyWebhook } from "@/lib/webhooks/verify";
import { withDb } from "../helpers/db";
import { client, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let http_: ReturnType<typeof client>;
let key: CreatedKey;
let liveKey: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;

type Received = { path: string; headers: Record<string, string>; body: string; event: { id: string; type: string; created_at: string; environment_id: string; data: Record<string, any> } };
const received: Received[] = [];
/** Status codes a path answers in turn; 200 once its list is empty. */
const script = new Map<string, number[]>();
let receiver: http.Server;
let receiverUrl = "";
let tokenRequests = 0;

/** Every signing secret handed out, and every response body: none may show one. */
const secrets: string[] = [];
const responses: string[] = [];
const record = async <T>(p: Promise<ApiResponse<T>>) => {
  const r = await p;
  responses.push(r.text);
  return r;
};

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${received.map((r) => `${r.path} ${r.event.type}`).join(", ")}\n${server.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const eventsAt = (path: string, type?: string) => received.filter((r) => r.path === path && (!type || r.event.type === type));

beforeAll(async () => {
  receiver = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    if (req.url === "/oauth/token") {
      // The provider refuses to refresh: the grant was revoked on its side.
      tokenRequests++;
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "invalid_grant", error_description: "revoked" }));
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    received.push({ path: req.url!, headers, body, event: JSON.parse(body) });
    const status = script.get(req.url!)?.shift() ?? 200;
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : `failing with ${status}`);
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const port = (receiver.address() as AddressInfo).port;
  receiverUrl = `http://127.0.0.1:${port}`;
  stripeApi = await serveSandbox(createStripeSandbox());
  server = await startServer({
    db,
    env: { LATCHKEY_WEBHOOK_RETRY_SCHEDULE: "0.3,0.3,0.3", LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${port}`, LATCHKEY_LOG_LEVEL: "info" },
  });
  http_ = client(server.url);
  key = await createApiKeyViaCli(server, "test", "webhooks");
  liveKey = await createApiKeyViaCli(server, "production", "webhooks-live");
  expect((await http_.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
  const gh = await http_.req("/api/v1/connectors/github/config", {
    method: "PATCH",
    key: key.secret,
    json: { oauth_client_id: "webhook-test-client", oauth_client_secret: "webhook-test-client-secret", oauth_token_url: `${receiverUrl}/oauth/token` },
  });
  expect(gh.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  cleanupTempDirs();
});

describe(`webhook endpoints [${db}]`, () => {
  it("refuses private, metadata, loopback and plain-http URLs with a clear 422 on the url field", async () => {
    for (const [url, message] of [
      ["https://10.0.0.7/hooks", /private, loopback, link-local or metadata address/],
      ["https://169.254.169.254/latest/meta-data", /private, loopback, link-local or metadata address/],
      ["https://[::1]:8443/x", /private, loopback, link-local or metadata address/],
      ["https://localhost/x", /private, loopback, link-local or metadata address/],
      // Loopback on a port the operator did not allowlist.
      [`https://127.0.0.1:1/x`, /private, loopback, link-local or metadata address/],
      ["http://hooks.example.com/x", /must use https/],
    ] as const) {
      const r = await http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url } });
      expect(r.status, url).toBe(422);
      expect(r.body.error).toMatchObject({ code: "validation_error", message: expect.stringMatching(message), issues: [{ path: "url", message: expect.stringMatching(message) }] });
    }
    const badEvent = await http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: "https://hooks.example.com/x", events: ["connection.exploded"] } });
    expect(badEvent.status).toBe(422);
    expect(badEvent.body.error.issues[0].path).toBe("events.0");
  });

  it("create shows the whsec_ secret once; GET, list and PATCH never return it; another environment's key sees nothing", async () => {
    const created = await record(http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: "https://hooks.example.com/latchkey", description: "CRM sync", events: ["connection.created"] } }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: "webhook_endpoint", url: "https://hooks.example.com/latchkey", events: ["connection.created"], enabled: true, environment_id: key.environment_id });
    expect(created.body.id).toMatch(/^whe_[0-9a-z]{22}$/);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secrets.push(created.body.secret);
    responses.pop(); // the creation response is the one place the secret belongs
    const id = created.body.id;

    const one = await record(http_.get(`/api/v1/webhook-endpoints/${id}`, { key: key.secret }));
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty("secret");
    const list = await record(http_.get("/api/v1/webhook-endpoints", { key: key.secret }));
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(id);
    const patched = await record(http_.req(`/api/v1/webhook-endpoints/${id}`, { method: "PATCH", key: key.secret, json: { enabled: false, events: ["*"], description: null } }));
    expect(patched.body).toMatchObject({ enabled: false, events: ["*"], description: null });
    expect((await http_.req(`/api/v1/webhook-endpoints/${id}`, { method: "PATCH", key: key.secret, json: { url: "https://192.168.1.1/x" } })).status).toBe(422);

    // T1/T2: production's key gets a 404 for everything of the test environment.
    for (const [method, path] of [
      ["GET", `/api/v1/webhook-endpoints/${id}`],
      ["PATCH", `/api/v1/webhook-endpoints/${id}`],
      ["DELETE", `/api/v1/webhook-endpoints/${id}`],
      ["POST", `/api/v1/webhook-endpoints/${id}/rotate-secret`],
      ["POST", `/api/v1/webhook-endpoints/${id}/test`],
      ["GET", `/api/v1/webhook-endpoints/${id}/deliveries`],
    ] as const) {
      const r = await http_.req(path, { method, key: liveKey.secret, ...(method === "PATCH" || method === "POST" ? { json: {} } : {}) });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    expect((await http_.get("/api/v1/webhook-endpoints", { key: liveKey.secret })).body.data).toEqual([]);

    const del = await http_.del(`/api/v1/webhook-endpoints/${id}`, { key: key.secret });
    expect(del.body).toEqual({ id, object: "webhook_endpoint", deleted: true });
    expect((await http_.get(`/api/v1/webhook-endpoints/${id}`, { key: key.secret })).status).toBe(404);
  });
});

describe(`lifecycle events [${db}]`, () => {
  let secret = "";
  let endpointId = "";
  let userId = "";
  let stripeConn = "";
  let githubConn = "";

  it("registered_user.created and connection.created arrive signed; the signature verifies with verifyWebhook", async () => {
    const ep = await http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: `${receiverUrl}/all`, events: ["*"] } });
    expect(ep.status).toBe(201);
    secret = ep.body.secret;
    endpointId = ep.body.id;
    secrets.push(secret);

    const user = await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "hook-user", email: "hook@example.com" } });
    userId = user.body.id;
    const created = await waitFor("registered_user.created", () => eventsAt("/all", "registered_user.created")[0]);
    expect(created.event).toMatchObject({ id: expect.stringMatching(/^evt_[0-9a-z]{22}$/), environment_id: key.environment_id, data: { id: userId, object: "registered_user", origin_user_id: "hook-user" } });
    expect(created.headers["webhook-id"]).toBe(created.event.id);
    expect(created.headers["content-type"]).toBe("application/json");
    expect(verifyWebhook(secret, created.headers, created.body)).toEqual({ ok: true, id: created.event.id, timestamp: Number(created.headers["webhook-timestamp"]) });
    expect(verifyWebhook(secret, created.headers, created.body.replace("hook-user", "hook-usr")).ok).toBe(false);
    // Creating again returns the same user and emits nothing.
    await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "hook-user" } });

    const stripeKey = "sk_test_WEBHOOKCANARY1234567890";
    const conn = await http_.post(`/api/v1/registered-users/${userId}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: stripeKey } } });
    expect(conn.status).toBe(201);
    stripeConn = conn.body.id;
    const evt = await waitFor("connection.created", () => eventsAt("/all", "connection.created")[0]);
    expect(evt.event.data).toMatchObject({ id: stripeConn, object: "connection", connector: "stripe", registered_user_id: userId, status: "active", reconnected: false });
    expect(evt.event.data).not.toHaveProperty("fields");
    expect(evt.body).not.toContain("WEBHOOKCANARY");
    expect(verifyWebhook(secret, evt.headers, evt.body).ok).toBe(true);

    // Reconnecting replaces the credentials in place: connection.created again, marked reconnected.
    await http_.post(`/api/v1/registered-users/${userId}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: stripeKey } } });
    const again = await waitFor("the reconnect's connection.created", () => eventsAt("/all", "connection.created")[1]);
    expect(again.event.data).toMatchObject({ id: stripeConn, reconnected: true });
    expect(eventsAt("/all", "registered_user.created")).toHaveLength(1);
  });

  it("the outbox is durable: an event written while the server is down is delivered after the restart", async () => {
    await server.stop();
    const keyringRing = parseKeyring(server.env.LATCHKEY_ENCRYPTION_KEYS!);
    await withDb(db, server, async (h) => {
      // An OAuth connection whose access token has expired, as Link would have stored it.
      const { connection } = await saveOAuthConnection(
        { db: h.db, keyring: keyringRing },
        {
          environment: { id: key.environment_id, organizationId: key.organization_id },
          owner: { type: "registered_user", id: userId },
          connector: "github",
          tokens: { access_token: "gho_webhookTestAccessToken000000000000", refresh_token: "ghr_webhookTestRefreshToken0000000000", expires_in: 0, scope: "repo" },
          actor: { type: "system", id: "test" },
        },
      );
      githubConn = connection.id;
    });
    server = await startServer({ db, dataDir: server.dataDir, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}), env: server.env });
    http_ = client(server.url);
    const evt = await waitFor("github connection.created after the restart", () => eventsAt("/all", "connection.created").find((r) => r.event.data.id === githubConn));
    expect(evt.event.data).toMatchObject({ connector: "github", owner_type: "registered_user", granted_scopes: ["repo"], reconnected: false });
    expect(evt.body).not.toContain("webhookTest");
    expect(verifyWebhook(secret, evt.headers, evt.body).ok).toBe(true);
  });

  it("connection.reauth_required: the provider refuses the refresh; the event is sent once per transition", async () => {
    const proj = await http_.post(`/api/v1/connections/${githubConn}/project`, { key: key.secret });
    expect(proj.status).toBe(409);
    expect(tokenRequests).toBe(1);
    const evt = await waitFor("connection.reauth_required", () => eventsAt("/all", "connection.reauth_required")[0]);
    expect(evt.event.data).toMatchObject({ id: githubConn, connector: "github", status: "reauth_required", reason: "invalid_grant", registered_user_id: userId });
    expect(verifyWebhook(secret, evt.headers, evt.body).ok).toBe(true);
    // Asking again changes nothing (the connection already needs re-authentication): no second event.
    expect((await http_.post(`/api/v1/connections/${githubConn}/project`, { key: key.secret })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1500));
    expect(eventsAt("/all", "connection.reauth_required")).toHaveLength(1);
  });

  it("connection.deleted: directly (cause connection_deleted) and for each connection of a deleted registered user (cause registered_user_deleted)", async () => {
    const group = await http_.post("/api/v1/shared-credential-groups/hook-team/connections", { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_groupkey1234567890" } } });
    expect(group.status).toBe(201);
    await waitFor("the group's connection.created", () => eventsAt("/all", "connection.created").find((r) => r.event.data.id === group.body.id));
    expect((await http_.del(`/api/v1/connections/${group.body.id}`, { key: key.secret })).status).toBe(200);
    const direct = await waitFor("connection.deleted", () => eventsAt("/all", "connection.deleted").find((r) => r.event.data.id === group.body.id));
    expect(direct.event.data).toMatchObject({ owner_type: "group", shared_credential_group: "hook-team", cause: "connection_deleted" });

    const del = await http_.del(`/api/v1/registered-users/${userId}`, { key: key.secret });
    expect(del.body).toMatchObject({ deleted: true, connections_removed: 2 });
    const cascaded = await waitFor("both cascaded connection.deleted", () => {
      const got = eventsAt("/all", "connection.deleted").filter((r) => r.event.data.cause === "registered_user_deleted");
      return got.length === 2 ? got : undefined;
    });
    expect(cascaded.map((r) => r.event.data.id).sort()).toEqual([stripeConn, githubConn].sort());
    expect(cascaded.find((r) => r.event.data.id === githubConn)!.event.data.status).toBe("reauth_required");
    for (const r of cascaded) expect(verifyWebhook(secret, r.headers, r.body).ok).toBe(true);

    // Every delivery to this endpoint succeeded on its first attempt, and the log says so.
    const log = await record(http_.get(`/api/v1/webhook-endpoints/${endpointId}/deliveries?limit=100`, { key: key.secret }));
    expect(log.status).toBe(200);
    const types = log.body.data.map((d: { event_type: string }) => d.event_type);
    expect(types.filter((t: string) => t === "connection.deleted")).toHaveLength(3);
    expect(types).toEqual(expect.arrayContaining(["registered_user.created", "connection.created", "connection.reauth_required"]));
    for (const d of log.body.data) expect(d, d.event_type).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200, attempt_log: [{ attempt: 1, status_code: 200, response_snippet: "ok" }] });
  });
});

describe(`retries, test events, redelivery and rotation [${db}]`, () => {
  it("a receiver answering 500 twice then 200 gets the event on the third attempt; the log shows 3 attempts", async () => {
    const ep = await http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: `${receiverUrl}/flaky`, events: ["registered_user.created"] } });
    secrets.push(ep.body.secret);
    script.set("/flaky", [500, 500]);
    await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "flaky-user" } });
    const delivery = await waitFor("the third attempt to succeed", async () => {
      const r = await record(http_.get(`/api/v1/webhook-endpoints/${ep.body.id}/deliveries`, { key: key.secret }));
      return r.body.data[0]?.status === "succeeded" ? r.body.data[0] : undefined;
    });
    expect(delivery).toMatchObject({ event_type: "registered_user.created", attempts: 3, last_status_code: 200, next_attempt_at: null, last_error: null });
    expect(delivery.attempt_log.map((a: { status_code: number; response_snippet: string }) => [a.status_code, a.response_snippet])).toEqual([
      [500, "failing with 500"],
      [500, "failing with 500"],
      [200, "ok"],
    ]);
    const got = eventsAt("/flaky");
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.headers["webhook-id"]))).toEqual(new Set([delivery.event_id]));
    for (const g of got) expect(verifyWebhook(ep.body.secret, g.headers, g.body).ok).toBe(true);
    // Different attempts, different timestamps: each one is signed when it is sent.
    expect(Number(got[2]!.headers["webhook-timestamp"])).toBeGreaterThanOrEqual(Number(got[0]!.headers["webhook-timestamp"]));
  });

  it("a receiver that keeps failing exhausts the schedule: failed, 4 attempts; redelivery sends the same event id again", async () => {
    const ep = await http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: `${receiverUrl}/down`, events: ["registered_user.created"] } });
    secrets.push(ep.body.secret);
    script.set("/down", [503, 503, 503, 503]);
    await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "down-user" } });
    const failed = await waitFor("the delivery to fail for good", async () => {
      const r = await http_.get(`/api/v1/webhook-endpoints/${ep.body.id}/deliveries?status=failed`, { key: key.secret });
      return r.body.data[0];
    });
    expect(failed).toMatchObject({ status: "failed", attempts: 4, last_status_code: 503, next_attempt_at: null });
    const retry = await record(http_.post(`/api/v1/webhook-deliveries/${failed.id}/retry`, { key: key.secret }));
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ object: "webhook_delivery", status: "pending", event_id: failed.event_id, endpoint_id: ep.body.id });
    expect(retry.body.id).not.toBe(failed.id);
    const redelivered = await waitFor("the redelivery", () => eventsAt("/down")[4]);
    expect(redelivered.headers["webhook-id"]).toBe(failed.event_id);
    expect(verifyWebhook(ep.body.secret, redelivered.headers, redelivered.body).ok).toBe(true);
    const after = await http_.get(`/api/v1/webhook-endpoints/${ep.body.id}/deliveries`, { key: key.secret });
    expect(after.body.data.map((d: { status: string }) => d.status)).toEqual(["succeeded", "failed"]);
    expect((await http_.post(`/api/v1/webhook-deliveries/${failed.id.replace(/.$/, failed.id.endsWith("a") ? "b" : "a")}/retry`, { key: key.secret })).status).toBe(404);
  });

  it("test sends a ping; after rotate-secret both secrets verify during the overlap; overlap 0 keeps only the new one", async () => {
    const ep = await http_.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: `${receiverUrl}/ping`, events: ["connection.deleted"] } });
    const first = ep.body.secret;
    secrets.push(first);
    const test = await record(http_.post(`/api/v1/webhook-endpoints/${ep.body.id}/test`, { key: key.secret }));
    expect(test.status).toBe(201);
    expect(test.body).toMatchObject({ object: "webhook_delivery", event_type: "ping", status: "pending" });
    const ping = await waitFor("ping", () => eventsAt("/ping", "ping")[0]);
    expect(ping.event.data).toEqual({ webhook_endpoint_id: ep.body.id, message: expect.any(String) });
    expect(verifyWebhook(first, ping.headers, ping.body).ok).toBe(true);

    const rotated = await http_.post(`/api/v1/webhook-endpoints/${ep.body.id}/rotate-secret`, { key: key.secret, json: {} });
    expect(rotated.status).toBe(200);
    const second = rotated.body.secret;
    secrets.push(second);
    expect(second).not.toBe(first);
    expect(rotated.body.previous_secret_expires_at).toBeTruthy();
    await http_.post(`/api/v1/webhook-endpoints/${ep.body.id}/test`, { key: key.secret });
    const both = await waitFor("ping after rotation", () => eventsAt("/ping", "ping")[1]);
    expect(both.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifyWebhook(first, both.headers, both.body).ok).toBe(true);
    expect(verifyWebhook(second, both.headers, both.body).ok).toBe(true);

    const third = (await http_.post(`/api/v1/webhook-endpoints/${ep.body.id}/rotate-secret`, { key: key.secret, json: { overlap_seconds: 0 } })).body.secret;
    secrets.push(third);
    await http_.post(`/api/v1/webhook-endpoints/${ep.body.id}/test`, { key: key.secret });
    const only = await waitFor("ping after a rotation without overlap", () => eventsAt("/ping", "ping")[2]);
    expect(verifyWebhook(third, only.headers, only.body).ok).toBe(true);
    expect(verifyWebhook(second, only.headers, only.body).ok).toBe(false);

    // A disabled endpoint cannot be tested (nothing would be sent).
    await http_.req(`/api/v1/webhook-endpoints/${ep.body.id}`, { method: "PATCH", key: key.secret, json: { enabled: false } });
    expect((await http_.post(`/api/v1/webhook-endpoints/${ep.body.id}/test`, { key: key.secret })).status).toBe(409);
  });

  it("signing secrets appear in no GET response, log line or audit row, and are stored sealed", async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    for (const r of (await http_.get("/api/v1/webhook-endpoints?limit=100", { key: key.secret })).body.data) responses.push(JSON.stringify(r));
    const haystacks = [...responses, server.logs()];
    for (const s of secrets) {
      const body = s.slice("whsec_".length);
      for (const h of haystacks) expect(h.includes(body), "a signing secret leaked").toBe(false);
    }
    await server.stop();
    await withDb(db, server, async (h) => {
      const audit = JSON.stringify(await h.db.select().from(auditLog));
      expect(audit).toContain("webhook_endpoint.created");
      expect(audit).toContain("webhook_endpoint.secret_rotated");
      expect(audit).toContain("webhook_delivery.retried");
      const rows = JSON.stringify(await h.db.select().from(webhookEndpoints));
      for (const s of secrets) {
        expect(audit.includes(s.slice(6))).toBe(false);
        expect(rows.includes(s.slice(6))).toBe(false);
      }
    });
  });
});
