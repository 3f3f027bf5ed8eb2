// The upstream client against local HTTP servers that misbehave on purpose: both protocol
// eras (negotiation, session reuse), and checks F4 (slow upstream: the timeout fires, the
// request is cancelled, another upstream is unaffected thanks to the per-upstream cap) and F5
// (5xx, resets, truncated or malformed SSE: no blind tool-call retries, the breaker opens,
// no upstream headers or tokens in errors).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { UpstreamClient, UpstreamError, type UpstreamCredentials } from "@/lib/mcp-servers/upstream";
import { UpstreamGuard, type GuardOptions } from "@/lib/mcp-servers/upstream-guard";

type Msg = { jsonrpc: "2.0"; id?: number; method: string; params?: Record<string, unknown> };
type Seen = { msg: Msg; headers: http.IncomingHttpHeaders; aborted: boolean };
type Handler = (msg: Msg, req: http.IncomingMessage, res: http.ServerResponse, seen: Seen) => unknown;

const servers: http.Server[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const a of agents.splice(0)) await a.close().catch(() => {});
});

async function upstream(handler: Handler) {
  const seen: Seen[] = [];
  const srv = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const msg = JSON.parse(body) as Msg;
    const entry: Seen = { msg, headers: req.headers, aborted: false };
    seen.push(entry);
    res.on("close", () => {
      if (!res.writableFinished) entry.aborted = true;
    });
    await handler(msg, req, res, entry);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  servers.push(srv);
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`, seen };
}

const reply = (res: http.ServerResponse, id: number | undefined, result: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify({ jsonrpc: "2.0", id, result }));

/** A legacy-only server (like SDK 1.x): refuses server/discover, sessions after initialize. */
function legacy(onCall: Handler = (m, _q, res) => reply(res, m.id, { content: [{ type: "text", text: "ok" }] })): Handler {
  return async (msg, req, res, seen) => {
    if (msg.method === "server/discover") return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "Bad Request: Server not initialized" } }));
    if (msg.method === "initialize") return reply(res, msg.id, { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "l", version: "1" } }, { "mcp-session-id": "sess-1" });
    if (msg.id === undefined) return void res.writeHead(202).end();
    if (req.headers["mcp-session-id"] !== "sess-1") return void res.writeHead(400).end();
    if (msg.method === "tools/list") return reply(res, msg.id, { tools: [{ name: "t", inputSchema: { type: "object" } }] });
    return onCall(msg, req, res, seen);
  };
}

const creds = (token = "sekrit-token-123456"): UpstreamCredentials => ({ headers: async () => ({ authorization: `Bearer ${token}` }), rejected: () => {} });
const guard = (o: Partial<GuardOptions> = {}) => new UpstreamGuard("up", { failureThreshold: 3, cooldownMs: 60_000, maxConcurrent: 4, maxQueue: 8, queueTimeoutMs: 200, ...o });
function clientOf(url: string, o: { guard?: UpstreamGuard; timeoutMs?: number; token?: string } = {}) {
  const agent = new Agent({ keepAliveTimeout: 1000 });
  agents.push(agent);
  return new UpstreamClient({ id: `srv_${Math.random()}`, slug: "up", url }, agent, creds(o.token), { guard: o.guard ?? guard(), timeoutMs: o.timeoutMs ?? 5_000 });
}
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return err instanceof UpstreamError ? err.code : String(err);
  }
}

describe("protocol eras", () => {
  it("a modern (2026-07-28) upstream: server/discover once, then stateless calls with _meta, Mcp-Method and Mcp-Name; no initialize, no session", async () => {
    const up = await upstream((msg, req, res) => {
      const meta = msg.params?._meta as Record<string, unknown> | undefined;
      if (req.headers["mcp-protocol-version"] !== "2026-07-28" || meta?.["io.modelcontextprotocol/protocolVersion"] !== "2026-07-28" || req.headers["mcp-method"] !== msg.method) {
        return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: -32020, message: "header mismatch" } }));
      }
      if (msg.method === "server/discover") return reply(res, msg.id, { resultType: "complete", supportedVersions: ["2026-07-28"], capabilities: { tools: {} } });
      if (msg.method === "tools/call") {
        if (req.headers["mcp-name"] !== msg.params?.name) return void res.writeHead(400).end();
        // SSE with a notification first, and the stream left open after the answer.
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } })}\n\n`);
        res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { resultType: "complete", content: [{ type: "text", text: "modern ok" }] } })}\n\n`);
        return;
      }
      return reply(res, msg.id, { resultType: "complete", tools: [] });
    });
    const c = clientOf(up.url);
    expect(await c.rpc("tools/call", { name: "echo", arguments: {} })).toMatchObject({ content: [{ text: "modern ok" }] });
    await c.rpc("tools/list", {});
    expect(c.protocolEra).toBe("modern");
    expect(up.seen.map((s) => s.msg.method)).toEqual(["server/discover", "tools/call", "tools/list"]);
    expect(up.seen.every((s) => s.headers["mcp-session-id"] === undefined)).toBe(true);
  });

  it("a legacy upstream: discover is refused, so initialize once and reuse the session for every call", async () => {
    const up = await upstream(legacy());
    const c = clientOf(up.url);
    for (let i = 0; i < 3; i++) await c.rpc("tools/call", { name: "t", arguments: {} });
    expect(c.protocolEra).toBe("legacy");
    expect(up.seen.map((s) => s.msg.method)).toEqual(["server/discover", "initialize", "notifications/initialized", "tools/call", "tools/call", "tools/call"]);
    expect(up.seen.slice(3).every((s) => s.headers["mcp-session-id"] === "sess-1" && s.headers["mcp-protocol-version"] === "2025-11-25")).toBe(true);
  });
});

describe("F4 slow upstream", () => {
  it("the per-call timeout fires, the HTTP request is aborted and the legacy session gets notifications/cancelled", async () => {
    const up = await upstream(legacy(() => {})); // tools/call never answers
    const c = clientOf(up.url, { timeoutMs: 300 });
    const t0 = Date.now();
    expect(await codeOf(c.rpc("tools/call", { name: "t", arguments: {} }))).toBe("upstream_timeout");
    expect(Date.now() - t0).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 200));
    const call = up.seen.find((s) => s.msg.method === "tools/call")!;
    expect(call.aborted).toBe(true);
    const cancelled = up.seen.find((s) => s.msg.method === "notifications/cancelled");
    expect(cancelled?.msg.params).toMatchObject({ requestId: call.msg.id });
    expect(cancelled?.headers["mcp-session-id"]).toBe("sess-1");
  });

  it("a caller's abort (the agent went away) cancels the upstream request too", async () => {
    const up = await upstream(legacy(() => {}));
    const c = clientOf(up.url);
    const ac = new AbortController();
    const p = codeOf(c.rpc("tools/call", { name: "t", arguments: {} }, ac.signal));
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    expect(await p).toBe("upstream_timeout");
    await new Promise((r) => setTimeout(r, 150));
    expect(up.seen.find((s) => s.msg.method === "tools/call")!.aborted).toBe(true);
  });

  it("tenant A's slow upstream fills only its own cap: excess calls fail fast with upstream_busy, tenant B's upstream answers at full speed", async () => {
    const slow = await upstream(legacy(() => {}));
    const fast = await upstream(legacy());
    const a = clientOf(slow.url, { timeoutMs: 3_000, guard: guard({ maxConcurrent: 4, maxQueue: 4, queueTimeoutMs: 200 }) });
    const b = clientOf(fast.url);
    await a.rpc("tools/list", {}); // session up
    const aCalls = Array.from({ length: 30 }, () => codeOf(a.rpc("tools/call", { name: "t", arguments: {} })));
    await new Promise((r) => setTimeout(r, 50));
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      await b.rpc("tools/call", { name: "t", arguments: {} });
      latencies.push(performance.now() - t0);
    }
    latencies.sort((x, y) => x - y);
    expect(latencies[Math.floor(latencies.length * 0.99)]!).toBeLessThan(150);
    const codes = await Promise.all(aCalls);
    expect(codes.filter((c) => c === "upstream_busy").length).toBeGreaterThanOrEqual(22);
    expect(codes.filter((c) => c === "upstream_timeout").length).toBe(4);
    // Never more than the cap reached the slow upstream at once.
    expect(slow.seen.filter((s) => s.msg.method === "tools/call").length).toBeLessThanOrEqual(8);
  }, 15_000);
});

describe("F5 upstream failures", () => {
  it("a tools/call that got a 5xx, a reset or a truncated SSE stream is never retried; the same failures on tools/list are retried with backoff", async () => {
    let mode: "500" | "reset" | "truncated" | "malformed" = "500";
    const up = await upstream(
      legacy((msg, req, res) => {
        if (mode === "500") return void res.writeHead(500, { "x-upstream-secret": "hdr-secret-value", "content-type": "text/plain" }).end("boom");
        if (mode === "reset") return void req.socket.destroy();
        if (mode === "truncated") {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write(`event: message\ndata: {"jsonrpc":"2.0","id":${msg.id},"resu`);
          return void res.end();
        }
        res.writeHead(200, { "content-type": "text/event-stream" }).end("event: message\ndata: {not json\n\n");
      }),
    );
    const c = clientOf(up.url, { guard: guard({ failureThreshold: 100 }) });
    for (const m of ["500", "reset", "truncated", "malformed"] as const) {
      mode = m;
      const before = up.seen.filter((s) => s.msg.method === "tools/call").length;
      const err = await c.rpc("tools/call", { name: "t", arguments: {} }).catch((e: unknown) => e);
      expect(err, m).toBeInstanceOf(UpstreamError);
      expect((err as UpstreamError).code).toBe("upstream_error");
      expect((err as UpstreamError).message).not.toMatch(/hdr-secret-value|sekrit-token|x-upstream/);
      expect(up.seen.filter((s) => s.msg.method === "tools/call").length - before, `${m}: tools/call sent once`).toBe(1);
    }

    // An idempotent read: 2 transient failures, then success, all inside one rpc.
    let listFailures = 2;
    const up2 = await upstream(
      legacy((msg, _req, res) => reply(res, msg.id, {})),
    );
    const flaky = await upstream(async (msg, req, res, seen) => {
      if (msg.method === "tools/list" && listFailures-- > 0) return void res.writeHead(503).end();
      return legacy()(msg, req, res, seen);
    });
    const c2 = clientOf(flaky.url);
    expect(await c2.rpc("tools/list", {})).toMatchObject({ tools: [{ name: "t" }] });
    expect(flaky.seen.filter((s) => s.msg.method === "tools/list")).toHaveLength(3);
    expect(up2.seen).toHaveLength(0);
  });

  it("the breaker opens after consecutive failures (fast upstream_unavailable without touching the upstream), lets one probe through after the cooldown, and closes on success", async () => {
    let broken = true;
    const up = await upstream(legacy((msg, _req, res) => (broken ? void res.writeHead(502).end() : reply(res, msg.id, { content: [] }))));
    const g = guard({ failureThreshold: 3, cooldownMs: 300 });
    const c = clientOf(up.url, { guard: g });
    for (let i = 0; i < 3; i++) expect(await codeOf(c.rpc("tools/call", { name: "t", arguments: {} }))).toBe("upstream_error");
    const sent = up.seen.length;
    const t0 = Date.now();
    expect(await codeOf(c.rpc("tools/call", { name: "t", arguments: {} }))).toBe("upstream_unavailable");
    expect(Date.now() - t0).toBeLessThan(50);
    expect(up.seen.length).toBe(sent);
    expect(g.state).toBe("open");
    await new Promise((r) => setTimeout(r, 350));
    expect(g.state).toBe("half-open");
    broken = false;
    expect(await codeOf(c.rpc("tools/call", { name: "t", arguments: {} }))).toBe("ok");
    expect(g.state).toBe("closed");
  });

  it("an unreachable upstream (connection refused) opens the breaker too, and the message names the server but no address details beyond the error code", async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const g = guard({ failureThreshold: 2 });
    const c = clientOf(`http://127.0.0.1:${port}/mcp`, { guard: g });
    const err = (await c.rpc("tools/call", { name: "t", arguments: {} }).catch((e: unknown) => e)) as UpstreamError;
    expect(err.message).toMatch(/^up could not be reached/);
    await codeOf(c.rpc("tools/call", { name: "t", arguments: {} }));
    expect(await codeOf(c.rpc("tools/call", { name: "t", arguments: {} }))).toBe("upstream_unavailable");
  });

  it("an upstream that echoes the credential in its JSON-RPC error does not get it shown to the caller", async () => {
    const up = await upstream(legacy((msg, req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: -32000, message: `bad token ${req.headers.authorization}` } }))));
    const c = clientOf(up.url);
    const err = (await c.rpc("tools/call", { name: "t", arguments: {} }).catch((e: unknown) => e)) as UpstreamError;
    expect(err.message).toContain("bad token");
    expect(err.message).not.toContain("sekrit-token-123456");
  });
});
