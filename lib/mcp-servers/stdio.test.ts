import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { checkStdioConfig, DEFAULT_STDIO_LIMITS, StdioProcess, type StdioConfig, type StdioLimits } from "@/lib/mcp-servers/stdio";
import { UpstreamError } from "@/lib/mcp-servers/upstream";

// A tiny stdio MCP server: newline-delimited JSON-RPC on stdin/stdout.
const SERVER = `
const rl = require("node:readline").createInterface({ input: process.stdin });
let cancelled = 0; const hog = [];
const send = (m) => process.stdout.write(JSON.stringify(m) + "\\n");
rl.on("line", (line) => {
  const m = JSON.parse(line);
  if (m.method === "notifications/cancelled") { cancelled++; return; }
  if (m.id === undefined) return;
  if (m.method === "initialize") return send({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "t", version: "1" } } });
  if (m.method === "tools/list") return send({ jsonrpc: "2.0", id: m.id, result: { tools: [{ name: "whoami", inputSchema: { type: "object" } }] } });
  const name = m.params.name;
  if (name === "whoami") return send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: (process.env.API_TOKEN || "-") + " " + process.pid + " " + (process.env.SECRET_FROM_PARENT || "clean") }] } });
  if (name === "cancelled") return send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: String(cancelled) }] } });
  if (name === "slow") return;
  if (name === "flood") return process.stdout.write("x".repeat(300000));
  if (name === "hog") { setInterval(() => hog.push(Buffer.alloc(8 * 1024 * 1024, 1)), 20); return; }
  if (name === "print") { process.stdout.write("not json\\n"); return send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: "ok" }] } }); }
});
`;

const config: StdioConfig = { command: "node", args: ["-e", SERVER] };
const procs: StdioProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.stop();
});
function proc(limits: Partial<StdioLimits> = {}, env: Record<string, string> = { API_TOKEN: "tok-alice" }) {
  const p = new StdioProcess("local", config, async () => env, { ...DEFAULT_STDIO_LIMITS, rssCheckMs: 50, ...limits });
  procs.push(p);
  return p;
}
const text = (r: Record<string, unknown>) => (r.content as { text: string }[])[0]!.text;
async function errOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return null;
}

describe("stdio servers", () => {
  it("registration rules: off unless enabled, an allowlisted command only, no variables that change how code loads", () => {
    expect(() => checkStdioConfig(config, false)).toThrow(AppError);
    expect(() => checkStdioConfig(config, false)).toThrow(/LATCHKEY_ALLOW_STDIO/);
    expect(() => checkStdioConfig(config, true)).not.toThrow();
    expect(() => checkStdioConfig({ command: "bash" as "node", args: ["-c", "id"] }, true)).toThrow(/must be one of npx, node, uvx, python3/);
    expect(() => checkStdioConfig({ ...config, env: { NODE_OPTIONS: "--require /tmp/x.js" } }, true)).toThrow(/NODE_OPTIONS cannot be set/);
    expect(() => checkStdioConfig({ ...config, env: { GITHUB_TOKEN: { secret: "gh_{user}" } } }, true)).not.toThrow();
  });

  it("one process serves every call (initialize once), with the resolved per-user env and nothing of the gateway's environment", async () => {
    process.env.SECRET_FROM_PARENT = "leak";
    try {
      const p = proc();
      const a = text(await p.rpc("tools/call", { name: "whoami", arguments: {} }));
      const b = text(await p.rpc("tools/call", { name: "whoami", arguments: {} }));
      expect(a).toBe(b);
      expect(a).toMatch(/^tok-alice \d+ clean$/);
      expect(text(await p.rpc("tools/call", { name: "print", arguments: {} }))).toBe("ok");
    } finally {
      delete process.env.SECRET_FROM_PARENT;
    }
  });

  it("a call that times out is cancelled with notifications/cancelled; the process stays up for the next call", async () => {
    const p = proc();
    const err = await errOf(p.rpc("tools/call", { name: "slow", arguments: {} }, undefined, 200));
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).code).toBe("upstream_timeout");
    expect(text(await p.rpc("tools/call", { name: "cancelled", arguments: {} }))).toBe("1");
  });

  it("an idle process is stopped, and started again on the next call", async () => {
    const p = proc({ idleMs: 150 });
    const first = text(await p.rpc("tools/call", { name: "whoami", arguments: {} }));
    await new Promise((r) => setTimeout(r, 300));
    expect(p.running).toBe(false);
    expect(p.endedBecause).toBe("was idle");
    const second = text(await p.rpc("tools/call", { name: "whoami", arguments: {} }));
    expect(second.split(" ")[1]).not.toBe(first.split(" ")[1]);
  });

  it("output above the size limit and memory above the RSS limit kill the process; the call fails with the reason", async () => {
    const p = proc({ maxLineBytes: 100_000 });
    const flood = await errOf(p.rpc("tools/call", { name: "flood", arguments: {} }));
    expect((flood as Error).message).toMatch(/larger than 100000 bytes/);
    expect(p.running).toBe(false);

    const q = proc({ maxRssBytes: 150 * 1024 * 1024 });
    const hog = await errOf(q.rpc("tools/call", { name: "hog", arguments: {} }, undefined, 10_000));
    expect((hog as Error).message).toMatch(/more than 150 MB of memory/);
    expect(q.running).toBe(false);
  }, 20_000);
});
