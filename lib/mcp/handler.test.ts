import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { handleMcp, MAX_JSON_DEPTH, tooLargeResponse } from "@/lib/mcp/handler";
import { mintSessionId } from "@/lib/mcp/session-id";
import { memorySessionStore, TEST_SECRET, TEST_TOOLS, testEndpoint } from "@/lib/mcp/test-backend";
import type { McpEndpoint, McpHttpResponse } from "@/lib/mcp/types";
import { fromWebRequest, toWebResponse } from "@/lib/mcp/web-adapter";

const URL_ = "http://127.0.0.1:3000/mcp/i/test";
const MODERN = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "raw", version: "0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const ACCEPT = "application/json, text/event-stream";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Drives the real handler in-process: Web Request → fromWebRequest → handleMcp → toWebResponse. */
function inProcessFetch(ep: McpEndpoint, seen?: Request[]) {
  return async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(url, init);
    seen?.push(req.clone());
    const r = await fromWebRequest(req, 1_000_000);
    if ("tooLarge" in r) return toWebResponse(tooLargeResponse());
    return toWebResponse(await handleMcp(r, ep));
  };
}

function raw(ep: McpEndpoint, r: { method?: string; headers?: Record<string, string>; body?: unknown }): Promise<McpHttpResponse> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: ACCEPT, host: "127.0.0.1:3000", ...r.headers };
  const body = r.body === undefined ? null : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
  return handleMcp({ method: r.method ?? "POST", path: "/mcp/i/test", headers, body }, ep);
}

function bodyOf(res: McpHttpResponse): { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } } {
  if (res.headers["content-type"] === "text/event-stream") {
    const line = res.body.split("\n").find((l) => l.startsWith("data: "));
    return JSON.parse(line!.slice(6));
  }
  return JSON.parse(res.body);
}

async function initialize(ep: McpEndpoint, protocolVersion = "2025-11-25") {
  const res = await raw(ep, {
    body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion, capabilities: {}, clientInfo: { name: "raw", version: "0" } } },
  });
  return { res, sid: res.headers["mcp-session-id"]! };
}

const legacyHeaders = (sid: string, pv = "2025-11-25") => ({ "mcp-session-id": sid, "mcp-protocol-version": pv });

function modernRequest(
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  id: number | string = 7,
): { headers: Record<string, string>; body: Record<string, unknown> } {
  const name: Record<string, string> = typeof params.name === "string" ? { "mcp-name": params.name } : {};
  return {
    headers: { "mcp-protocol-version": MODERN, "mcp-method": method, ...name, ...headers },
    body: { jsonrpc: "2.0", id, method, params: { _meta: META, ...params } },
  };
}

