// B2 (SECURITY-CHECKS): MCP JSON-RPC fuzzing against the production server's instance URL, in
// both protocol eras (legacy with a live session, modern 2026-07-28 with its headers and _meta):
// malformed JSON, raw invalid UTF-8, batches, huge ids, unknown methods, 10^4-deep nesting, NUL
// and lone surrogates, bodies over LATCHKEY_MAX_BODY_BYTES, wrong content types, odd Accepts.
// Pass: every answer is a JSON-RPC message (a 4xx carries a JSON-RPC error), or an empty
// 202/405; never a 5xx or a stack trace; the body cap holds (413); the process stays up and
// real SDK clients still work afterwards; its resident memory stays bounded.
// The unit-level counterpart is "input hardening (B2)" in lib/mcp/handler.test.ts.
import { readFileSync } from "node:fs";
import http from "node:http";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client as httpClient, leaksStack } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type TestServer } from "../helpers/server";

const db = TEST_DB;
const MAX_BODY = 64 * 1024;
const LEGACY = "2025-11-25";
const MODERN = "2026-07-28";
const ACCEPT = "application/json, text/event-stream";
const META = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "b2-fuzz", version: "0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
/** Resident memory may grow this much over the fuzz run (warm caches, heap headroom), no more. */
const RSS_GROWTH_LIMIT = 64 * 1024 * 1024;

let server: TestServer;
let url: URL;
let sid = "";
let tools: string[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

type Reply = { status: number; headers: http.IncomingHttpHeaders; text: string };

/** One raw HTTP request (node:http, so bytes, lengths and chunking are exactly what we say). */
function send(opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) headers["content-length"] = Buffer.byteLength(opts.body);
    const req = http.request({ host: url.hostname, port: url.port, path: opts.path ?? url.pathname, method: opts.method ?? "POST", headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error("no answer within 20 s")));
    // A server that answers 413 and closes while we still upload is fine; the reply decides.
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

type RpcBody = { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };

/** The JSON-RPC message of a reply: the JSON body, or the last `data:` of an SSE body. */
function messageOf(r: Reply): RpcBody {
  if (String(r.headers["content-type"]).startsWith("text/event-stream")) {
    const data = r.text.split("\n").filter((l) => l.startsWith("data: "));
    return JSON.parse(data[data.length - 1]!.slice(6));
  }
  return JSON.parse(r.text);
}

/** The B2 pass criteria for one reply; `sentId` is the id of a well-formed request, if any. */
function expectWellBehaved(r: Reply, what: string, sentId?: unknown) {
  const ctx = `${what} → ${r.status} ${r.text.slice(0, 300)}`;
  expect(r.status, ctx).toBeLessThan(500);
  expect(leaksStack(r.text), ctx).toBeNull();
  if (r.status === 202 || r.status === 405 || r.status === 204) {
    expect(r.text, ctx).toBe("");
    return;
  }
  let msg: RpcBody;
  try {
    msg = messageOf(r);
  } catch {
    throw new Error(`not a JSON-RPC body: ${ctx}`);
  }
  expect(msg.jsonrpc, ctx).toBe("2.0");
  if (r.status >= 400 || msg.result === undefined) {
    expect(Number.isInteger(msg.error?.code) && typeof msg.error?.message === "string", ctx).toBe(true);
    expect(msg.result, ctx).toBeUndefined();
  }
  if (msg.id !== undefined && sentId !== undefined) expect(msg.id, ctx).toEqual(sentId);
}

const legacyHeaders = () => ({ "content-type": "application/json", accept: ACCEPT, "mcp-session-id": sid, "mcp-protocol-version": LEGACY });
function modernHeaders(method: unknown, name?: unknown): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json", accept: ACCEPT, "mcp-protocol-version": MODERN };
  // Header values must be latin-1 without controls; anything else is left off (a -32020 case).
  const safe = (v: unknown) => typeof v === "string" && /^[\x20-\x7e]*$/.test(v);
  if (safe(method)) h["mcp-method"] = method as string;
  if (safe(name)) h["mcp-name"] = name as string;
  return h;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line!)![1]) * 1024;
}

async function legacyClient() {
  const c = new Client({ name: "b2-baseline", version: "1.0.0" });
  const t = new StreamableHTTPClientTransport(url);
  await c.connect(t);
  return { c, sid: t.sessionId! };
}

