// A3 (alerts) and issue 7 items 5–7 through the production server: security events raise one
// alert per event and window (deduplicated, count grows), visible only to the environment they
// happened in, with no secrets; `alert.created` goes out through the signed webhooks once per
// alert; acknowledge/resolve are audited; exports stream CSV/JSON; an MCP tools/call produces
// OTLP spans at a loopback collector; /api/metrics counts requests, tool calls and alerts.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const METRICS_TOKEN = "metrics-token-for-a3-tests-0123456789";
let server: TestServer;
let api: ReturnType<typeof client>;
let key: CreatedKey;
let prodKey: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let receiver: http.Server;
let receiverUrl = "";

type Span = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: { key: string; value: Record<string, unknown> }[] };
const spans: Span[] = [];
const webhookEvents: { type: string; data: Record<string, any>; raw: string }[] = [];
/** Every secret handed out and every body received: no alert or event may carry one. */
const secrets: string[] = [];
const bodies: string[] = [];
const rec = async <T>(p: Promise<ApiResponse<T>>) => {
  const r = await p;
  bodies.push(r.text);
  return r;
};

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${server.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alertsOf = async (k: CreatedKey, query = "") => (await rec(api.get(`/api/v1/alerts${query}`, { key: k.secret }))).body.data as any[];

beforeAll(async () => {
  // One loopback server plays the OTLP collector and the webhook receiver.
  receiver = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    if (req.url === "/v1/traces") {
      for (const rs of JSON.parse(body).resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    } else {
      const e = JSON.parse(body);
      webhookEvents.push({ type: e.type, data: e.data, raw: body });
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const port = (receiver.address() as AddressInfo).port;
  receiverUrl = `http://127.0.0.1:${port}`;
  stripeApi = await serveSandbox(createStripeSandbox());
  server = await startServer({
    db: TEST_DB,
    env: { LATCHKEY_METRICS_TOKEN: METRICS_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${port}`, LATCHKEY_WEBHOOK_RETRY_SCHEDULE: "0.3,0.3" },
  });
  api = client(server.url);
  key = await createApiKeyViaCli(server, "test", "a3");
  prodKey = await createApiKeyViaCli(server, "production", "a3-prod");
  secrets.push(key.secret, prodKey.secret);
  const hook = await api.post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: `${receiverUrl}/hooks`, events: ["alert.created"] } });
  expect(hook.status).toBe(201);
  secrets.push(hook.body.secret);
  // Dedup is per 10-minute window: do not start the burst in the last minute of one.
  const intoWindow = Date.now() % 600_000;
  if (intoWindow > 540_000) await new Promise((r) => setTimeout(r, 600_000 - intoWindow + 1000));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
  await new Promise((r) => receiver?.close(r));
  cleanupTempDirs();
});

describe(`A3 alerts [${TEST_DB}]`, () => {
  let authAlert: any;

  it("A3: repeated auth failures, an environment mismatch and an SSRF block each raise one alert per window, counted, in the affected environment only", async () => {
    // A key of this environment, revoked, then tried 7 times (the threshold is 5).
    const created = await api.post("/api/v1/api-keys", { key: key.secret, json: { name: "soon-revoked" } });
    expect(created.status).toBe(201);
    secrets.push(created.body.secret);
    expect((await api.req(`/api/v1/api-keys/${created.body.id}`, { method: "DELETE", key: key.secret })).status).toBe(200);
    for (let i = 0; i < 7; i++) expect((await rec(api.get("/api/v1/registered-users", { key: created.body.secret }))).status).toBe(401);
    // The test key presented for the production environment, 3 times.
    for (let i = 0; i < 3; i++) {
      const r = await rec(api.get("/api/v1/registered-users", { key: key.secret, headers: { "latchkey-environment": prodKey.environment_id } }));
      expect(r.body.error.code).toBe("environment_mismatch");
    }
    // A private (cloud metadata) address offered as an upstream MCP server, twice.
    for (let i = 0; i < 2; i++) {
      const r = await rec(api.post("/api/v1/mcp-servers/discover", { key: key.secret, json: { url: "https://169.254.169.254/latest/mcp" } }));
      expect(r.status).toBe(422);
    }

    const alerts = await waitFor("three alerts with their final counts", async () => {
      const a = await alertsOf(key);
      const c = Object.fromEntries(a.map((x) => [x.kind, x.count]));
      return a.length === 3 && c.auth_failures === 7 && c.environment_mismatch === 3 && c.ssrf_blocked === 2 ? a : undefined;
    });
    authAlert = alerts.find((a) => a.kind === "auth_failures");
    expect(authAlert).toMatchObject({ object: "alert", environment_id: key.environment_id, status: "open", severity: "medium", details: { source: `api_key:${created.body.id}` } });
    expect(authAlert.id).toMatch(/^alrt_[0-9a-z]{22}$/);
    expect(alerts.find((a) => a.kind === "ssrf_blocked")).toMatchObject({ severity: "high", details: { host: "169.254.169.254" } });
    expect(alerts.find((a) => a.kind === "environment_mismatch")).toMatchObject({ details: { source: `api_key:${key.id}`, header_mismatch: true } });

    // Filters.
    expect((await alertsOf(key, "?kind=ssrf_blocked")).map((a) => a.kind)).toEqual(["ssrf_blocked"]);
    expect(await alertsOf(key, "?status=resolved")).toEqual([]);
    expect(await alertsOf(key, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    const paged = await rec(api.get("/api/v1/alerts?limit=2", { key: key.secret }));
    expect(paged.body).toMatchObject({ has_more: true });
    const rest = await rec(api.get(`/api/v1/alerts?limit=2&cursor=${paged.body.next_cursor}`, { key: key.secret }));
    expect(rest.body.data).toHaveLength(1);
    expect((await api.get("/api/v1/alerts?kind=nonsense", { key: key.secret })).status).toBe(422);

    // The other environment of the same organization sees none of it and cannot touch it.
    expect(await alertsOf(prodKey)).toEqual([]);
    expect((await api.get(`/api/v1/alerts/${authAlert.id}`, { key: prodKey.secret })).status).toBe(404);
    expect((await api.post(`/api/v1/alerts/${authAlert.id}/resolve`, { key: prodKey.secret })).status).toBe(404);
  }, 60_000);

  it("A3: alert.created is delivered once per alert (not per repeat), signed, and neither alerts nor events carry a secret", async () => {
    await waitFor("three alert.created events", () => webhookEvents.filter((e) => e.type === "alert.created").length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    const events = webhookEvents.filter((e) => e.type === "alert.created");
    expect(events.map((e) => e.data.kind).sort()).toEqual(["auth_failures", "environment_mismatch", "ssrf_blocked"]);
    expect(events.every((e) => e.data.environment_id === key.environment_id)).toBe(true);
    const one = await rec(api.get(`/api/v1/alerts/${authAlert.id}`, { key: key.secret }));
    expect(one.body.id).toBe(authAlert.id);
    for (const text of [...bodies, ...events.map((e) => e.raw)]) {
      for (const s of secrets) expect(text).not.toContain(s);
      expect(text).not.toMatch(/lk_(live|test)_[0-9A-Za-z]{20,}/);
    }
  });

  it("acknowledge and resolve are audited, answered idempotently, and counted in the stats", async () => {
    const ack = await rec(api.post(`/api/v1/alerts/${authAlert.id}/acknowledge`, { key: key.secret }));
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: "acknowledged", acknowledged_at: expect.any(String) });
    expect((await api.post(`/api/v1/alerts/${authAlert.id}/acknowledge`, { key: key.secret })).body.status).toBe("acknowledged");
    const res = await rec(api.post(`/api/v1/alerts/${authAlert.id}/resolve`, { key: key.secret }));
    expect(res.body).toMatchObject({ status: "resolved", resolved_at: expect.any(String) });
    expect((await alertsOf(key, "?status=resolved")).map((a) => a.id)).toEqual([authAlert.id]);

    const stats = await rec(api.get("/api/v1/alerts/stats?bucket=hour", { key: key.secret }));
    expect(stats.status).toBe(200);
    expect(stats.body.data.reduce((n: number, b: any) => n + b.events, 0)).toBe(12);
    expect(stats.body.data.reduce((n: number, b: any) => n + b.alerts, 0)).toBe(3);
    expect((await api.get("/api/v1/alerts/stats?bucket=day", { key: prodKey.secret })).body.data).toEqual([]);

    const audit = await api.get("/api/v1/audit-logs/export?format=json", { key: key.secret });
    const actions = (audit.body as any[]).filter((r) => r.target_id === authAlert.id).map((r) => r.action);
    expect(actions).toEqual(["alert.acknowledged", "alert.resolved"]);
  });
});

describe(`exports [${TEST_DB}]`, () => {
  it("audit log: CSV and JSON attachments of this environment only, oldest first, with the hash chain columns; since/until filter", async () => {
    const csv = await fetch(`${server.url}/api/v1/audit-logs/export?format=csv`, { headers: { authorization: `Bearer ${key.secret}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-log-.*\.csv"$/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("seq,id,created_at,organization_id,environment_id,actor_type,actor_id,action,target_type,target_id,request_id,ip,metadata,prev_hash,row_hash");
    expect(lines.length).toBeGreaterThan(3);
    const json = (await api.get("/api/v1/audit-logs/export?format=json", { key: key.secret })).body as any[];
    expect(json.length).toBe(lines.length - 1);
    expect(json.every((r) => r.environment_id === key.environment_id)).toBe(true);
    expect(json.map((r) => r.seq)).toEqual([...json.map((r) => r.seq)].sort((a, b) => a - b));
    const prodRows = (await api.get("/api/v1/audit-logs/export?format=json", { key: prodKey.secret })).body as any[];
    expect(prodRows.some((r) => r.environment_id === key.environment_id)).toBe(false);
    const past = (await api.get(`/api/v1/audit-logs/export?format=json&until=${encodeURIComponent("2000-01-01T00:00:00Z")}`, { key: key.secret })).body;
    expect(past).toEqual([]);
    const bad = await api.get("/api/v1/audit-logs/export?format=xml", { key: key.secret });
    expect(bad.status).toBe(422);
    expect((await api.get("/api/v1/audit-logs/export")).status).toBe(401);
  });
});

describe(`observability [${TEST_DB}]`, () => {
  it("an MCP tools/call is traced (request, auth, tools/call, credential resolution, upstream call in one trace) and counted in /api/metrics; the tool-call export lists it", async () => {
    expect((await api.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
    const pack = (await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Traced", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).body;
    const inst = (await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "traced" } })).body;
    const conn = await api.post(`/api/v1/registered-users/${inst.registered_user_id}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_tracedcall123456" } } });
    expect(conn.status).toBe(201);
    const c = new Client({ name: "a3", version: "1.0.0" });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/api/v1/tool-packs/${pack.id}/registered-users/${inst.registered_user_id}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key.secret}` } } }));
    expect((await c.callTool({ name: "stripe_get_balance", arguments: {} })).isError).toBeFalsy();
    await c.close();

    const call = await waitFor("a tools/call span", () => spans.find((s) => s.name === "mcp.tools/call"));
    const trace = await waitFor("the whole trace", () => {
      const t = spans.filter((s) => s.traceId === call.traceId);
      return ["mcp.request", "auth", "mcp.tools/call", "security.scan", "credential_resolution", "upstream_call"].every((n) => t.some((s) => s.name === n)) ? t : undefined;
    });
    const by = (n: string) => trace.find((s) => s.name === n)!;
    expect(by("mcp.tools/call").attributes).toContainEqual({ key: "mcp.tool", value: { stringValue: "stripe_get_balance" } });
    expect(by("auth").parentSpanId).toBe(by("mcp.request").spanId);
    expect(by("upstream_call").parentSpanId).toBe(by("mcp.tools/call").spanId);
    // The security gateway's scans are spans of the call too (arguments before, results after).
    expect(trace.filter((s) => s.name === "security.scan").every((s) => s.parentSpanId === by("mcp.tools/call").spanId)).toBe(true);
    // Spans name things; they never carry a credential.
    expect(JSON.stringify(spans)).not.toContain("sk_test_tracedcall123456");
    expect(JSON.stringify(spans)).not.toContain(key.secret);
    // REST requests are traced too.
    expect(spans.some((s) => s.name === "GET /api/v1/alerts")).toBe(true);

    const metrics = await (await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/latchkey_http_requests_total\{method="GET",route="\/api\/v1\/alerts",status="200"\} \d+/);
    expect(metrics).toMatch(/latchkey_http_requests_total\{method="POST",route="mcp",status="200"\} \d+/);
    expect(metrics).toMatch(/latchkey_http_request_duration_seconds_bucket\{le="\+Inf",route="mcp"\} \d+/);
    expect(metrics).toMatch(/latchkey_tool_calls_total\{status="ok"\} [1-9]/);
    expect(metrics).toMatch(/latchkey_tool_call_duration_seconds_count\{status="ok"\} [1-9]/);
    expect(metrics).toMatch(/latchkey_alerts_total\{kind="auth_failures"\} 7/);

    const exported = await waitFor("the call in the tool-call export", async () => {
      const r = await fetch(`${server.url}/api/v1/tool-calls/export?format=csv`, { headers: { authorization: `Bearer ${key.secret}` } });
      const text = await r.text();
      return text.includes("stripe_get_balance") ? { r, text } : undefined;
    });
    expect(exported.r.headers.get("content-disposition")).toMatch(/filename="tool-calls-.*\.csv"/);
    expect(exported.text.split("\r\n")[0]).toBe("id,created_at,principal_type,principal_id,tool_pack_id,registered_user_id,tool,connector,connection_id,status,error_code,latency_ms");
    const json = (await api.get("/api/v1/tool-calls/export?format=json", { key: key.secret })).body as any[];
    expect(json.find((r) => r.tool === "stripe_get_balance")).toMatchObject({ status: "ok", tool_pack_id: pack.id });
    expect((await api.get("/api/v1/tool-calls/export?format=json", { key: prodKey.secret })).body).toEqual([]);
  }, 60_000);
});
