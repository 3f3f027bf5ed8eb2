// The official MCP conformance suite (@modelcontextprotocol/conformance, MCP-TESTING §2) against
// an MCP instance URL (/mcp/i/{token}), once per spec revision with `--requirements`, on both
// mounts of the MCP core: the production server's direct Node mount (what `npm start` runs) and
// the App Router route (what `next start` and serverless hosts run; the production server
// answers the MCP URLs itself, so the route is driven here through a plain `next start`).
//
// Two verdicts per run:
//  1. The CLI's own: every scored scenario of the revision passes, except the checks in
//     e2e/conformance/expected-failures.yml that need the suite's fixture tools, resources and
//     prompts (each explained there); a baselined check that starts passing fails the run too.
//  2. Ours, for the scenarios that need no fixture (initialize, ping, tools/list, DNS rebinding,
//     sessions, the stateless era, header validation), scored or not: each ran, passed at least
//     one check, and failed none outside the baseline.
// The suite needs Node ≥ 22 (e2e/helpers/node22.ts); the project runs on 20.
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

const CONFORMANCE = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance");
const CLI = path.join(CONFORMANCE, "dist", "index.js");
const BASELINE = path.join(ROOT, "e2e", "conformance", "expected-failures.yml");

/** The scenarios that need none of the suite's fixtures, per revision (each runs at its revision's wire). */
const FIXTURE_INDEPENDENT: Record<Revision, string[]> = {
  "2025-11-25": ["server-initialize", "ping", "tools-list", "dns-rebinding-protection", "server-session-lifecycle"],
  "2026-07-28": ["server-stateless", "tools-list", "dns-rebinding-protection", "http-header-validation", "http-custom-header-server-validation", "caching"],
};

type Check = { id: string; status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED"; errorMessage?: string };
type Results = Map<string, Check[]>;
/** As the CLI judges a baseline: a WARNING (a SHOULD not met) counts as failing. */
const failing = (c: Check) => c.status === "FAILURE" || c.status === "WARNING";

let server: TestServer;
let instancePath = "";
let node = "";
let next: ChildProcess | undefined;
const baseline = readBaseline();

/** `scenario:check-id` lines of the baseline (the file uses only per-check entries). */
function readBaseline(): Set<string> {
  const entries = new Set<string>();
  for (const line of readFileSync(BASELINE, "utf8").split("\n")) {
    const m = /^\s+-\s+([\w/.-]+:[\w.-]+)\s*$/.exec(line);
    if (m) entries.add(m[1]!);
    else if (/^\s+-\s/.test(line)) throw new Error(`${BASELINE}: not a scenario:check-id entry: ${line}`);
  }
  return entries;
}

/** The scored server scenarios of a revision, from the requirement set the CLI ships. */
function scoredScenarios(rev: Revision): Set<string> {
  const lines = readFileSync(path.join(CONFORMANCE, "requirements", `${rev}.yaml`), "utf8").split("\n");
  const start = lines.indexOf("server:");
  expect(start, `no server: list in requirements/${rev}.yaml`).toBeGreaterThanOrEqual(0);
  const out = new Set<string>();
  for (const line of lines.slice(start + 1)) {
    const m = /^ {2}- ([\w/.-]+)$/.exec(line);
    if (m) out.add(m[1]!);
    else if (line.trim() && !line.startsWith("#")) break;
  }
  return out;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k.startsWith("LATCHKEY_") || k === "NODE_OPTIONS") delete env[k];
  return env;
}

/** Runs `conformance server --requirements <rev>`; resolves with its exit code, output and the checks of every scenario. */
function runConformance(url: string, rev: Revision): Promise<{ code: number | null; output: string; results: Results }> {
  const out = makeTempDir("latchkey-conformance-");
  const args = [CLI, "server", "--url", url, "--requirements", rev, "--expected-failures", BASELINE, "-o", out];
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd: out, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      const results: Results = new Map();
      // Each scenario writes <out>/server-<scenario>-<ISO timestamp>/checks.json.
      for (const dir of readdirSync(out)) {
        const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(dir);
        const file = path.join(out, dir, "checks.json");
        if (m && existsSync(file)) results.set(m[1]!, JSON.parse(readFileSync(file, "utf8")));
      }
      resolve({ code, output, results });
    });
  });
}

function summarize(mount: string, rev: Revision, results: Results): string {
  const scored = scoredScenarios(rev);
  const count = (filter: (s: string) => boolean, status: Check["status"]) =>
    [...results].filter(([s]) => filter(s)).reduce((n, [, checks]) => n + checks.filter((c) => c.status === status).length, 0);
  const isScored = (s: string) => scored.has(s);
  const baselined = [...results].reduce((n, [s, checks]) => n + checks.filter((c) => failing(c) && baseline.has(`${s}:${c.id}`)).length, 0);
  const lines = [
    `MCP conformance ${rev} · ${mount}: ${results.size} scenarios; scored ${scored.size}: ${count(isScored, "SUCCESS")} checks passed, ` +
      `${count(isScored, "FAILURE")} failed, ${count(isScored, "WARNING")} warnings; all scenarios: ${count(() => true, "SUCCESS")} passed, ` +
      `${count(() => true, "FAILURE")} failed, ${count(() => true, "WARNING")} warnings (${baselined} failures and warnings baselined as fixture-only)`,
  ];
  for (const s of FIXTURE_INDEPENDENT[rev]) {
    const checks = results.get(s) ?? [];
    const by = (st: Check["status"]) => checks.filter((c) => c.status === st).length;
    lines.push(`  ${s}${scored.has(s) ? "" : " (not scored)"}: ${by("SUCCESS")} passed, ${by("FAILURE")} failed${by("WARNING") ? `, ${by("WARNING")} warnings` : ""}`);
  }
  return lines.join("\n");
}