beforeAll(async () => {
  server = await startServer({
    db,
    env: { LATCHKEY_MAX_BODY_BYTES: String(MAX_BODY), LATCHKEY_MCP_RATE_LIMIT: "100000", LATCHKEY_MCP_USER_RATE_LIMIT: "100000" },
  });
  const api = httpClient(server.url);
  const key = await createApiKeyViaCli(server, "test", "b2");
  const pack = await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Fuzz", entries: [{ connector: "stripe", tools: "*" }, { connector: "github", tools: ["github_list_issues"] }] } });
  expect(pack.status).toBe(201);
  const inst = await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "fuzz" } });
  expect(inst.status).toBe(200);
  url = new URL(inst.body.url);

  // The valid baseline, with the real SDK clients of both eras.
  const legacy = await legacyClient();
  sid = legacy.sid;
  tools = (await legacy.c.listTools()).tools.map((t) => t.name);
  expect(tools).toContain("stripe_get_balance");
  const modern = new ModernClient({ name: "b2-baseline", version: "2.0.0" }, { versionNegotiation: { mode: { pin: MODERN } } });
  await modern.connect(new ModernTransport(url));
  expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN);
  expect((await modern.listTools()).tools.map((t) => t.name)).toEqual(tools);
  await modern.close();
  // close() only drops the transport; the session stays live for the legacy fuzz cases.
  await legacy.c.close();
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await server?.stop();
  cleanupTempDirs();
});

// ---------------------------------------------------------------- arbitraries

const lone = fc.constantFrom("\ud800", "\udfff", "\u0000", "a\u0000b", "\ud83d", "x\udc00y", "\u0000\ud800\u0000");
const weirdString = fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), lone, fc.constantFrom("__proto__", "constructor", "toString", "tools/list\u0000", "rpc.discover", "../tools/call"));
const hugeId = fc.oneof(
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map((n) => ({ raw: n.toString() })),
  fc.constantFrom({ raw: "1e400" }, { raw: "-1e400" }, { raw: "9".repeat(400) }, { raw: "1.5" }, { raw: "-0" }, { raw: "0.0000001" }, { raw: "true" }, { raw: "null" }, { raw: "[]" }, { raw: "{}" }),
  fc.integer({ min: 1000, max: 50_000 }).map((n) => ({ value: "i".repeat(n) })),
  fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), lone).map((v) => ({ value: v })),
);
const method = fc.oneof(
  fc.constantFrom("initialize", "ping", "tools/list", "tools/call", "server/discover", "notifications/cancelled", "notifications/initialized", "resources/list", "prompts/get", "logging/setLevel", "completion/complete", "tasks/get"),
  weirdString,
  fc.jsonValue({ maxDepth: 2 }),
);
const toolName = fc.oneof(fc.constantFrom("stripe_get_balance", "authenticate_meta", "github_create_issue"), weirdString, fc.jsonValue({ maxDepth: 1 }));
const params = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      name: toolName,
      arguments: fc.oneof(fc.dictionary(weirdString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), fc.jsonValue({ maxDepth: 2 })),
      protocolVersion: fc.constantFrom(LEGACY, MODERN, "2024-11-05", "bogus"),
      _meta: fc.oneof(fc.constant(META), fc.jsonValue({ maxDepth: 2 }), fc.constant({ ...META, "io.modelcontextprotocol/protocolVersion": "1999-01-01" })),
    },
    { requiredKeys: [] },
  ),
);

/** A JSON-RPC-shaped message: the id is spliced in as raw text so it can be what JSON.stringify cannot write. */
const message = fc
  .record({ jsonrpc: fc.oneof(fc.constant("2.0"), fc.jsonValue({ maxDepth: 1 })), id: fc.option(hugeId, { nil: undefined }), method: fc.option(method, { nil: undefined }), params }, { requiredKeys: ["jsonrpc"] })
  .map((m) => {
    const { id, ...rest } = m;
    const body = JSON.stringify(rest);
    const sentId = id && "value" in id ? id.value : undefined;
    if (id === undefined) return { body, sentId: undefined, method: rest.method, name: (rest.params as { name?: unknown } | undefined)?.name };
    const idText = "raw" in id ? id.raw : JSON.stringify(id.value);
    return { body: `{"id":${idText},${body.slice(1)}`, sentId, method: rest.method, name: (rest.params as { name?: unknown } | undefined)?.name };
  });

const deep = fc.constantFrom(
  "[".repeat(10_000) + "]".repeat(10_000),
  `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"stripe_get_balance","arguments":{"a":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}}}`,
  `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}}`,
  `{"jsonrpc":"2.0","id":1,"method":"ping","params":${'{"a":['.repeat(5_000)}${"]}".repeat(5_000)}}`,
  "[".repeat(10_000),
);