describe("legacy era through the real v1 SDK client (@modelcontextprotocol/sdk 1.32.2)", () => {
  it("connects, lists and calls tools, surfaces tool errors, 403 and crashes, then ends the session with DELETE", async () => {
    const ep = testEndpoint();
    const seen: Request[] = [];
    const transport = new StreamableHTTPClientTransport(new URL(URL_), { fetch: inProcessFetch(ep, seen) });
    const client = new Client({ name: "vitest", version: "1.0.0" });
    await client.connect(transport);

    expect(client.getServerVersion()).toEqual(ep.backend.serverInfo);
    expect(client.getServerCapabilities()).toEqual({ tools: { listChanged: false } });
    expect(client.getInstructions()).toBe("Use echo to repeat text.");
    const sid = transport.sessionId!;
    expect(sid).toMatch(/^[A-Za-z0-9_-]{72}$/);
    expect(transport.protocolVersion).toBe("2025-11-25");

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(TEST_TOOLS.map((t) => t.name));

    const echoed = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(echoed).toEqual({ content: [{ type: "text", text: "echo: hi" }], structuredContent: { text: "hi" } });
    expect(ep.backend.calls.at(-1)).toMatchObject({ name: "echo", args: { text: "hi" } });

    const failed = await client.callTool({ name: "fail", arguments: {} });
    expect(failed.isError).toBe(true);

    await expect(client.callTool({ name: "not_in_pack", arguments: {} })).rejects.toMatchObject({ code: 403, message: expect.stringContaining("unauthorized_tool") });

    const logged = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await expect(client.callTool({ name: "crash", arguments: {} })).rejects.toMatchObject({ code: -32603, message: expect.stringContaining("Internal error") });
    const line = logged.mock.calls.map((c) => String(c[0])).find((l) => l.includes("mcp backend failed"));
    expect(line).toBeDefined();
    expect(line).not.toContain("\n    at ");

    // What the client actually sent: the session and the negotiated version on every later POST.
    const posts = seen.filter((r) => r.method === "POST");
    expect(posts[0]!.headers.get("mcp-session-id")).toBeNull();
    for (const p of posts.slice(1)) {
      expect(p.headers.get("mcp-session-id")).toBe(sid);
      expect(p.headers.get("mcp-protocol-version")).toBe("2025-11-25");
    }
    // The client's optional GET stream was refused with 405, which it accepts.
    expect(seen.some((r) => r.method === "GET")).toBe(true);

    await transport.terminateSession();
    await expect(ep.sessions.isTerminated(sid)).resolves.toBe(true);
    await client.close();

    const after = await raw(ep, { headers: legacyHeaders(sid), body: { jsonrpc: "2.0", id: 9, method: "tools/list" } });
    expect(after.status).toBe(404);
    expect(bodyOf(after).error?.code).toBe(-32001);

    // A fresh client using the ended id is refused too.
    const again = new StreamableHTTPClientTransport(new URL(URL_), { fetch: inProcessFetch(ep), sessionId: sid });
    await again.start();
    await expect(again.send({ jsonrpc: "2.0", id: 1, method: "tools/list" })).rejects.toMatchObject({ code: 404 });
    await again.close();
  });

  it("cancels a slow tool call when the client sends notifications/cancelled", async () => {
    const ep = testEndpoint();
    const client = new Client({ name: "vitest", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(URL_), { fetch: inProcessFetch(ep) }));
    const abort = new AbortController();
    const pending = client.callTool({ name: "slow", arguments: {} }, undefined, { signal: abort.signal });
    setTimeout(() => abort.abort("user gave up"), 50);
    await expect(pending).rejects.toThrow();
    const ended = await ep.backend.slowEnded;
    expect(ended.aborted).toBe(true);
    expect(ended.ms).toBeLessThan(1500);
    await client.close();
  });

  it("serves the SDK's older protocol versions when the client asks for them", async () => {
    for (const pv of ["2025-06-18", "2025-03-26"]) {
      const ep = testEndpoint();
      const { res, sid } = await initialize(ep, pv);
      expect(bodyOf(res).result?.protocolVersion).toBe(pv);
      const list = await raw(ep, { headers: legacyHeaders(sid, pv), body: { jsonrpc: "2.0", id: 2, method: "tools/list" } });
      expect(list.status).toBe(200);
    }
  });
});

describe("modern era (2026-07-28) through the real v2 client (@modelcontextprotocol/client 2.4.0)", () => {
  for (const mode of [{ pin: MODERN }, "auto"] as const) {
    it(`connects (${typeof mode === "string" ? mode : "pinned"}), discovers, lists and calls tools; 403 and tool errors surface`, async () => {
      const ep = testEndpoint();
      const seen: Request[] = [];
      const client = new ModernClient({ name: "vitest", version: "2.0.0" }, { versionNegotiation: { mode } });
      const transport = new ModernTransport(new URL(URL_), { fetch: inProcessFetch(ep, seen) });
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: "latchkey-test", version: "1.2.3" });
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);

      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(TEST_TOOLS.map((t) => t.name));
      const echoed = await client.callTool({ name: "echo", arguments: { text: "modern" } });
      expect(echoed.content).toEqual([{ type: "text", text: "echo: modern" }]);
      expect((await client.callTool({ name: "fail", arguments: {} })).isError).toBe(true);
      await expect(client.callTool({ name: "not_in_pack", arguments: {} })).rejects.toMatchObject({
        data: { status: 403, text: expect.stringContaining("unauthorized_tool") },
      });
      vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      await expect(client.callTool({ name: "crash", arguments: {} })).rejects.toMatchObject({ code: -32603 });
      await client.close();

      // Stateless: nothing was minted, everything was a POST with the mirrored headers.
      expect(seen.every((r) => r.method === "POST")).toBe(true);
      const call = seen.find((r) => r.headers.get("mcp-method") === "tools/call");
      expect(call?.headers.get("mcp-name")).toBe("echo");
      expect(call?.headers.get("mcp-protocol-version")).toBe(MODERN);
      expect(call?.headers.get("mcp-session-id")).toBeNull();
    });
  }

  it("a v2 client left on its default legacy mode still gets a legacy session", async () => {
    const ep = testEndpoint();
    const client = new ModernClient({ name: "vitest", version: "2.0.0" });
    await client.connect(new ModernTransport(new URL(URL_), { fetch: inProcessFetch(ep) }));
    expect((await client.callTool({ name: "echo", arguments: { text: "x" } })).content).toEqual([{ type: "text", text: "echo: x" }]);
    await client.close();
  });
});

