// DESIGN §8, the hot path, through the production server: a warm tools/call makes no database
// query (counted by the server itself and read from /api/metrics), changes still take effect
// at once on the replica that made them, and admission control answers a fast 503 at capacity.
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client as httpClient } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const METRICS_TOKEN = "metrics-token-for-tests-0123456789";
let server: TestServer;
let key: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  server = await startServer({ db: TEST_DB, env: { LATCHKEY_METRICS_TOKEN: METRICS_TOKEN } });
  key = await createApiKeyViaCli(server, "test", "hot-path");
  await httpClient(server.url).req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
  cleanupTempDirs();
});

async function metric(name: string, labels: string): Promise<number> {
  const res = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  const line = (await res.text()).split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ").pop()) : 0;
}
const mcpQueries = () => metric("latchkey_db_queries_total", '{scope="mcp"}');

async function connect(url: string, headers?: Record<string, string>) {
  const c = new Client({ name: "hot-path", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined));
  return c;
}

describe(`the MCP hot path [${TEST_DB}]`, () => {
  it("/api/metrics needs its token", async () => {
    expect((await fetch(`${server.url}/api/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
  });

  it("warm tools/call through the instance URL, the API-key URL and a gateway (user) token makes no database query; a change is seen at once", async () => {
    const api = httpClient(server.url);
    const pack = (await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Hot path", entries: [{ connector: "stripe", tools: ["stripe_get_balance", "stripe_list_customers"] }] } })).body;
    const inst = (await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "hot" } })).body;
    const ru = inst.registered_user_id;
    expect((await api.post(`/api/v1/registered-users/${ru}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_hotpath123456" } } })).status).toBe(201);

    const viaInstance = await connect(inst.url);
    const viaKey = await connect(`${server.url}/api/v1/tool-packs/${pack.id}/registered-users/${ru}/mcp`, { authorization: `Bearer ${key.secret}` });
    const userToken = (await api.post(`/api/v1/registered-users/${ru}/tokens`, { key: key.secret, json: { name: "hot" } })).body.token;
    const viaUserToken = await connect(`${server.url}/mcp/${pack.slug}`, { authorization: `Bearer ${userToken}` });
    for (const c of [viaInstance, viaKey, viaUserToken]) {
      // Warm-up: the first calls load the cache (and may write last-used times).
      for (let i = 0; i < 2; i++) expect((await c.callTool({ name: "stripe_get_balance", arguments: {} })).isError).toBeFalsy();
    }
    const requestsBefore = await metric("latchkey_mcp_requests_total", '{mount="node"}');
    const queriesBefore = await mcpQueries();
    const upstreamBefore = stripeApi.requests.length;
    for (let i = 0; i < 10; i++) {
      for (const c of [viaInstance, viaKey, viaUserToken]) expect((await c.callTool({ name: "stripe_get_balance", arguments: {} })).isError).toBeFalsy();
    }
    expect(stripeApi.requests.length - upstreamBefore).toBe(30);
    expect(await metric("latchkey_mcp_requests_total", '{mount="node"}')).toBeGreaterThanOrEqual(requestsBefore + 30);
    expect(await mcpQueries()).toBe(queriesBefore);

    // The cache never hides a change made here: a pack edit, a deleted connection, a revoked URL.
    expect((await api.req(`/api/v1/tool-packs/${pack.id}`, { method: "PATCH", key: key.secret, json: { entries: [{ connector: "stripe", tools: ["stripe_list_customers"] }] } })).status).toBe(200);
    await expect(viaInstance.callTool({ name: "stripe_get_balance", arguments: {} })).rejects.toThrow(/not in the tool pack/);
    const conns = (await api.get(`/api/v1/registered-users/${ru}/connections`, { key: key.secret })).body.data;
    expect((await api.req(`/api/v1/connections/${conns[0].id}`, { method: "DELETE", key: key.secret })).status).toBeLessThan(300);
    const after = await viaKey.callTool({ name: "stripe_list_customers", arguments: {} });
    expect(after.structuredContent).toMatchObject({ code: "authentication_required" });
    expect((await api.req(`/api/v1/mcp-instances/${inst.id}`, { method: "DELETE", key: key.secret })).status).toBe(200);
    await expect(viaInstance.listTools()).rejects.toThrow();
    await viaInstance.close().catch(() => {});
    await viaKey.close();
    await viaUserToken.close();
  }, 60_000);
});

describe(`a cold call [${TEST_DB}]`, () => {
  it("the first tools/call on an instance URL after a restart makes one query (instance, pack, user, rules, settings and connections in one statement); connection use is recorded off the request path", async () => {
    const api = httpClient(server.url);
    const pack = (await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Cold", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).body;
    const inst = (await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "cold" } })).body;
    expect((await api.post(`/api/v1/registered-users/${inst.registered_user_id}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_coldcall123456" } } })).status).toBe(201);
    // A custom rule, so the preloaded rules are not just the defaults: it must redact on the first call.
    const rule = await api.post("/api/v1/security/rules", { key: key.secret, json: { type: "pattern", name: "Currency code", pattern: "[0-9] USD", kind: "CURRENCY", action: "redact", applies_to: "results" } });
    expect(rule.status, rule.text).toBe(201);

    const env = { ...server.env };
    delete env.PORT;
    delete env.DATABASE_URL;
    await server.stop();
    server = await startServer({ db: TEST_DB, dataDir: server.dataDir, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}), env });
    const url = new URL(inst.url);
    url.host = new URL(server.url).host;
    const modern = "2026-07-28";
    const before = await mcpQueries();
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": modern, "mcp-method": "tools/call", "mcp-name": "stripe_get_balance" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "stripe_get_balance", arguments: {}, _meta: { "io.modelcontextprotocol/protocolVersion": modern, "io.modelcontextprotocol/clientCapabilities": {} } } }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const msg = JSON.parse(text.startsWith("{") ? text : /^data: (.*)$/m.exec(text)![1]!);
    expect(msg.result?.isError, text).toBeFalsy();
    expect(text).toContain("[CURRENCY_1]");
    expect(text).not.toMatch(/[0-9] USD/);
    expect(await mcpQueries()).toBe(before + 1);

    // The connection's last use is written a moment later, by a batch that belongs to no request.
    let lastUsed: string | null = null;
    for (let i = 0; i < 30 && !lastUsed; i++) {
      await new Promise((r) => setTimeout(r, 200));
      lastUsed = (await httpClient(server.url).get(`/api/v1/registered-users/${inst.registered_user_id}/connections`, { key: key.secret })).body.data[0].last_used_at;
    }
    expect(lastUsed).toBeTruthy();
    expect(await mcpQueries()).toBe(before + 1);
    expect((await httpClient(server.url).del(`/api/v1/security/rules/${rule.body.id}`, { key: key.secret })).status).toBeLessThan(300);
  }, 120_000);
});

describe(`admission control [${TEST_DB}]`, () => {
  let small: TestServer;
  let slow: http.Server;
  const held: http.ServerResponse[] = [];
  let holding = false;
  let slowUrl = "";

  beforeAll(async () => {
    // An upstream that answers only when told to: requests pile up in flight.
    slow = http.createServer((_req, res) => {
      if (holding) return void held.push(res);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "balance", available: [], pending: [], livemode: false }));
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    slowUrl = `http://127.0.0.1:${(slow.address() as { port: number }).port}`;
    small = await startServer({ db: TEST_DB, env: { LATCHKEY_MAX_INFLIGHT: "2" } });
  }, 120_000);
  afterAll(async () => {
    for (const r of held) r.end();
    await small?.stop();
    await new Promise((r) => slow.close(r));
  });

  it("beyond the in-flight cap, a request gets 503 service_unavailable with Retry-After at once; health still answers", async () => {
    const k = await createApiKeyViaCli(small, "test", "admission");
    const api = httpClient(small.url);
    await api.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: k.secret, json: { base_url: slowUrl } });
    const pack = (await api.post("/api/v1/tool-packs", { key: k.secret, json: { name: "Slow", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).body;
    const inst = (await api.post("/api/v1/mcp-instances/ensure", { key: k.secret, json: { tool_pack_id: pack.id, user_identifier: "slow" } })).body;
    expect((await api.post(`/api/v1/registered-users/${inst.registered_user_id}/connections`, { key: k.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_admission12345" } } })).status).toBe(201);
    const call = (id: number) =>
      fetch(inst.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "stripe_get_balance" },
        body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stripe_get_balance", arguments: {}, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} } } }),
      });
    holding = true;
    const inFlight = [call(1), call(2)];
    for (let i = 0; i < 200 && held.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(held.length).toBe(2);

    const t0 = performance.now();
    const refused = await call(3);
    const elapsed = performance.now() - t0;
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error.code).toBe("service_unavailable");
    expect(elapsed).toBeLessThan(500);
    expect((await fetch(`${small.url}/api/health`)).status).toBe(200);

    for (const r of held.splice(0)) {
      r.writeHead(200, { "content-type": "application/json" });
      r.end(JSON.stringify({ object: "balance", available: [{ amount: 1, currency: "usd" }], pending: [], livemode: false }));
    }
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
    // Capacity is given back: the next call is served.
    const again = call(4);
    for (let i = 0; i < 200 && held.length < 1; i++) await new Promise((r) => setTimeout(r, 25));
    held.splice(0).forEach((r) => r.end(JSON.stringify({ object: "balance", available: [], pending: [], livemode: false })));
    expect((await again).status).toBe(200);
  }, 60_000);
});