type Case = { body: string | Buffer; sentId?: unknown; method?: unknown; name?: unknown; what: string };
const fuzzCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 6, arbitrary: message.map((m) => ({ ...m, what: "message" })) },
  { weight: 2, arbitrary: fc.array(message, { maxLength: 5 }).map((ms) => ({ body: `[${ms.map((m) => m.body).join(",")}]`, what: "batch" })) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 300 }).map((s) => ({ body: s, what: "malformed text" })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: Buffer.from(b), what: "raw bytes" })) },
  { weight: 1, arbitrary: message.map((m) => ({ body: m.body.slice(0, Math.max(1, m.body.length - 3)), what: "truncated message" })) },
  { weight: 1, arbitrary: deep.map((d) => ({ body: d, what: "10^4-deep nesting" })) },
  // Lone surrogates and NUL as raw UTF-8-ish bytes (CESU surrogate, overlong NUL), not JSON escapes.
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0x80]), Buffer.from([0x00])).map((b) => ({ body: Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"'), b, Buffer.from('"}}')]), sentId: 1, what: "raw surrogate/NUL bytes" })) },
);

const era = fc.constantFrom("legacy", "legacy-no-session", "modern", "modern-bad-version", "none");
const accept = fc.constantFrom(ACCEPT, ACCEPT, "text/event-stream", "application/json", "*/*", "text/html", undefined);

function headersFor(e: string, c: Case, acc: string | undefined): Record<string, string> {
  let h: Record<string, string>;
  switch (e) {
    case "legacy":
      h = legacyHeaders();
      break;
    case "legacy-no-session":
      h = { "content-type": "application/json", "mcp-protocol-version": LEGACY };
      break;
    case "modern":
      h = modernHeaders(c.method, c.name);
      break;
    case "modern-bad-version":
      h = { ...modernHeaders(c.method, c.name), "mcp-protocol-version": "2099-01-01" };
      break;
    default:
      h = { "content-type": "application/json" };
  }
  if (acc === undefined) delete h.accept;
  else h.accept = acc;
  return h;
}

// ---------------------------------------------------------------- tests

