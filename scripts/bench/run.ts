// Latchkey benchmarks (issue 8, first slice). Production build, loopback only, bounded.
// Every figure is a ratio or a difference against a baseline measured in the same run, rounds
// interleaved (direct, gateway, direct, gateway…); reported as the median of per-round values
// with min and max. Targets are printed met/missed, never asserted.
import { spawn, spawnSync, execSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Pool } from "undici";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { connectors } from "@/lib/connectors/catalog";
import { scan, effectivePolicy, defaultRules } from "@/lib/security/index";
import { fmt, fmtS, median, p99, summarize, type Summary } from "./stats";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const QUICK = process.argv.includes("--quick");
const PG = process.argv.includes("--pg");
/** --profile=<dir>: the measured server runs under `node --cpu-prof` (profile written when it stops). */
const PROFILE = process.argv.find((a) => a.startsWith("--profile="))?.slice("--profile=".length);
const T0 = Date.now();
const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1)}s] ${m}\n`);

const C = QUICK
  ? { rounds: 3, pairs: 30, tputMs: 400, rateMs: 500, satMs: 800, listCalls: 20, soakMs: 2000, scanReps: 1 }
  : { rounds: 7, pairs: 200, tputMs: 2000, rateMs: 3000, satMs: 4000, listCalls: 200, soakMs: 30000, scanReps: 3 };

// ---------------------------------------------------------------- server process
const children = new Set<ChildProcess>();
const temps: string[] = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? res(a.port) : rej(new Error("no port"))));
    });
  });
}
function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("LATCHKEY_") || ["NODE_OPTIONS", "DATABASE_URL", "AUTH_SECRET", "PORT", "HOST"].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...vars, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" } as NodeJS.ProcessEnv;
}
type Srv = { url: string; pid: number; child: ChildProcess; env: Record<string, string>; spawnedAt: number; healthyAt: number; logs: () => string; stop(): Promise<void> };
async function startServer(env: Record<string, string>, nodeArgs: string[] = []): Promise<Srv> {
  const port = await freePort();
  const full = { ...env, HOST: "127.0.0.1", PORT: String(port) };
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, "dist", "server.js")], { cwd: ROOT, env: cleanEnv(full), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => (children.delete(child), r())));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`server not healthy:\n${out}`);
    try {
      const r = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const healthyAt = performance.now();
  return {
    url, pid: child.pid!, child, env: full, spawnedAt, healthyAt, logs: () => out,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}
const TICK_MS = 1000 / Number(execSync("getconf CLK_TCK").toString().trim() || 100);
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------- HTTP helpers
async function api(base: string, p: string, key: string, method: string, json?: unknown) {
  const r = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: json === undefined ? undefined : JSON.stringify(json) });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${method} ${p} → ${r.status} ${JSON.stringify(body)}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose JSON from our own API
  return body as any;
}
const MODERN = "2026-07-28";
function rpcBody(id: number, method: string, params: Record<string, unknown> = {}) {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: { "io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {} } } });
}
const rpcHeaders = (method: string, name?: string): Record<string, string> => ({ "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": MODERN, "mcp-method": method, ...(name ? { "mcp-name": name } : {}) });

type Call = () => Promise<boolean>;
let lastBody = "";
function gatewayCall(pool: Pool, p: string, method: string, params: Record<string, unknown>): Call {
  let id = 0;
  return async () => {
    const r = await pool.request({ method: "POST", path: p, headers: rpcHeaders(method, params.name as string | undefined), body: rpcBody(++id, method, params) });
    const text = await r.body.text();
    lastBody = `${r.statusCode} ${text.slice(0, 400)}`;
    if (r.statusCode !== 200) return false;
    const msg = JSON.parse(text.startsWith("{") ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? "{}"));
    return !msg.error && !msg.result?.isError;
  };
}
function directCall(pool: Pool, secret: string): Call {
  return async () => {
    const r = await pool.request({ method: "GET", path: "/v1/balance", headers: { authorization: `Bearer ${secret}` } });
    await r.body.text();
    return r.statusCode === 200;
  };
}
async function timed(call: Call): Promise<number> {
  const t = performance.now();
  if (!(await call())) throw new Error("call failed");
  return performance.now() - t;
}
/** Closed loop at concurrency c for ms; returns calls/s, latencies, status counts. */
async function closedLoop(call: () => Promise<{ ok: boolean; status?: number }>, c: number, ms: number) {
  const end = performance.now() + ms;
  const lat: number[] = [];
  let ok = 0, fail = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await call();
      lat.push(performance.now() - t);
      if (r.ok) ok++;
      else fail++;
    }
  }));
  const el = (performance.now() - t0) / 1000;
  return { rps: ok / el, lat, ok, fail };
}
const asLoop = (call: Call) => async () => ({ ok: await call().catch(() => false) });
/** Open loop: fires at `rate`/s for ms, latency measured from the scheduled send time. */
async function openLoop(call: Call, rate: number, ms: number) {
  const n = Math.max(1, Math.floor((rate * ms) / 1000));
  const lat: number[] = [];
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const at = t0 + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(call().then(() => void lat.push(performance.now() - at), () => void lat.push(performance.now() - at)));
  }
  await Promise.all(inflight);
  return lat;
}

// ---------------------------------------------------------------- environment
function environment() {
  const pkg = (n: string) => { try { return JSON.parse(readFileSync(path.join(ROOT, "node_modules", n, "package.json"), "utf8")).version; } catch { return null; } };
  let sha = null;
  try { sha = execSync("git rev-parse HEAD", { cwd: ROOT }).toString().trim(); } catch { /* no git */ }
  return {
    cpu: os.cpus()[0]?.model ?? "unknown", nproc: os.availableParallelism(), loadavg: os.loadavg(), node: process.version,
    next: pkg("next"), mcp_sdk: pkg("@modelcontextprotocol/sdk"), undici: pkg("undici"), git_sha: sha,
    db: PG ? "postgres" : "pglite", quick: QUICK, date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------- main
type Row = { figure: string; value: string; target?: string; met?: boolean | null; note?: string };
const rows: Row[] = [];
const results: Record<string, unknown> = {};

async function main() {
  if (!existsSync(path.join(ROOT, "dist", "server.js"))) throw new Error("dist/server.js missing: run `npm run build` first");
  let pgStop: (() => Promise<void>) | null = null;
  let databaseUrl: string | undefined;
  if (PG) {
    const cl = (await import(path.join(ROOT, "scripts", "pg-cluster.mjs"))) as { start(): Promise<string>; stop(): Promise<void> };
    log("starting a throwaway PostgreSQL cluster");
    const admin = await cl.start();
    const { default: postgres } = await import("postgres");
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    await sql.unsafe("CREATE DATABASE bench");
    await sql.end();
    const u = new URL(admin); u.pathname = "/bench"; databaseUrl = u.toString();
    pgStop = () => cl.stop();
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-"));
  temps.push(dataDir);
  const metricsToken = randomBytes(24).toString("hex");
  const env: Record<string, string> = {
    LATCHKEY_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    LATCHKEY_ADMIN_EMAIL: "admin@example.test",
    LATCHKEY_ADMIN_PASSWORD: `pw-${randomBytes(12).toString("base64url")}`,
    LATCHKEY_LOG_LEVEL: "warn",
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_METRICS_TOKEN: metricsToken,
    LATCHKEY_MCP_RATE_LIMIT: "100000000",
    LATCHKEY_MCP_USER_RATE_LIMIT: "100000000",
    LATCHKEY_API_RATE_LIMIT: "100000000",
    LATCHKEY_MAX_INFLIGHT: "48",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };

  const sandbox = await serveSandbox(createStripeSandbox());
  log("starting server (first start: migrations)");
  let srv = await startServer(env);
  const cli = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "cli.ts"), "create-api-key", "--env", "test", "--name", "bench", "--json"], { cwd: ROOT, env: cleanEnv(srv.env), encoding: "utf8" });
  const keyLine = cli.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!keyLine) throw new Error(`create-api-key failed: ${cli.stdout}\n${cli.stderr}`);
  const key = JSON.parse(keyLine).secret as string;
  const secret = "sk_test_bench1234567890";
  await api(srv.url, "/api/v1/connectors/stripe/config", key, "PATCH", { base_url: sandbox.url });
  const pack = await api(srv.url, "/api/v1/tool-packs", key, "POST", { name: "Bench", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] });
  const inst = await api(srv.url, "/api/v1/mcp-instances/ensure", key, "POST", { tool_pack_id: pack.id, user_identifier: "bench-user" });
  await api(srv.url, `/api/v1/registered-users/${inst.registered_user_id}/connections`, key, "POST", { connector: "stripe", credentials: { secret_key: secret } });
  const instPath = new URL(inst.url).pathname;
  const allTools = connectors.flatMap((c) => c.tools.map((t) => t.name));
  const bigPack = await api(srv.url, "/api/v1/tool-packs", key, "POST", { name: "Big", entries: connectors.map((c) => ({ connector: c.slug, tools: c.tools.map((t) => t.name) })) });
  const bigInst = await api(srv.url, "/api/v1/mcp-instances/ensure", key, "POST", { tool_pack_id: bigPack.id, user_identifier: "bench-user" });
  const bigPath = new URL(bigInst.url).pathname;

  // (9) cold start: restart on the same data, time to /api/health and to the first tools/call.
  await srv.stop();
  log("cold start");
  srv = await startServer(env, PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(PROFILE)}`] : []);
  const pool0 = new Pool(srv.url, { connections: 1 });
  const firstCall = gatewayCall(pool0, instPath, "tools/call", { name: "stripe_get_balance", arguments: {} });
  const firstDeadline = Date.now() + 30_000;
  while (!(await firstCall().catch((e) => ((lastBody = String(e)), false)))) {
    if (Date.now() > firstDeadline) throw new Error(`first tools/call never succeeded; last: ${lastBody}\n${srv.logs().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const firstCallAt = performance.now();
  await pool0.close();
  const cold = { to_health_ms: srv.healthyAt - srv.spawnedAt, to_first_tools_call_ms: firstCallAt - srv.spawnedAt };
  results.cold_start = cold;

  const gw = new Pool(srv.url, { connections: 64, pipelining: 1 });
  const dp = new Pool(sandbox.url, { connections: 64, pipelining: 1 });
  const gCall = gatewayCall(gw, instPath, "tools/call", { name: "stripe_get_balance", arguments: {} });
  const dCall = directCall(dp, secret);
  log("warm-up");
  await closedLoop(asLoop(gCall), 4, QUICK ? 300 : 1500);
  await closedLoop(asLoop(dCall), 4, QUICK ? 200 : 500);
  const rssWarm = rssMb(srv.pid);

  // (2a) paired latency difference at c=1, request by request.
  log("paired latency c=1");
  const pr50: number[] = [], pr99: number[] = [], dmed: number[] = [];
  for (let r = 0; r < C.rounds; r++) {
    const diffs: number[] = [], ds: number[] = [];
    for (let i = 0; i < C.pairs; i++) {
      const d = await timed(dCall);
      const g = await timed(gCall);
      diffs.push(g - d); ds.push(d);
    }
    pr50.push(median(diffs)); pr99.push(p99(diffs)); dmed.push(median(ds));
  }
  const paired = { diff_p50_ms: summarize(pr50), diff_p99_ms: summarize(pr99), direct_p50_ms: summarize(dmed) };
  results.connector_paired_c1 = paired;

  // (2b) throughput ratio at c=16 and gateway CPU per call.
  log("throughput c=16");
  const ratios: number[] = [], cpuPer: number[] = [], dRps: number[] = [], gRps: number[] = [];
  for (let r = 0; r < C.rounds; r++) {
    const d = await closedLoop(asLoop(dCall), 16, C.tputMs);
    const c0 = cpuTicks(srv.pid);
    const g = await closedLoop(asLoop(gCall), 16, C.tputMs);
    const c1 = cpuTicks(srv.pid);
    if (g.fail) throw new Error(`${g.fail} gateway calls failed at c=16`);
    ratios.push(g.rps / d.rps); dRps.push(d.rps); gRps.push(g.rps);
    cpuPer.push(((c1 - c0) * TICK_MS) / g.ok);
  }
  const tput = { ratio: summarize(ratios), direct_rps: summarize(dRps), gateway_rps: summarize(gRps), gateway_cpu_ms_per_call: summarize(cpuPer) };
  results.connector_throughput_c16 = tput;

  // (3) fixed-rate tail at 50 % of the direct capacity.
  const rate = Math.max(10, 0.5 * median(dRps));
  log(`fixed rate ${rate.toFixed(0)}/s`);
  const tailDiff: number[] = [], gP99s: number[] = [];
  for (let r = 0; r < Math.min(C.rounds, QUICK ? 2 : 5); r++) {
    const d = await openLoop(dCall, rate, C.rateMs);
    const g = await openLoop(gCall, rate, C.rateMs);
    tailDiff.push(p99(g) - p99(d)); gP99s.push(p99(g));
  }
  results.fixed_rate_tail = { rate_per_s: rate, p99_diff_ms: summarize(tailDiff), gateway_p99_ms: summarize(gP99s) };

  // (4) saturation at c=64 through the gateway (admission control LATCHKEY_MAX_INFLIGHT=48).
  log("saturation c=64");
  const statuses: Record<number, number> = {};
  const sat = await closedLoop(async () => {
    const r = await gw.request({ method: "POST", path: instPath, headers: rpcHeaders("tools/call", "stripe_get_balance"), body: rpcBody(1, "tools/call", { name: "stripe_get_balance", arguments: {} }) });
    await r.body.text();
    statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
    return { ok: r.statusCode === 200 };
  }, 64, C.satMs);
  const lat503: number[] = [];
  const saturation = { slowest_ms: Math.max(...sat.lat), p99_ms: p99(sat.lat), ok: sat.ok, statuses, max_inflight: 48 };
  void lat503;
  results.saturation_c64 = saturation;

  // (5) tools/list for the biggest pack available vs a 1-tool pack (same instance user).
  log(`tools/list ${allTools.length} tools`);
  const bigList = gatewayCall(gw, bigPath, "tools/list", {});
  const smallList = gatewayCall(gw, instPath, "tools/list", {});
  const bigP50: number[] = [], listDiff: number[] = [];
  for (let r = 0; r < C.rounds; r++) {
    const b: number[] = [], s: number[] = [];
    for (let i = 0; i < C.listCalls / 4; i++) { s.push(await timed(smallList)); b.push(await timed(bigList)); }
    bigP50.push(median(b)); listDiff.push(median(b) - median(s));
  }
  results.tools_list = { tools: allTools.length, p50_ms: summarize(bigP50), diff_vs_1_tool_ms: summarize(listDiff) };

  // (8) memory: RSS after warm-up and after a soak at c=16.
  log(`soak ${C.soakMs} ms`);
  const soak = await closedLoop(asLoop(gCall), 16, C.soakMs);
  const rssSoak = rssMb(srv.pid);
  results.memory = { rss_after_warmup_mb: rssWarm, rss_after_soak_mb: rssSoak, growth_pct: ((rssSoak - rssWarm) / rssWarm) * 100, soak_calls: soak.ok };

  // (6) DB queries per warm call from /api/metrics.
  const metric = async () => {
    const t = await (await fetch(`${srv.url}/api/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    const m = /latchkey_db_queries_total\{[^}]*scope="mcp"[^}]*\}\s+(\d+)/.exec(t);
    return m ? Number(m[1]) : NaN;
  };
  const q0 = await metric();
  for (let i = 0; i < 20; i++) await gCall();
  const q1 = await metric();
  results.db_queries_per_warm_call = (q1 - q0) / 20;

  await gw.close(); await dp.close();
  await srv.stop();
  await sandbox.close();
  if (pgStop) await pgStop();

  // (7) security-gateway scan, in process.
  log("scan");
  const policy = effectivePolicy(defaultRules());
  const mk = (bytes: number, adversarial: boolean) => {
    const items: unknown[] = [];
    let size = 2, i = 0;
    while (size < bytes) {
      const it = adversarial
        ? { note: `${"4111 1111 1111 111".repeat(3)} ${"a".repeat(40)}@${"b.".repeat(30)} sk_test_${"x".repeat(20)} ${"1".repeat(60)} +1 (555) 01${i}`, id: i }
        : { id: `cus_${i}`, name: `Customer ${i}`, description: "A perfectly ordinary record with some prose in it for the scanner to walk through.", amount: i * 100, currency: "usd" };
      const s = JSON.stringify(it);
      size += s.length + 1; items.push(it); i++;
    }
    return { data: items };
  };
  const scanRes: Record<string, { mb_per_s: number; ms_per_mb: number }> = {};
  for (const [label, bytes] of [["1KB", 1024], ["100KB", 100 * 1024], ["1MB", 1024 * 1024], ["10MB", 10 * 1024 * 1024]] as const) {
    for (const adv of [false, true]) {
      if (QUICK && bytes > 1024 * 1024) continue;
      const v = mk(bytes, adv);
      const reps = Math.max(1, Math.min(200, Math.floor((C.scanReps * 1024 * 1024) / bytes)));
      scan(v, policy, { direction: "results" });
      const times: number[] = [];
      for (let r = 0; r < reps; r++) { const t = performance.now(); scan(v, policy, { direction: "results" }); times.push(performance.now() - t); }
      const ms = median(times);
      scanRes[`${label}_${adv ? "adversarial" : "normal"}`] = { mb_per_s: bytes / 1048576 / (ms / 1000), ms_per_mb: ms / (bytes / 1048576) };
    }
  }
  results.scan = scanRes;

  // ---------------------------------------------------------------- report
  const m = (s: Summary) => s.median;
  const t = (figure: string, value: string, target: string, met: boolean | null, note?: string) => rows.push({ figure, value, target, met, note });
  t("Connector tools/call paired latency diff p50, c=1, direct mount", fmtS(paired.diff_p50_ms, 3, " ms"), "≤ 0.35 ms", m(paired.diff_p50_ms) <= 0.35);
  t("  … paired diff p99, c=1", fmtS(paired.diff_p99_ms, 3, " ms"), "", null, `direct p50 ${fmt(m(paired.direct_p50_ms), 3)} ms`);
  t("Upstream MCP tools/call throughput ratio c=16", "not measured (needs issue 6)", "≥ 0.90", null);
  t("Connector tools/call throughput ratio c=16 (vs fake provider)", fmtS(tput.ratio, 3), "", null, `direct ${fmt(m(tput.direct_rps), 0)}/s, gateway ${fmt(m(tput.gateway_rps), 0)}/s`);
  t("Gateway CPU per call, connector path, direct mount", fmtS(tput.gateway_cpu_ms_per_call, 3, " ms"), "≤ 0.15 ms", m(tput.gateway_cpu_ms_per_call) <= 0.15);
  t("App Router mount CPU per call / ratio", "not measured (this slice)", "≤ 1.1 ms, ≥ 0.55", null);
  t(`p99 diff at 50 % of direct capacity (${rate.toFixed(0)}/s)`, fmtS(summarize(tailDiff), 2, " ms"), "≤ 5 ms", median(tailDiff) <= 5);
  t("c=64 through gateway: slowest request", `${fmt(saturation.slowest_ms, 0)} ms; statuses ${JSON.stringify(statuses)}`, "< 1000 ms", saturation.slowest_ms < 1000, "LATCHKEY_MAX_INFLIGHT=48; 503s are admission control");
  t(`tools/list p50, ${allTools.length}-tool pack (every connector tool; 500 needs issue 6)`, fmtS(summarize(bigP50), 3, " ms"), "≤ 3 ms", median(bigP50) <= 3, `diff vs 1-tool pack ${fmt(median(listDiff), 3)} ms`);
  t("100 → 100,000 users latency ratio", "not measured (this slice)", "≤ 1.1", null);
  t("DB queries per warm tools/call (scope=mcp)", fmt(results.db_queries_per_warm_call as number, 2), "", null);
  const minN = Math.min(...Object.entries(scanRes).filter(([k]) => k.endsWith("normal") && !k.startsWith("1KB")).map(([, v]) => v.mb_per_s));
  const advRatio = Math.max(...["100KB", "1MB", "10MB"].filter((l) => scanRes[`${l}_normal`]).map((l) => scanRes[`${l}_adversarial`]!.ms_per_mb / scanRes[`${l}_normal`]!.ms_per_mb));
  t("Scan MB/s (normal, ≥100 KB, min)", `${fmt(minN, 1)} MB/s; ` + Object.entries(scanRes).map(([k, v]) => `${k} ${fmt(v.mb_per_s, 1)}`).join(", "), "≥ 50 MB/s", minN >= 50);
  t("Scan adversarial / normal time per MB (max)", `${fmt(advRatio, 2)}×`, "≤ 1.5×", advRatio <= 1.5);
  const mem = results.memory as { growth_pct: number; rss_after_warmup_mb: number; rss_after_soak_mb: number };
  t(`RSS growth over soak (${C.soakMs / 1000} s, c=16)`, `${fmt(mem.growth_pct, 1)} % (${fmt(mem.rss_after_warmup_mb, 0)} → ${fmt(mem.rss_after_soak_mb, 0)} MB)`, "≤ 10 %", mem.growth_pct <= 10);
  t("Cold start to /api/health", `${fmt(cold.to_health_ms, 0)} ms`, "", null);
  t("Cold start to first tools/call", `${fmt(cold.to_first_tools_call_ms, 0)} ms`, "", null);

  const envInfo = environment();
  const lines = [
    `Latchkey bench (${QUICK ? "quick" : "full"}, ${envInfo.db}) — ${envInfo.cpu}, ${envInfo.nproc} CPUs, load ${envInfo.loadavg.map((x) => x.toFixed(2)).join(" ")}, Node ${envInfo.node}, Next ${envInfo.next}, SDK ${envInfo.mcp_sdk}, ${envInfo.git_sha?.slice(0, 10)}`,
    "",
    "| Figure | Value: median (min–max over rounds) | Target | |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.figure} | ${r.value}${r.note ? ` — ${r.note}` : ""} | ${r.target ?? ""} | ${r.met === true ? "met" : r.met === false ? "missed" : ""} |`),
  ];
  console.log(lines.join("\n"));
  console.log(`\nruntime ${((Date.now() - T0) / 1000).toFixed(1)} s`);
  mkdirSync(path.join(ROOT, "bench"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", QUICK ? "results.quick.json" : "results.json"), JSON.stringify({ environment: envInfo, runtime_s: (Date.now() - T0) / 1000, results, table: rows }, null, 2) + "\n");
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
