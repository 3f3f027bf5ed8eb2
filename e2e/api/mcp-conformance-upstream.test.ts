// Latchkey's own tools fixture (e2e/conformance/fixture/tools-fixture.ts), which exposes the
// `test_*` tools the conformance suite's tool scenarios call, as an upstream behind Latchkey in a
// pack that passes its tool names through unchanged (`namespace: false`), for
// `--requirements 2025-11-25` and `2026-07-28`. The suite runs twice per revision: straight at
// the fixture, and at the Latchkey instance URL in front of it.
//
// Verdict: every tool scenario (tools/list and every tools/call content type and error) passes
// against the fixture directly, and every scenario that passes directly passes through Latchkey
// too. The fixture serves tools only, and so does Latchkey's MCP endpoint by design (DESIGN §4):
// resources, prompts, completions, logging and server-to-client traffic (progress, sampling,
// elicitation, MRTR input requests) are not passed through. Those scenarios may differ (the
// test prints the difference so it stays visible) and nothing else may.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client as httpClient } from "../helpers/http";
import { node22 } from "../helpers/node22";
import { cleanupTempDirs, createApiKeyViaCli, makeTempDir, ROOT, startServer, TEST_DB, type TestServer } from "../helpers/server";

const db = TEST_DB;
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;
type Revision = (typeof REVISIONS)[number];
const CLI = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");

/** What a gateway of tools must carry unchanged from its upstream. */
const TOOL_SCENARIOS = ["tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio", "tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-error"];
/**
 * Scenarios that need more than tools/list and tools/call (resources, prompts, completions,
 * logging, server-to-client requests and notifications, subscriptions): not served by the
 * gateway by design, so allowed to differ.
 */
const NOT_PROXIED = /^(resources-|prompts-|completion-|logging-|tools-call-(with-logging|with-progress|sampling|elicitation)|elicitation-|sep-2164-|sep-2322-|sep-2575-|subscriptions-|server-sse-|caching|server-session-lifecycle|input-required|mrtr-)/;

type Check = { id: string; status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED"; errorMessage?: string };
type Results = Map<string, Check[]>;
const passes = (checks: Check[]) => checks.some((c) => c.status === "SUCCESS") && !checks.some((c) => c.status === "FAILURE" || c.status === "WARNING");

let node = "";
let fixture: ChildProcess;
let fixtureUrl = "";
let server: TestServer;
let instanceUrl = "";

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k.startsWith("LATCHKEY_") || k === "NODE_OPTIONS") delete env[k];
  return env;
}

function runConformance(url: string, rev: Revision): Promise<{ output: string; results: Results }> {
  const out = makeTempDir("latchkey-conformance-up-");
  return new Promise((resolve, reject) => {
    const child = spawn(node, [CLI, "server", "--url", url, "--requirements", rev, "-o", out], { cwd: out, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("error", reject);
    child.once("close", () => {
      clearTimeout(timer);
      const results: Results = new Map();
      for (const dir of readdirSync(out)) {
        const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(dir);
        const file = path.join(out, dir, "checks.json");
        if (m && existsSync(file)) results.set(m[1]!, JSON.parse(readFileSync(file, "utf8")));
      }
      resolve({ output, results });
    });
  });
}

beforeAll(async () => {
  node = node22();
  fixture = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "e2e", "conformance", "fixture", "tools-fixture.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  fixtureUrl = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the tools fixture did not start")), 60_000);
    let out = "";
    fixture.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    fixture.once("exit", (code) => reject(new Error(`the tools fixture exited ${code}`)));
  });
  const { port } = new URL(fixtureUrl);
  server = await startServer({ db, env: { LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${port}`, LATCHKEY_MCP_RATE_LIMIT: "100000", LATCHKEY_MCP_USER_RATE_LIMIT: "100000" } });
  const http = httpClient(server.url);
  const key = await createApiKeyViaCli(server, "test", "conformance-upstream");
  const srv = await http.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Tools fixture", slug: "fixture", url: fixtureUrl, auth: { mode: "none" } } });
  expect(srv.status, srv.text).toBe(201);
  const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Fixture", entries: [{ server: "fixture", tools: "*", namespace: false }] } });
  expect(pack.status, pack.text).toBe(201);
  const inst = await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "conformance" } });
  expect(inst.status, inst.text).toBe(200);
  instanceUrl = inst.body.url;
}, 240_000);

afterAll(async () => {
  fixture?.kill("SIGTERM");
  await server?.stop();
  cleanupTempDirs();
});

describe(`MCP conformance tool scenarios, tools fixture behind Latchkey, names passed through [${db}]`, () => {
  for (const rev of REVISIONS) {
    it(`--requirements ${rev}: every tool scenario passes directly and through Latchkey; nothing else passing directly is lost`, async () => {
      const [direct, proxied] = await Promise.all([runConformance(fixtureUrl, rev), runConformance(instanceUrl, rev)]);
      expect(direct.results.size, direct.output).toBeGreaterThan(20);
      const passedDirect = [...direct.results].filter(([, c]) => passes(c)).map(([s]) => s);
      const lost = passedDirect.filter((s) => !passes(proxied.results.get(s) ?? []));
      process.stdout.write(
        `conformance ${rev}: tools fixture directly ${passedDirect.length}/${direct.results.size} scenarios pass; through Latchkey ${[...proxied.results].filter(([, c]) => passes(c)).length}/${proxied.results.size}\n` +
          `  passing directly but not through Latchkey: ${lost.join(", ") || "none"}\n`,
      );
      // The fixture exists for these: each must pass directly, so none is skipped below.
      expect(TOOL_SCENARIOS.filter((s) => !passedDirect.includes(s)), direct.output).toEqual([]);
      for (const s of TOOL_SCENARIOS) {
        const checks = proxied.results.get(s) ?? [];
        expect(passes(checks), `${s} through Latchkey: ${JSON.stringify(checks.filter((c) => c.status !== "SUCCESS"))}`).toBe(true);
      }
      // Only what the gateway does not serve may be lost on the way.
      const unexpected = lost.filter((s) => !NOT_PROXIED.test(s));
      expect(unexpected.map((s) => `${s}: ${JSON.stringify((proxied.results.get(s) ?? []).filter((c) => c.status !== "SUCCESS").map((c) => `${c.id}: ${c.errorMessage ?? c.status}`))}`)).toEqual([]);
    }, 240_000);
  }
});
