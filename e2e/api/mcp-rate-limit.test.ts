// L2: MCP rate limits start exactly at the configured quota, per caller, held in the database;
// a forged X-Forwarded-For does not reset them, and another caller is unaffected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type TestServer } from "../helpers/server";

const LIMIT = 20;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ db: TEST_DB, env: { LATCHKEY_MCP_RATE_LIMIT: String(LIMIT), LATCHKEY_MCP_USER_RATE_LIMIT: "1000" } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  cleanupTempDirs();
});

const initialize = (url: string, xff: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "x-forwarded-for": xff },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "l2", version: "1" } } }),
  });

describe(`MCP rate limits [${TEST_DB}]`, () => {
  it("L2: the 21st request in a minute from one caller gets 429 rate_limited with Retry-After; another caller is unaffected", async () => {
    const key = await createApiKeyViaCli(server, "test", "l2");
    const http = client(server.url);
    const pack = (await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "L2", entries: [{ connector: "stripe", tools: "*" }] } })).body;
    const a = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "a" } })).body;
    const b = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "b" } })).body;
    // Fixed one-minute windows: do not start right before a boundary.
    const s = new Date().getSeconds();
    if (s > 45) await new Promise((r) => setTimeout(r, (61 - s) * 1000));
    const results = [];
    for (let i = 0; i < LIMIT + 5; i++) results.push(await initialize(a.url, `10.0.0.${i}`));
    expect(results.slice(0, LIMIT).map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    expect(results.slice(LIMIT).map((r) => r.status)).toEqual(Array(5).fill(429));
    const limited = results[LIMIT]!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await limited.json()).error.code).toBe("rate_limited");
    expect((await initialize(b.url, "10.0.0.1")).status).toBe(200);
  }, 120_000);
});
