// L4: no database connection is held during upstream I/O. On PostgreSQL with a pool of 2,
// twelve tool calls (and a cold tools/list) wait on a slow upstream MCP server at once; the
// REST API, which needs a connection for every request, still answers at once.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, type TestServer } from "../helpers/server";

let server: TestServer;
let upstream: http.Server;
let upstreamUrl = "";
let inFlight = 0;
let maxInFlight = 0;
const DELAY_MS = 3_000;

beforeAll(async () => {
  upstream = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    let msg: { id?: number; method: string };
    try {
      msg = JSON.parse(body) as typeof msg;
    } catch {
      return void res.writeHead(400).end();
    }
    const reply = (result: unknown, headers: Record<string, string> = {}) => res.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }));
    if (msg.method === "initialize") return reply({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "slow", version: "1" } }, { "mcp-session-id": "s" });
    if (msg.id === undefined) return void res.writeHead(202).end();
    if (msg.method !== "tools/list" && msg.method !== "tools/call") return void res.writeHead(400).end();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, DELAY_MS));
    inFlight--;
    if (res.destroyed) return;
    if (msg.method === "tools/list") return reply({ tools: [{ name: "work", description: "Slow work.", inputSchema: { type: "object" } }] });
    return reply({ content: [{ type: "text", text: "done" }] });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  const port = (upstream.address() as AddressInfo).port;
  upstreamUrl = `http://127.0.0.1:${port}/mcp`;
  server = await startServer({
    db: "postgres",
    env: { DATABASE_POOL_MAX: "2", LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${port}`, LATCHKEY_UPSTREAM_CONCURRENCY: "64", LATCHKEY_UPSTREAM_TIMEOUT_MS: "20000", LATCHKEY_MCP_RATE_LIMIT: "100000", LATCHKEY_MCP_USER_RATE_LIMIT: "100000" },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
  cleanupTempDirs();
});

const rpc = (url: string, id: number, method: string, params: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json", "mcp-protocol-version": "2025-11-25", ...headers }, body: JSON.stringify({ jsonrpc: "2.0", id, method, params }) });

describe("L4 no DB connection held during upstream I/O [postgres]", () => {
  it("with a pool of 2 and 12 calls waiting on a slow upstream, REST requests still get a connection at once", async () => {
    const key = await createApiKeyViaCli(server, "test", "l4");
    const api = client(server.url);
    expect((await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Slow", slug: "slow", url: upstreamUrl, auth: { mode: "none" } } })).status).toBe(201);
    const pack = (await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Slow", entries: [{ server: "slow", tools: "*" }] } })).body;
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) urls.push((await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: `l4-${i}` } })).body.url);
    const sessions = await Promise.all(
      urls.map(async (u) => {
        const init = await rpc(u, 1, "initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "l4", version: "1" } });
        return { url: u, sid: init.headers.get("mcp-session-id")! };
      }),
    );

    // A cold tools/list (the upstream is asked, then the tool hashes are written) and 12 tool calls, all slow upstream.
    const t0 = Date.now();
    const slowOnes: Promise<Response>[] = [rpc(sessions[0]!.url, 2, "tools/list", {}, { "mcp-session-id": sessions[0]!.sid })];
    for (let i = 0; i < 12; i++) {
      const s = sessions[i % 3]!;
      slowOnes.push(rpc(s.url, 10 + i, "tools/call", { name: "slow__work", arguments: {} }, { "mcp-session-id": s.sid }));
    }
    await new Promise((r) => setTimeout(r, 700));
    expect(maxInFlight, "the upstream calls are under way").toBeGreaterThanOrEqual(1);
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      const s = performance.now();
      const r = await api.get(i % 2 ? "/api/v1/mcp-servers" : "/api/v1/tool-packs", { key: key.secret });
      expect(r.status, r.text).toBe(200);
      latencies.push(performance.now() - s);
    }
    const restDone = Date.now() - t0;
    // Every REST call finished while the upstream was still working on the slow ones.
    expect(restDone).toBeLessThan(DELAY_MS * 2);
    expect(Math.max(...latencies)).toBeLessThan(1_500);
    const answers = await Promise.all(slowOnes.map(async (r) => (await r).json()));
    for (const a of answers) expect(a.error, JSON.stringify(a)).toBeUndefined();
    expect(answers.filter((a) => a.result?.content?.[0]?.text === "done")).toHaveLength(12);
    expect(maxInFlight).toBeGreaterThanOrEqual(6);
  }, 90_000);
});
