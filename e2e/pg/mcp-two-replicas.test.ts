// Two replicas on one PostgreSQL serve one legacy MCP session's requests alternately: session
// ids verify on any replica (HMAC, no per-process memory), and a DELETE on one ends it on both.
// Both replicas cache what the hot path reads (DESIGN §8): a revocation or a pack edit made
// through one reaches the other within a second (LISTEN/NOTIFY).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, type TestServer } from "../helpers/server";

let a: TestServer;
let b: TestServer;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  a = await startServer({ db: "postgres" });
  b = await startServer({ db: "postgres", databaseUrl: a.databaseUrl!, env: a.env });
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stripeApi?.close();
  cleanupTempDirs();
});

const rpc = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(body) });

describe("one legacy MCP session across two replicas [postgres]", () => {
  it("initialize on A, then list and call alternately on A and B; DELETE on B ends it on A", async () => {
    const key = await createApiKeyViaCli(a, "test", "replicas");
    const http = client(a.url);
    await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } });
    const pack = (await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Replicas", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).body;
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "u" } })).body;
    await http.post(`/api/v1/registered-users/${inst.registered_user_id}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_replicas12345" } } });
    const path = new URL(inst.url).pathname;
    const on = (s: TestServer) => `${s.url}${path}`;

    const init = await rpc(on(a), { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
    expect(init.status).toBe(200);
    const sid = init.headers.get("mcp-session-id")!;
    const h = { "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" };
    expect((await rpc(on(b), { jsonrpc: "2.0", method: "notifications/initialized" }, h)).status).toBe(202);
    for (let i = 0; i < 6; i++) {
      const server = i % 2 ? b : a;
      const r = await rpc(on(server), { jsonrpc: "2.0", id: 10 + i, method: i % 3 === 0 ? "tools/list" : "tools/call", params: i % 3 === 0 ? {} : { name: "stripe_get_balance", arguments: {} } }, h);
      expect(r.status, `request ${i} on ${server === a ? "A" : "B"}`).toBe(200);
      const body = await r.json();
      expect(body.error).toBeUndefined();
      if (i % 3 !== 0) expect(body.result.isError).toBeFalsy();
    }
    const del = await fetch(on(b), { method: "DELETE", headers: h });
    expect(del.status).toBe(200);
    expect(await within(1000, async () => (await rpc(on(a), { jsonrpc: "2.0", id: 99, method: "tools/list", params: {} }, h)).status === 404)).toBe(true);
  }, 60_000);

  it("a pack edit and an instance revocation made on A reach B's cache within a second", async () => {
    const key = await createApiKeyViaCli(a, "test", "invalidate");
    const http = client(a.url);
    await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } });
    const pack = (await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Invalidation", entries: [{ connector: "stripe", tools: ["stripe_get_balance", "stripe_list_customers"] }] } })).body;
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "v" } })).body;
    const onB = `${b.url}${new URL(inst.url).pathname}`;
    const modern = (id: number, method: string, params: Record<string, unknown> = {}) =>
      rpc(onB, { jsonrpc: "2.0", id, method, params: { ...params, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} } } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": method });
    const toolNames = async () => ((await (await modern(1, "tools/list")).json()).result.tools as { name: string }[]).map((t) => t.name);
    // Warm B's cache.
    expect(await toolNames()).toContain("stripe_list_customers");
    expect(await toolNames()).toContain("stripe_list_customers");

    expect((await http.req(`/api/v1/tool-packs/${pack.id}`, { method: "PATCH", key: key.secret, json: { entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).status).toBe(200);
    expect(await within(1000, async () => !(await toolNames()).includes("stripe_list_customers"))).toBe(true);

    expect((await http.req(`/api/v1/mcp-instances/${inst.id}`, { method: "DELETE", key: key.secret })).status).toBe(200);
    expect(await within(1000, async () => (await modern(2, "tools/list")).status === 401)).toBe(true);
  }, 60_000);
});

/** Whether `check` comes true within `ms` (polled), starting right away. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