describe("legacy sessions (T3)", () => {
  it("mints a visible-ASCII id carrying 128+ random bits, different on every initialize", async () => {
    const ep = testEndpoint();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await initialize(ep)).sid);
    expect(ids.size).toBe(20);
    for (const id of ids) for (const ch of id) expect(ch.charCodeAt(0)).toBeGreaterThanOrEqual(0x21);
  });

  it("refuses a missing (400), forged, other-binding, expired or terminated (404) session", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    const list = (headers: Record<string, string>) => raw(ep, { headers, body: { jsonrpc: "2.0", id: 3, method: "tools/list" } });

    const ok = await list(legacyHeaders(sid));
    expect(ok.status).toBe(200);

    const missing = await list({ "mcp-protocol-version": "2025-11-25" });
    expect(missing.status).toBe(400);
    expect(bodyOf(missing)).toMatchObject({ id: 3, error: { code: -32000 } });

    const flipped = sid.slice(0, 40) + (sid[40] === "A" ? "B" : "A") + sid.slice(41);
    for (const forged of [flipped, "not-a-session", sid + "x", sid.replace(/.$/, "="), `${sid.slice(0, 71)}.`]) {
      const res = await list(legacyHeaders(forged));
      expect(res.status).toBe(404);
      expect(bodyOf(res).error?.code).toBe(-32001);
    }

    // Same secret, another user's binding: the id is worth nothing there.
    const other = testEndpoint({ binding: "env_1:api_key:key_1:tp_1:ru_2", sessions: ep.sessions });
    expect((await raw(other, { headers: legacyHeaders(sid), body: { jsonrpc: "2.0", id: 3, method: "tools/list" } })).status).toBe(404);

    const old = mintSessionId(TEST_SECRET, ep.binding, "2025-11-25", Date.now() - 24 * 3600 * 1000 - 1000);
    expect((await list(legacyHeaders(old))).status).toBe(404);

    const del = await raw(ep, { method: "DELETE", headers: legacyHeaders(sid) });
    expect(del.status).toBe(200);
    expect((await list(legacyHeaders(sid))).status).toBe(404);
    expect((await raw(ep, { method: "DELETE", headers: legacyHeaders(sid) })).status).toBe(404);
    expect((await raw(ep, { method: "DELETE", headers: {} })).status).toBe(400);
  });

  it("does not ask the store about forged ids, and answers 503 when the store is down", async () => {
    const store = memorySessionStore();
    const ep = testEndpoint({ sessions: store });
    const { sid } = await initialize(ep);
    const spy = vi.spyOn(store, "isTerminated");
    await raw(ep, { headers: legacyHeaders("A".repeat(72)), body: { jsonrpc: "2.0", id: 1, method: "ping" } });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRejectedValue(new Error("db down"));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const res = await raw(ep, { headers: legacyHeaders(sid), body: { jsonrpc: "2.0", id: 1, method: "ping" } });
    expect(res.status).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
  });

  it("checks MCP-Protocol-Version: unsupported → 400; missing → inferred from the session", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    for (const pv of ["2024-01-01", "garbage", "2025-11-25x"]) {
      const res = await raw(ep, { headers: legacyHeaders(sid, pv), body: { jsonrpc: "2.0", id: 4, method: "ping" } });
      expect(res.status).toBe(400);
      expect(bodyOf(res)).toMatchObject({ id: 4, error: { code: -32022, data: { requested: pv } } });
    }
    const inferred = await raw(ep, { headers: { "mcp-session-id": sid }, body: { jsonrpc: "2.0", id: 5, method: "ping" } });
    expect(inferred.status).toBe(200);
    expect(bodyOf(inferred)).toEqual({ jsonrpc: "2.0", id: 5, result: {} });
  });

  it("answers notifications and responses with 202, unknown methods in-band with -32601, GET with 405", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    const h = legacyHeaders(sid);
    const note = await raw(ep, { headers: h, body: { jsonrpc: "2.0", method: "notifications/initialized" } });
    expect(note).toMatchObject({ status: 202, body: "" });
    expect((await raw(ep, { headers: h, body: { jsonrpc: "2.0", id: 1, result: {} } })).status).toBe(202);
    const unknown = await raw(ep, { headers: h, body: { jsonrpc: "2.0", id: 6, method: "resources/list" } });
    expect(unknown.status).toBe(200);
    expect(bodyOf(unknown)).toMatchObject({ id: 6, error: { code: -32601 } });
    const get = await raw(ep, { method: "GET", headers: { ...h, accept: "text/event-stream" } });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toContain("POST");
  });

  it("negotiates: echoes a supported version, else offers the latest legacy one", async () => {
    const ep = testEndpoint();
    for (const [asked, got] of [
      ["2025-06-18", "2025-06-18"],
      ["2025-11-25", "2025-11-25"],
      ["2024-11-05", "2025-11-25"],
      ["2026-07-28", "2025-11-25"],
    ] as const) {
      const { res } = await initialize(ep, asked);
      expect(bodyOf(res).result).toEqual({
        protocolVersion: got,
        capabilities: { tools: { listChanged: false } },
        serverInfo: ep.backend.serverInfo,
        instructions: "Use echo to repeat text.",
      });
    }
  });

  it("streams SSE when the client prefers it: a priming event (2025-11-25) then one message", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    const sse = await raw(ep, { headers: { ...legacyHeaders(sid), accept: "text/event-stream" }, body: { jsonrpc: "2.0", id: 8, method: "tools/list" } });
    expect(sse.headers["content-type"]).toBe("text/event-stream");
    expect(sse.headers["x-accel-buffering"]).toBe("no");
    expect(sse.headers["cache-control"]).toBe("no-store");
    const events = sse.body.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatch(/^id: [0-9a-f-]{36}\ndata:$/);
    expect(events[1]!.startsWith("event: message\ndata: {")).toBe(true);
    expect(bodyOf(sse)).toMatchObject({ id: 8, result: { tools: TEST_TOOLS } });

    const { sid: old } = await initialize(ep, "2025-06-18");
    const plain = await raw(ep, {
      headers: { ...legacyHeaders(old, "2025-06-18"), accept: "application/json;q=0.5, text/event-stream" },
      body: { jsonrpc: "2.0", id: 8, method: "ping" },
    });
    expect(plain.body).toBe(`event: message\ndata: {"jsonrpc":"2.0","id":8,"result":{}}\n\n`);

    const both = await raw(ep, { headers: { ...legacyHeaders(sid), accept: "*/*" }, body: { jsonrpc: "2.0", id: 8, method: "ping" } });
    expect(both.headers["content-type"]).toBe("application/json");
  });

  it("validates tools/call params in-band", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    for (const params of [undefined, {}, { name: 5 }, { name: "echo", arguments: [] }, { name: "echo", arguments: null }, { name: "echo", arguments: "x" }]) {
      const res = await raw(ep, { headers: legacyHeaders(sid), body: { jsonrpc: "2.0", id: 10, method: "tools/call", ...(params ? { params } : {}) } });
      expect(res.status).toBe(200);
      expect(bodyOf(res).error?.code).toBe(-32602);
    }
    expect(ep.backend.calls).toHaveLength(0);
    const noArgs = await raw(ep, { headers: legacyHeaders(sid), body: { jsonrpc: "2.0", id: 11, method: "tools/call", params: { name: "fail" } } });
    expect(bodyOf(noArgs).result?.isError).toBe(true);
    expect(ep.backend.calls[0]!.args).toEqual({});
  });

  it("turns a backend McpHttpError into its HTTP status with the request id", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    const res = await raw(ep, { headers: legacyHeaders(sid), body: { jsonrpc: "2.0", id: "abc", method: "tools/call", params: { name: "nope" } } });
    expect(res.status).toBe(403);
    expect(bodyOf(res)).toEqual({
      jsonrpc: "2.0",
      id: "abc",
      error: { code: -32003, message: 'The tool "nope" is not in the tool pack.', data: { code: "unauthorized_tool", tool: "nope" } },
    });
  });
});