describe(`B2: MCP JSON-RPC fuzzing through the production server [${db}]`, () => {
  it("random and hostile bodies in both eras: JSON-RPC answers only, no 5xx, no stack, no runaway memory; SDK clients still work", async () => {
    // Warm up first (JIT, pools, caches), so the RSS comparison measures the fuzz run itself.
    for (let i = 0; i < 40; i++) expectWellBehaved(await send({ headers: legacyHeaders(), body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/list" }) }), "warm-up", i);
    const rssBefore = rssBytes(server.pid);

    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCase, era, accept, async (c, e, acc) => {
        const headers = headersFor(e, c, acc);
        const r = await send({ headers, body: c.body });
        sent++;
        expectWellBehaved(r, `${c.what} [${e}, accept ${acc}] ${String(c.body).slice(0, 200)}`, c.sentId);
      }),
      { numRuns: 400, seed: 20261122, endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(400);

    const rssAfter = rssBytes(server.pid);
    process.stdout.write(`B2 fuzz: ${sent} requests; server RSS ${(rssBefore / 2 ** 20).toFixed(1)} → ${(rssAfter / 2 ** 20).toFixed(1)} MiB\n`);
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT);

    // Still up, and the real clients still work in both eras.
    expect(server.logs()).not.toMatch(/unhandled|uncaught/i);
    const legacy = await legacyClient();
    expect((await legacy.c.listTools()).tools.map((t) => t.name)).toEqual(tools);
    const meta = await legacy.c.callTool({ name: "authenticate_meta", arguments: {} });
    expect(meta.structuredContent).toMatchObject({ link_token: expect.stringMatching(/^lk_link_/) });
    await legacy.c.close();
    const modern = new ModernClient({ name: "b2-after", version: "2.0.0" }, { versionNegotiation: { mode: { pin: MODERN } } });
    await modern.connect(new ModernTransport(url));
    expect((await modern.listTools()).tools.map((t) => t.name)).toEqual(tools);
    await modern.close();
  }, 120_000);

  it("10^4-deep nesting, batches and huge ids get their JSON-RPC errors in both eras", async () => {
    const deepBody = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}}`;
    const modernList = (extra: object = {}) => JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list", params: { _meta: META, ...extra } });
    const cases: [string, Record<string, string>, string, number, number][] = [
      ["deep, legacy", legacyHeaders(), deepBody, 400, -32600],
      ["deep, modern", modernHeaders("tools/list"), deepBody, 400, -32600],
      ["batch, legacy", legacyHeaders(), `[${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })}]`, 400, -32600],
      ["batch, modern", modernHeaders("tools/list"), `[${modernList()}]`, 400, -32600],
      ["id 1e400, legacy", legacyHeaders(), '{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}', 400, -32600],
      ["id 2^64, modern", modernHeaders("tools/list"), `{"jsonrpc":"2.0","id":18446744073709551616,"method":"tools/list","params":{"_meta":${JSON.stringify(META)}}}`, 400, -32600],
      ["malformed, legacy", legacyHeaders(), '{"jsonrpc":"2.0",', 400, -32700],
      ["malformed, modern", modernHeaders("tools/list"), "{nope", 400, -32700],
      ["unknown method, modern", modernHeaders("no/such"), JSON.stringify({ jsonrpc: "2.0", id: 7, method: "no/such", params: { _meta: META } }), 404, -32601],
      ["unknown method, legacy", legacyHeaders(), JSON.stringify({ jsonrpc: "2.0", id: 7, method: "no/such" }), 200, -32601],
    ];
    for (const [what, headers, body, status, code] of cases) {
      const r = await send({ headers, body });
      expectWellBehaved(r, what);
      expect({ what, status: r.status, code: messageOf(r).error?.code }).toEqual({ what, status, code });
    }
    // A long string id is echoed verbatim; NUL and lone surrogates survive the round trip.
    const longId = "i".repeat(50_000);
    const echoed = await send({ headers: legacyHeaders(), body: JSON.stringify({ jsonrpc: "2.0", id: longId, method: "no/such" }) });
    expect(messageOf(echoed).id).toBe(longId);
    const odd = "a\u0000b\ud800c\udfff";
    const strange = await send({ headers: legacyHeaders(), body: JSON.stringify({ jsonrpc: "2.0", id: odd, method: "tools/call", params: { name: odd, arguments: { [odd]: odd } } }) });
    expectWellBehaved(strange, "NUL and lone surrogates", odd);
    expect(strange.status).toBe(403);
    expect(messageOf(strange)).toMatchObject({ id: odd, error: { data: { code: "unauthorized_tool", tool: odd } } });
  });

  it(`the body cap (LATCHKEY_MAX_BODY_BYTES=${MAX_BODY}) is enforced with 413 in both eras, declared or streamed`, async () => {
    for (const [headers, meta] of [
      [legacyHeaders(), ""],
      [modernHeaders("tools/list"), `"_meta":${JSON.stringify(META)},`],
    ] as const) {
      const pad = (n: number) => {
        const prefix = `{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{${meta}"pad":"`;
        return prefix + "x".repeat(n - prefix.length - 3) + '"}}';
      };
      // Exactly at the cap is read and answered (a result).
      const atCap = pad(MAX_BODY);
      expect(Buffer.byteLength(atCap)).toBe(MAX_BODY);
      const ok = await send({ headers, body: atCap });
      expect(ok.status, ok.text.slice(0, 300)).toBe(200);
      expect(messageOf(ok).result).toBeDefined();
      // One byte over, with Content-Length: refused before reading.
      const over = await send({ headers: { ...headers, connection: "close" }, body: pad(MAX_BODY + 1) });
      expect(over.status).toBe(413);
      expect(JSON.parse(over.text)).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
      expect(over.headers.connection).toBe("close");
      // Far over, chunked (no length): refused once the stream passes the cap.
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const streamed = await send({ headers: { ...headers, connection: "close", "transfer-encoding": "chunked" }, chunks: Array.from({ length: 64 }, () => chunk) });
      expect(streamed.status).toBe(413);
      expectWellBehaved(streamed, "chunked over the cap");
    }
  });

  it("a body not declared as application/json gets 415 with a JSON-RPC error, in both eras and before initialize", async () => {
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: "b2", version: "0" } } });
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const modern = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list", params: { _meta: META } });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json", "application/json-seq", undefined]) {
      for (const [what, headers, body] of [
        ["initialize", { accept: ACCEPT }, init],
        ["legacy", legacyHeaders(), list],
        ["modern", modernHeaders("tools/list"), modern],
      ] as const) {
        const h: Record<string, string> = { ...headers };
        if (type === undefined) delete h["content-type"];
        else h["content-type"] = type;
        const r = await send({ headers: h, body });
        expectWellBehaved(r, `${what} as ${type}`);
        expect({ what, type, status: r.status, code: messageOf(r).error?.code }).toEqual({ what, type, status: 415, code: -32000 });
      }
    }
    // Parameters and case of the JSON type are fine.
    expect((await send({ headers: { ...legacyHeaders(), "content-type": "Application/JSON; charset=utf-8" }, body: list })).status).toBe(200);
  });

  it("paths near the instance URL never reach a 5xx", async () => {
    const token = url.pathname.split("/").pop()!;
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    for (const path of [`${url.pathname}/extra`, `${url.pathname}/`, "/mcp/i/", "/mcp/i//", `/mcp/i/${token}/../${token}`, `/mcp/i/%00${token}`, `/mcp/i/${"a".repeat(4000)}`, `/mcp/i/x/y/z`, `${url.pathname}?a=%ZZ`]) {
      const r = await send({ path, headers: legacyHeaders(), body });
      expect(r.status, `${path} → ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
      expect(leaksStack(r.text), path).toBeNull();
    }
  });
});
