// The conformance suite's own reference fixture (e2e/conformance/fixture/everything-server.ts)
// as an upstream behind Latchkey, in a pack that passes its tool names through unchanged
// (`namespace: false`), for `--requirements 2025-11-25` and `2026-07-28`. The suite runs twice
// per revision: straight at the fixture, and at the Latchkey instance URL in front of it.
//
// Verdict: every tool scenario that passes against the fixture directly passes through
// Latchkey too (tools/list and every tools/call content type and error). Latchkey's MCP
// endpoints serve tools only (DESIGN §4), so the fixture's resources, prompts, completions,
// logging and the tool calls that need server-to-client traffic (progress, sampling,
// elicitation) are not expected through the gateway; the test prints that difference so the
// gap stays visible, and fails if it grows beyond it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client as httpClient } from "../helpers/http";
import { node22 } from "../helpers/node22";
import { cleanupTempDirs, createApiKeyViaCli, freePort, makeTempDir, ROOT, startServer, TEST_DB, type TestServer } from "../helpers/server";

const db = TEST_DB;
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;
type Revision = (typeof REVISIONS)[number];
const CLI = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");

/** What a gateway of tools must carry unchanged from its upstream. */
const TOOL_SCENARIOS = ["tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio", "tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-error"];
/**
 * Scenarios that need more than tools/list and tools/call (resources, prompts, completions,
 * logging, server-to-client requests and notifications, subscriptions): not served by the
 * gateway, so allowed to differ.
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
  const port = await freePort();
  fixture = spawn(process.execPath, ["--require", path.join(ROOT, "e2e", "helpers", "bind-loopback.cjs"), "--import", "tsx", path.join(ROOT, "e2e", "conformance", "fixture", "everything-server.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), NODE_ENV: "production" } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the conformance fixture did not start")), 60_000);
    fixture.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("running on")) {
        clearTimeout(t);
        resolve();
      }
    });
    fixture.once("exit", (code) => reject(new Error(`the conformance fixture exited ${code}`)));
  });
  fixtureUrl = `http://127.0.0.1:${port}/mcp`;
  server = await startServer({ db, env: { LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${port}`, LATCHKEY_MCP_RATE_LIMIT: "100000", LATCHKEY_MCP_USER_RATE_LIMIT: "100000" } });
  const http = httpClient(server.url);
  const key = await createApiKeyViaCli(server, "test", "conformance-upstream");
  const srv = await http.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Conformance fixture", slug: "fixture", url: fixtureUrl, auth: { mode: "none" } } });
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

describe(`MCP conformance fixture behind Latchkey, names passed through [${db}]`, () => {
  for (const rev of REVISIONS) {
    it(`--requirements ${rev}: every tool scenario that passes directly passes through Latchkey`, async () => {
      const [direct, proxied] = await Promise.all([runConformance(fixtureUrl, rev), runConformance(instanceUrl, rev)]);
      expect(direct.results.size, direct.output).toBeGreaterThan(20);
      const passedDirect = [...direct.results].filter(([, c]) => passes(c)).map(([s]) => s);
      const lost = passedDirect.filter((s) => !passes(proxied.results.get(s) ?? []));
      process.stdout.write(
        `conformance ${rev}: fixture directly ${passedDirect.length}/${direct.results.size} scenarios pass; through Latchkey ${[...proxied.results].filter(([, c]) => passes(c)).length}/${proxied.results.size}\n` +
          `  passing directly but not through Latchkey: ${lost.join(", ") || "none"}\n`,
      );
      for (const s of TOOL_SCENARIOS) {
        if (!passedDirect.includes(s)) continue;
        const checks = proxied.results.get(s) ?? [];
        expect(passes(checks), `${s} through Latchkey: ${JSON.stringify(checks.filter((c) => c.status !== "SUCCESS"))}`).toBe(true);
      }
      // Only what the gateway does not serve may be lost on the way.
      const unexpected = lost.filter((s) => !NOT_PROXIED.test(s));
      expect(unexpected.map((s) => `${s}: ${JSON.stringify((proxied.results.get(s) ?? []).filter((c) => c.status !== "SUCCESS").map((c) => `${c.id}: ${c.errorMessage ?? c.status}`))}`)).toEqual([]);
    }, 240_000);
  }
});