describe("modern era raw protocol", () => {
  it("server/discover: versions, capabilities, identity, instructions and cache hints", async () => {
    const ep = testEndpoint();
    const r = modernRequest("server/discover");
    const res = await raw(ep, r);
    expect(res.status).toBe(200);
    expect(res.headers["mcp-session-id"]).toBeUndefined();
    expect(bodyOf(res)).toEqual({
      jsonrpc: "2.0",
      id: 7,
      result: {
        resultType: "complete",
        supportedVersions: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"],
        capabilities: { tools: {} },
        instructions: "Use echo to repeat text.",
        _meta: { "io.modelcontextprotocol/serverInfo": ep.backend.serverInfo },
        ttlMs: 300000,
        cacheScope: "private",
      },
    });
  });

  it("tools/list and tools/call carry resultType; lists carry ttlMs and cacheScope", async () => {
    const ep = testEndpoint();
    const list = bodyOf(await raw(ep, modernRequest("tools/list", { cursor: "ignored" })));
    expect(list.result).toEqual({ tools: TEST_TOOLS, ttlMs: 60000, cacheScope: "private", resultType: "complete" });
    const call = bodyOf(await raw(ep, modernRequest("tools/call", { name: "echo", arguments: { text: "a" } })));
    expect(call.result).toMatchObject({ resultType: "complete", content: [{ type: "text", text: "echo: a" }] });
  });

  it("ignores Mcp-Session-Id and never mints one", async () => {
    const ep = testEndpoint();
    const res = await raw(ep, modernRequest("tools/list", {}, { "mcp-session-id": "whatever" }));
    expect(res.status).toBe(200);
    expect(res.headers["mcp-session-id"]).toBeUndefined();
  });

  it("header mismatches and missing headers → 400 -32020", async () => {
    const ep = testEndpoint();
    const cases: [string, ReturnType<typeof modernRequest>][] = [
      ["method mismatch", modernRequest("tools/list", {}, { "mcp-method": "prompts/list" })],
      ["method case", modernRequest("tools/list", {}, { "mcp-method": "TOOLS/LIST" })],
      ["name mismatch", modernRequest("tools/call", { name: "echo" }, { "mcp-name": "wrong_tool" })],
      ["bad base64 name", modernRequest("tools/call", { name: "echo" }, { "mcp-name": "=?base64?ZWNob!!?=" })],
      ["version mismatch", modernRequest("tools/list", { _meta: { ...META, "io.modelcontextprotocol/protocolVersion": "v999" } })],
    ];
    const missingMethod = modernRequest("tools/list");
    delete missingMethod.headers["mcp-method"];
    cases.push(["missing Mcp-Method", missingMethod]);
    const missingName = modernRequest("tools/call", { name: "echo" });
    delete missingName.headers["mcp-name"];
    cases.push(["missing Mcp-Name", missingName]);
    const missingVersion = modernRequest("tools/list");
    delete missingVersion.headers["mcp-protocol-version"];
    cases.push(["missing MCP-Protocol-Version", missingVersion]);
    for (const [label, r] of cases) {
      const res = await raw(ep, r);
      expect({ label, status: res.status, code: bodyOf(res).error?.code, id: bodyOf(res).id }).toEqual({ label, status: 400, code: -32020, id: 7 });
    }
    expect(ep.backend.calls).toHaveLength(0);
  });

  it("accepts OWS around header values, any header-name case (adapters lower-case them), and base64-sentinel names", async () => {
    const ep = testEndpoint();
    expect((await raw(ep, modernRequest("tools/call", { name: "echo", arguments: { text: "x" } }, { "mcp-name": "  echo  " }))).status).toBe(200);
    const unicode = "écho 世界";
    const b64 = `=?base64?${Buffer.from(unicode).toString("base64")}?=`;
    const res = await raw(ep, modernRequest("tools/call", { name: unicode }, { "mcp-name": b64 }));
    expect(res.status).toBe(403); // reached the backend: not in the pack
    const web = await inProcessFetch(ep)(URL_, {
      method: "POST",
      headers: { "MCP-METHOD": "tools/list", "Mcp-Protocol-Version": MODERN, Accept: ACCEPT, "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: META } }),
    });
    expect(web.status).toBe(200);
  });

  it("unsupported version → 400 -32022 listing supported versions and echoing the request", async () => {
    const ep = testEndpoint();
    const r = modernRequest("server/discover", { _meta: { ...META, "io.modelcontextprotocol/protocolVersion": "v999.0.0" } }, { "mcp-protocol-version": "v999.0.0" }, 301);
    const res = await raw(ep, r);
    expect(res.status).toBe(400);
    expect(bodyOf(res)).toEqual({
      jsonrpc: "2.0",
      id: 301,
      error: { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"], requested: "v999.0.0" } },
    });
  });

  it("a missing or malformed _meta envelope → 400 -32602", async () => {
    const ep = testEndpoint();
    const without = (key: keyof typeof META) => Object.fromEntries(Object.entries(META).filter(([k]) => k !== key));
    const noVersion = without("io.modelcontextprotocol/protocolVersion");
    const noCaps = without("io.modelcontextprotocol/clientCapabilities");
    const noInfo = without("io.modelcontextprotocol/clientInfo");
    for (const params of [{}, { _meta: noVersion }, { _meta: noCaps }, { _meta: { ...META, "io.modelcontextprotocol/clientInfo": "x" } }]) {
      const res = await raw(ep, { headers: { "mcp-protocol-version": MODERN, "mcp-method": "server/discover" }, body: { jsonrpc: "2.0", id: 101, method: "server/discover", params } });
      expect(res.status).toBe(400);
      expect(bodyOf(res)).toMatchObject({ id: 101, error: { code: -32602 } });
    }
    // clientInfo is only a SHOULD.
    const res = await raw(ep, { headers: { "mcp-protocol-version": MODERN, "mcp-method": "server/discover" }, body: { jsonrpc: "2.0", id: 105, method: "server/discover", params: { _meta: noInfo } } });
    expect(res.status).toBe(200);
  });

  it("removed and unknown methods → 404 -32601 with the request id", async () => {
    const ep = testEndpoint();
    for (const method of ["initialize", "ping", "logging/setLevel", "resources/subscribe", "unknown/method"]) {
      const res = await raw(ep, modernRequest(method, {}, {}, 500));
      expect({ method, status: res.status, body: bodyOf(res) }).toMatchObject({ method, status: 404, body: { id: 500, error: { code: -32601 } } });
    }
  });

  it("GET and DELETE → 405; notifications → 202; posted responses → 400", async () => {
    const ep = testEndpoint();
    for (const method of ["GET", "DELETE"]) {
      const res = await raw(ep, { method, headers: { "mcp-protocol-version": MODERN } });
      expect(res.status).toBe(405);
    }
    const note = await raw(ep, { headers: { "mcp-protocol-version": MODERN }, body: { jsonrpc: "2.0", method: "notifications/whatever", params: { _meta: META } } });
    expect(note.status).toBe(202);
    const response = await raw(ep, { headers: { "mcp-protocol-version": MODERN }, body: { jsonrpc: "2.0", id: 1, result: {} } });
    expect(response.status).toBe(400);
    expect(bodyOf(response).error?.code).toBe(-32600);
  });

  it("stops a tool call when the client closes the response stream (request signal)", async () => {
    const ep = testEndpoint();
    const abort = new AbortController();
    const r = modernRequest("tools/call", { name: "slow" });
    const pending = handleMcp(
      { method: "POST", path: "/", headers: { "content-type": "application/json", accept: ACCEPT, ...r.headers }, body: JSON.stringify(r.body), signal: abort.signal },
      ep,
    );
    setTimeout(() => abort.abort(), 30);
    const res = await pending;
    expect((await ep.backend.slowEnded).aborted).toBe(true);
    expect(bodyOf(res).error?.code).toBe(-32800);
  });

  it("a legacy-only client (no headers, no _meta) is never sent into the modern era", async () => {
    const ep = testEndpoint();
    const res = await raw(ep, { body: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
    expect(res.status).toBe(400);
    expect(bodyOf(res).error?.code).toBe(-32000);
  });
});

describe("Origin and CORS (K4)", () => {
  it("refuses a foreign Origin with 403 before anything else, on every method", async () => {
    const ep = testEndpoint();
    for (const method of ["POST", "GET", "DELETE", "OPTIONS"]) {
      for (const origin of ["https://evil.example", "null", "https://app.example.com.evil.example", "https://APP.example.com"]) {
        const res = await raw(ep, { method, headers: { origin }, body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25" } } });
        expect(res.status).toBe(403);
        expect(JSON.parse(res.body).error.code).toBe(-32000);
        expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      }
    }
  });

  it("refuses a DNS-rebinding probe where Host and Origin both carry the attacker's name", async () => {
    const ep = testEndpoint();
    const res = await raw(ep, { headers: { host: "evil.example:3000", origin: "http://evil.example:3000" }, body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25" } } });
    expect(res.status).toBe(403);
  });

  it("allows listed origins and the loopback origin of the request itself, with CORS headers", async () => {
    const ep = testEndpoint();
    for (const [origin, host] of [
      ["https://app.example.com", "gw.example.com"],
      ["http://127.0.0.1:3000", "127.0.0.1:3000"],
      ["http://localhost:3000", "localhost:3000"],
      ["http://[::1]:3000", "[::1]:3000"],
    ] as const) {
      const res = await raw(ep, { headers: { origin, host }, body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25" } } });
      expect(res.status).toBe(200);
      expect(res.headers["access-control-allow-origin"]).toBe(origin);
      expect(res.headers["access-control-expose-headers"]).toBe("Mcp-Session-Id, MCP-Protocol-Version");
      expect(res.headers.vary).toBe("Origin");
    }
  });

  it("answers an allowed preflight with 204", async () => {
    const ep = testEndpoint();
    const res = await raw(ep, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type, mcp-session-id, mcp-param-region" },
    });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect(res.headers["access-control-allow-methods"]).toContain("POST");
    expect(res.headers["access-control-allow-headers"]).toBe("content-type, mcp-session-id, mcp-param-region");
    const weird = await raw(ep, { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-headers": "x\r\ny: z" } });
    expect(weird.headers["access-control-allow-headers"]).toContain("mcp-protocol-version");
  });
});

describe("input hardening (B2)", () => {
  it("batch → 400 -32600; malformed JSON → 400 -32700; bad envelope fields → 400 -32600", async () => {
    const ep = testEndpoint();
    const batch = await raw(ep, { body: [{ jsonrpc: "2.0", id: 1, method: "ping" }] });
    expect(batch.status).toBe(400);
    expect(JSON.parse(batch.body)).toEqual({ jsonrpc: "2.0", error: { code: -32600, message: expect.stringContaining("batch") } });
    for (const body of ["{", "", "nul", '{"jsonrpc":"2.0",}', "\u0000"]) {
      const res = await raw(ep, { body });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe(-32700);
    }
    for (const body of [
      { jsonrpc: "1.0", id: 1, method: "ping" },
      { id: 1, method: "ping" },
      { jsonrpc: "2.0", id: 1, method: 5 },
      { jsonrpc: "2.0", id: 1.5, method: "ping" },
      { jsonrpc: "2.0", id: null, method: "ping" },
      { jsonrpc: "2.0", id: {}, method: "ping" },
      { jsonrpc: "2.0", id: 2 ** 60, method: "ping" },
      { jsonrpc: "2.0", id: 1, method: "ping", params: [1] },
      { jsonrpc: "2.0", id: 1 },
      "string",
      42,
      null,
    ]) {
      const res = await raw(ep, { body: JSON.stringify(body) });
      expect({ body, status: res.status, code: JSON.parse(res.body).error.code }).toEqual({ body, status: 400, code: -32600 });
    }
  });

  it("a body not declared as application/json → 415 -32000 in both eras, before it is parsed", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    const legacyList = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" });
    const modern = modernRequest("tools/list");
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } } });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-seq", "text/json", ""]) {
      const cases = [
        { headers: { "content-type": type }, body: init },
        { headers: { ...legacyHeaders(sid), "content-type": type }, body: legacyList },
        { headers: { ...modern.headers, "content-type": type }, body: JSON.stringify(modern.body) },
        { headers: { ...legacyHeaders(sid), "content-type": type }, body: "{" },
      ];
      for (const c of cases) {
        const res = await raw(ep, c);
        expect({ type, status: res.status }).toEqual({ type, status: 415 });
        expect(JSON.parse(res.body)).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: expect.stringContaining("application/json") } });
      }
    }
    // No Content-Type at all is refused the same way.
    const bare = await handleMcp({ method: "POST", path: "/mcp/i/test", headers: { accept: ACCEPT, ...legacyHeaders(sid) }, body: legacyList }, ep);
    expect(bare.status).toBe(415);
    // Parameters and case do not matter.
    for (const type of ["application/json; charset=utf-8", "Application/JSON"]) {
      expect((await raw(ep, { headers: { ...legacyHeaders(sid), "content-type": type }, body: legacyList })).status).toBe(200);
    }
    expect(ep.backend.calls).toEqual([]);
  });

  it("refuses 10^4-deep nesting quickly, and depth 64 is still fine", async () => {
    const ep = testEndpoint();
    for (const deep of ["[".repeat(10_000) + "]".repeat(10_000), `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}}`]) {
      const t = performance.now();
      const res = await raw(ep, { body: deep });
      expect(performance.now() - t).toBeLessThan(50);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.message).toContain("nested");
    }
    const { sid } = await initialize(ep);
    const nested = (d: number) => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","n":${"[".repeat(d - 3)}${"]".repeat(d - 3)}}}}`;
    expect((await raw(ep, { headers: legacyHeaders(sid), body: nested(MAX_JSON_DEPTH) })).status).toBe(200);
    expect((await raw(ep, { headers: legacyHeaders(sid), body: nested(MAX_JSON_DEPTH + 1) })).status).toBe(400);
    // Brackets inside strings, with escaped quotes, do not count.
    const inString = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: `\\"${"[".repeat(200)}"` } } });
    expect((await raw(ep, { headers: legacyHeaders(sid), body: inString })).status).toBe(200);
  });

  it("passes NUL and lone surrogates through without throwing", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    const text = "a\u0000b\ud800c\udfff";
    const res = await raw(ep, { headers: legacyHeaders(sid), body: JSON.stringify({ jsonrpc: "2.0", id: "\ud800", method: "tools/call", params: { name: "echo", arguments: { text } } }) });
    expect(res.status).toBe(200);
    expect(bodyOf(res)).toMatchObject({ id: "\ud800", result: { content: [{ text: `echo: ${text}` }] } });
  });

  it("tooLargeResponse() is a 413 JSON-RPC error", () => {
    const res = tooLargeResponse();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
  });

  it("property: any body, in either era, answers a JSON-RPC error, a result or 202 — never a throw or a 5xx", async () => {
    const ep = testEndpoint();
    const { sid } = await initialize(ep);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const jsonish = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          jsonrpc: fc.oneof(fc.constant("2.0"), fc.jsonValue()),
          id: fc.oneof(fc.integer(), fc.string(), fc.jsonValue()),
          method: fc.oneof(fc.constantFrom("initialize", "ping", "tools/list", "tools/call", "server/discover", "notifications/cancelled"), fc.jsonValue()),
          params: fc.oneof(fc.jsonValue(), fc.record({ name: fc.oneof(fc.constantFrom("echo", "fail", "crash", "x"), fc.jsonValue()), arguments: fc.jsonValue(), _meta: fc.oneof(fc.constant(META), fc.jsonValue()) })),
        }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
    );
    const headerSets = fc.constantFrom<Record<string, string>>(
      {},
      legacyHeaders(sid),
      { "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "echo" },
      { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" },
      { "mcp-protocol-version": "bogus" },
    );
    await fc.assert(
      fc.asyncProperty(jsonish, headerSets, async (body, headers) => {
        const res = await raw(ep, { headers, body });
        expect(res.status).toBeLessThan(500);
        if (res.status === 202) {
          expect(res.body).toBe("");
          return;
        }
        const msg = bodyOf(res);
        expect(msg.result !== undefined || (msg.error !== undefined && Number.isInteger(msg.error.code))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