function assertConformance(mount: string, rev: Revision, run: { code: number | null; output: string; results: Results }) {
  process.stdout.write(`${summarize(mount, rev, run.results)}\n`);
  expect(run.results.size, `no scenario results:\n${run.output}`).toBeGreaterThan(20);
  // Verdict 1: the CLI judged every scored scenario against the baseline.
  expect(run.code, `conformance --requirements ${rev} against the ${mount} failed (unexpected failures or stale baseline entries):\n${run.output.slice(-6000)}`).toBe(0);
  // Verdict 2: the fixture-independent scenarios, including the ones the revision does not score.
  for (const scenario of FIXTURE_INDEPENDENT[rev]) {
    const checks = run.results.get(scenario);
    expect(checks, `${scenario} did not run at ${rev}`).toBeDefined();
    expect(checks!.some((c) => c.status === "SUCCESS"), `${scenario}: no check passed`).toBe(true);
    const unexpected = checks!.filter((c) => failing(c) && !baseline.has(`${scenario}:${c.id}`));
    expect(unexpected.map((c) => `${scenario}:${c.id}: ${c.errorMessage ?? ""}`)).toEqual([]);
    const stale = checks!.filter((c) => c.status === "SUCCESS" && baseline.has(`${scenario}:${c.id}`));
    expect(stale.map((c) => `${scenario}:${c.id} passes now; remove it from ${path.basename(BASELINE)}`)).toEqual([]);
  }
}

async function waitReady(url: string, child: ChildProcess, logs: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${logs()}`);
    // /api/ready boots the runtime (database, migrations), so the first MCP request does not.
    const ok = await fetch(`${url}/api/ready`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`next start did not become ready:\n${logs()}`);
}

beforeAll(async () => {
  node = node22();
  server = await startServer({
    db,
    // The suite sends a few hundred requests a minute through one instance.
    env: { LATCHKEY_MCP_RATE_LIMIT: "100000", LATCHKEY_MCP_USER_RATE_LIMIT: "100000" },
  });
  const http = httpClient(server.url);
  const key = await createApiKeyViaCli(server, "test", "conformance");
  // Every built-in connector's every tool, so tools-list validates all their definitions
  // against the MCP wire schema.
  const connectors = await http.get("/api/v1/connectors", { key: key.secret });
  expect(connectors.status).toBe(200);
  const slugs: string[] = connectors.body.data.map((c: { slug: string }) => c.slug);
  expect(slugs.length).toBeGreaterThan(3);
  const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Conformance", entries: slugs.map((connector) => ({ connector, tools: "*" })) } });
  expect(pack.status).toBe(201);
  const inst = await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "conformance" } });
  expect(inst.status).toBe(200);
  instancePath = new URL(inst.body.url).pathname;
}, 180_000);

afterAll(async () => {
  if (next && next.exitCode === null) {
    const gone = new Promise((r) => next!.once("exit", r));
    next.kill("SIGTERM");
    const timer = setTimeout(() => next!.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
  await server?.stop();
  cleanupTempDirs();
});

type Run = Awaited<ReturnType<typeof runConformance>>;

/** Both revisions at once: each run mostly waits on the server, one request at a time. */
function runBoth(url: string): Record<Revision, Promise<Run>> {
  const runs = Object.fromEntries(REVISIONS.map((rev) => [rev, runConformance(url, rev)])) as Record<Revision, Promise<Run>>;
  // A failed beforeAll must not leave a rejection unhandled; each test awaits its own run.
  for (const p of Object.values(runs)) p.catch(() => {});
  return runs;
}

describe(`MCP conformance, production server (direct Node mount) [${db}]`, () => {
  let runs: Record<Revision, Promise<Run>>;
  beforeAll(() => {
    runs = runBoth(`${server.url}${instancePath}`);
  });

  it.each(REVISIONS)("--requirements %s", async (rev) => {
    assertConformance("production server", rev, await runs[rev]);
  });
});

describe(`MCP conformance, App Router mount (next start) [${db}]`, () => {
  let url = "";
  let runs: Record<Revision, Promise<Run>>;
  beforeAll(async () => {
    // Same database; PGlite allows one process per data directory, so the first server goes.
    await server.stop();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...childEnv(), ...server.env, PORT: String(port), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" };
    let logs = "";
    next = spawn(process.execPath, [path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    next.stdout!.on("data", (d) => (logs += d));
    next.stderr!.on("data", (d) => (logs += d));
    await waitReady(url, next, () => logs);
    runs = runBoth(`${url}${instancePath}`);
  }, 90_000);

  it.each(REVISIONS)("--requirements %s", async (rev) => {
    assertConformance("App Router route", rev, await runs[rev]);
  });
});

