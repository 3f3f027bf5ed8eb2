// Latchkey benchmarks (issue 8). Production build, loopback only, bounded in time.
// Every figure is a ratio or a difference against a baseline measured in the same run, rounds
// interleaved (direct, gateway, direct, gateway…); reported as the median of per-round values
// with min and max. Targets are printed met/missed, never asserted.
//
// Processes: the bench (load generator, fake Stripe API from lib/sandbox), the upstream MCP
// servers (scripts/bench/upstreams.ts, own process), the production server (dist/server.js:
// the direct Node mount of the MCP core), `next start` on a copy of the same data (the App
// Router mount), and for the scale figure a second production server on a copy seeded with
// 100,000 registered users and 300,000 connections.
import { spawn, spawnSync, execSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Pool, WebSocket } from "undici";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { scan, effectivePolicy, defaultRules } from "@/lib/security/index";
import { fmt, fmtS, median, p99, summarize, type Summary } from "./stats";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const QUICK = process.argv.includes("--quick");
const PG = process.argv.includes("--pg");
/** --profile=<dir>: the measured server runs under `node --cpu-prof` (profile written when it stops). */
const PROFILE = process.argv.find((a) => a.startsWith("--profile="))?.slice("--profile=".length);
const T0 = Date.now();
let phase = "start";
const log = (m: string) => ((phase = m), process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1)}s] ${m}\n`));
// A hung phase must not hang CI: past this, stop (the exit handler kills every child).
const WATCHDOG_S = QUICK ? 300 : 900;
setTimeout(() => {
  console.error(`bench: gave up after ${WATCHDOG_S} s, in phase "${phase}"`);
  process.exit(1);
}, WATCHDOG_S * 1000).unref();

// Every phase is capped by count and by time (roundMs: a request-by-request round stops there,
// after at least 5 samples), so a busy machine slows the bench down only so much.
const C = QUICK
  ? { rounds: 3, pairs: 30, upPairs: 12, tputMs: 200, rateMs: 400, rateCap: 150, satMs: 500, listCalls: 8, soakMs: 1000, scanReps: 1, users: 1_000, scalePairs: 20, roundMs: 500 }
  : { rounds: 5, pairs: 200, upPairs: 100, tputMs: 1500, rateMs: 2000, rateCap: 8000, satMs: 4000, listCalls: 40, soakMs: 30000, scanReps: 3, users: 100_000, scalePairs: 100, roundMs: 4000 };
const SMALL_USERS = 100;
const CONNS_PER_USER = 3;

// ---------------------------------------------------------------- processes
const children = new Set<ChildProcess>();
const temps: string[] = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
// Interrupted (Ctrl-C, or scripts/test.mjs passing its signal on): exit through the handler above.
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
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
/**
 * The production server (`mount: "node"`, dist/server.js, which answers MCP URLs itself) or
 * `next start` (`mount: "app_router"`, where the App Router route handlers answer them).
 */
async function startServer(env: Record<string, string>, opts: { nodeArgs?: string[]; mount?: "node" | "app_router" } = {}): Promise<Srv> {
  const port = await freePort();
  const full = { ...env, HOST: "127.0.0.1", PORT: String(port) };
  const spawnedAt = performance.now();
  const args = opts.mount === "app_router"
    ? [...(opts.nodeArgs ?? []), path.join(ROOT, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(port)]
    : [...(opts.nodeArgs ?? []), path.join(ROOT, "dist", "server.js")];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: cleanEnv(full), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => (children.delete(child), r())));
  const url = `http://127.0.0.1:${port}`;
  // /api/ready boots the runtime under `next start` (it boots lazily there); the production server boots first.
  const probe = opts.mount === "app_router" ? "/api/ready" : "/api/health";
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`server not healthy:\n${out}`);
    try {
      const r = await fetch(`${url}${probe}`, { signal: AbortSignal.timeout(5000) });
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
async function startUpstreams(token: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "bench", "upstreams.ts"), token], { cwd: ROOT, env: cleanEnv({}), stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  const exited = new Promise<void>((r) => child.once("exit", () => (children.delete(child), r())));
  const line = await new Promise<string>((res, rej) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once("line", res);
    child.once("exit", (c) => rej(new Error(`upstreams exited (${c})`)));
  });
  return { url: JSON.parse(line).url as string, stop: async () => (child.kill("SIGTERM"), await exited) };
}
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}
/** utime + stime (fields 14, 15) of pid and every descendant (`next start` may fork workers). */
function cpuTicks(pid: number): number {
  const parent = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const f = procStat(Number(e));
    if (f) parent.set(Number(e), Number(f[1]));
  }
  let total = 0;
  for (const p of parent.keys()) {
    let q: number | undefined = p;
    while (q && q !== pid) q = parent.get(q);
    if (q === pid) {
      const f = procStat(p);
      if (f) total += Number(f[11]) + Number(f[12]);
    }
  }
  return total;
}
const TICK_MS = 1000 / Number(execSync("getconf CLK_TCK").toString().trim() || 100);
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}
/**
 * Post-GC heap of a server started with `--inspect=127.0.0.1:0`, through V8's own inspector
 * protocol (two full collections, then Runtime.getHeapUsage): no hook in product code. The
 * session is attached only for this and closed again.
 */
async function postGcHeapMb(srv: Srv): Promise<number> {
  const ws = /Debugger listening on (ws:\/\/\S+)/.exec(srv.logs())?.[1];
  if (!ws) throw new Error("no inspector URL in the server's output");
  const sock = new WebSocket(ws);
  await new Promise((res, rej) => { sock.onopen = res; sock.onerror = rej; });
  let id = 0;
  const pending = new Map<number, (v: Record<string, unknown>) => void>();
  sock.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: Record<string, unknown> };
    if (m.id !== undefined) pending.get(m.id)?.(m.result ?? {});
  };
  const send = (method: string) => new Promise<Record<string, unknown>>((res) => { pending.set(++id, res); sock.send(JSON.stringify({ id, method })); });
  await send("HeapProfiler.collectGarbage");
  await send("HeapProfiler.collectGarbage");
  const u = await send("Runtime.getHeapUsage");
  sock.close();
  return Number(u.usedSize) / 1048576;
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
function parseRpc(text: string) {
  return JSON.parse(text.startsWith("{") ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? "{}"));
}
function gatewayCall(pool: Pool, p: string, method: string, params: Record<string, unknown>, check?: (result: Record<string, unknown>) => boolean): Call {
  let id = 0;
  return async () => {
    const r = await pool.request({ method: "POST", path: p, headers: rpcHeaders(method, params.name as string | undefined), body: rpcBody(++id, method, params) });
    const text = await r.body.text();
    lastBody = `${r.statusCode} ${text.slice(0, 400)}`;
    if (r.statusCode !== 200) return false;
    const msg = parseRpc(text);
    return !msg.error && !msg.result?.isError && (!check || check(msg.result));
  };
}
function directStripe(pool: Pool, secret: string): Call {
  return async () => {
    const r = await pool.request({ method: "GET", path: "/v1/balance", headers: { authorization: `Bearer ${secret}` } });
    await r.body.text();
    return r.statusCode === 200;
  };
}
/** tools/call straight to an upstream, as an MCP client holding its token would send it. */
function directUpstream(pool: Pool, p: string, token: string): Call {
  let id = 0;
  return async () => {
    const r = await pool.request({ method: "POST", path: p, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name: "echo", arguments: { text: "hello" } } }) });
    const text = await r.body.text();
    lastBody = `${r.statusCode} ${text.slice(0, 400)}`;
    if (r.statusCode !== 200) return false;
    const msg = parseRpc(text);
    return !msg.error && !msg.result?.isError;
  };
}
async function timed(call: Call): Promise<number> {
  const t = performance.now();
  if (!(await call())) throw new Error(`call failed: ${lastBody}`);
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
/** Open loop: n requests at `rate`/s, latency measured from the scheduled send time. */
async function openLoop(call: Call, rate: number, n: number) {
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

// ---------------------------------------------------------------- data
type Sql = { exec(q: string): Promise<void>; close(): Promise<void> };
async function openData(dataDir: string, databaseUrl: string | undefined): Promise<Sql> {
  if (databaseUrl) {
    const { default: postgres } = await import("postgres");
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    return { exec: async (q) => void (await sql.unsafe(q)), close: () => sql.end() };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(path.join(dataDir, "pgdata"));
  return { exec: async (q) => void (await db.exec(q)), close: () => db.close() };
}
/**
 * Registered users `from..to` of the bench user's environment, each with CONNS_PER_USER
 * connections (the bench user's encrypted credential copied: they are never called), in two
 * bulk INSERTs. Triggers off for the load (session_replication_role): the cache-invalidation
 * NOTIFY per row is for live changes, and the server is not running.
 */
async function seedUsers(db: Sql, from: number, to: number) {
  if (to < from) return;
  const base = `SELECT c.environment_id, c.credential FROM connections c JOIN registered_users u ON u.id = c.owner_id WHERE u.origin_user_id = 'bench-user' AND c.connector = 'stripe'`;
  await db.exec(`SET session_replication_role = replica;
    INSERT INTO registered_users (id, environment_id, origin_user_id, email)
      SELECT 'ru_seed' || lpad(g::text, 7, '0'), b.environment_id, 'seed-' || g, 'seed-' || g || '@example.test'
      FROM generate_series(${from}, ${to}) g CROSS JOIN (${base}) b;
    INSERT INTO connections (id, environment_id, owner_type, owner_id, connector, credential, account_label)
      SELECT 'conn_seed' || lpad(g::text, 7, '0') || k.n, b.environment_id, 'registered_user', 'ru_seed' || lpad(g::text, 7, '0'), k.slug, b.credential, 'seed ' || g
      FROM generate_series(${from}, ${to}) g CROSS JOIN (VALUES (1, 'stripe'), (2, 'github'), (3, 'slack')) k(n, slug) CROSS JOIN (${base}) b;
    SET session_replication_role = origin;
    ANALYZE registered_users; ANALYZE connections;`);
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
/** Stops the throwaway PostgreSQL cluster (--pg), also when the bench fails. */
let pgStop: (() => Promise<void>) | null = null;

// ---- (7) security-gateway scan, in process: measured first, while the harness's own heap is
// small and no server runs beside it (the product scans inside its server, not beside 4 of them).
function measureScan() {
  log("scan");
  const policy = effectivePolicy(defaultRules());
  const mk = (bytes: number, adversarial: boolean) => {
    const items: unknown[] = [];
    let size = 2, i = 0;
    while (size < bytes) {
      const it = adversarial
        ? { note: `${"4111 1111 1111 111".repeat(3)} ${"a".repeat(40)}@${"b.".repeat(30)} sk_test_${"x".repeat(20)} ${"1".repeat(60)} +1 (555) 01${String(i % 1000).padStart(4, "0")}`, id: i }
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
      const reps = Math.max(QUICK ? 1 : 3, Math.min(200, Math.floor((C.scanReps * 1024 * 1024) / bytes)));
      scan(v, policy, { direction: "results" });
      const times: number[] = [];
      for (let r = 0; r < reps; r++) { const t = performance.now(); scan(v, policy, { direction: "results" }); times.push(performance.now() - t); }
      const ms = median(times);
      scanRes[`${label}_${adv ? "adversarial" : "normal"}`] = { mb_per_s: bytes / 1048576 / (ms / 1000), ms_per_mb: ms / (bytes / 1048576) };
    }
  }
  results.scan = scanRes;
}

async function main() {
  if (!existsSync(path.join(ROOT, "dist", "server.js")) || !existsSync(path.join(ROOT, ".next", "BUILD_ID"))) throw new Error("no production build: run `npm run build` first");
  measureScan();
  let databaseUrl: string | undefined;
  let bigDatabaseUrl: string | undefined;
  let adminUrl = "";
  const pgAdmin = async (q: string) => {
    const { default: postgres } = await import("postgres");
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await sql.unsafe(q);
    await sql.end();
  };
  if (PG) {
    const cl = (await import(path.join(ROOT, "scripts", "pg-cluster.mjs"))) as { start(): Promise<string>; stop(): Promise<void> };
    log("starting a throwaway PostgreSQL cluster");
    adminUrl = await cl.start();
    await pgAdmin("CREATE DATABASE bench");
    const u = new URL(adminUrl);
    u.pathname = "/bench"; databaseUrl = u.toString();
    u.pathname = "/bench_big"; bigDatabaseUrl = u.toString();
    pgStop = () => cl.stop();
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-"));
  temps.push(dataDir);
  const metricsToken = randomBytes(24).toString("hex");
  const upstreamToken = `up_${randomBytes(16).toString("hex")}`;
  const upstreams = await startUpstreams(upstreamToken);
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
    // The bench seeds its own users and packs; the first-run demo would only add boot work.
    LATCHKEY_FIRST_RUN_DEMO: "false",
    LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${new URL(upstreams.url).port}`,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };

  // ---- setup on a first server: key, packs, upstream servers, instances, the bench user's connection.
  const sandbox = await serveSandbox(createStripeSandbox());
  log("starting server (first start: migrations)");
  let srv = await startServer(env);
  log("setup: API key, packs, upstream servers");
  const cli = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "cli.ts"), "create-api-key", "--env", "test", "--name", "bench", "--json"], { cwd: ROOT, env: cleanEnv(srv.env), encoding: "utf8" });
  const keyLine = cli.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!keyLine) throw new Error(`create-api-key failed: ${cli.stdout}\n${cli.stderr}`);
  const key = JSON.parse(keyLine).secret as string;
  const secret = "sk_test_bench1234567890";
  await api(srv.url, "/api/v1/connectors/stripe/config", key, "PATCH", { base_url: sandbox.url });
  const ensure = async (packId: string) => new URL((await api(srv.url, "/api/v1/mcp-instances/ensure", key, "POST", { tool_pack_id: packId, user_identifier: "bench-user" })).url).pathname;
  const pack = await api(srv.url, "/api/v1/tool-packs", key, "POST", { name: "Bench", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] });
  const inst = await api(srv.url, "/api/v1/mcp-instances/ensure", key, "POST", { tool_pack_id: pack.id, user_identifier: "bench-user" });
  await api(srv.url, `/api/v1/registered-users/${inst.registered_user_id}/connections`, key, "POST", { connector: "stripe", credentials: { secret_key: secret } });
  const instPath = new URL(inst.url).pathname;
  // Upstream MCP servers with a static token: Latchkey decrypts it and injects it on every call.
  const register = (slug: string, p: string) => api(srv.url, "/api/v1/mcp-servers", key, "POST", { name: slug, slug, url: `${upstreams.url}${p}`, auth: { mode: "token", token: upstreamToken } });
  const LIST_SOURCES = 20;
  await Promise.all([register("real", "/real"), register("cheap", "/cheap"), ...Array.from({ length: LIST_SOURCES }, (_, i) => register(`ws${String(i).padStart(2, "0")}`, `/s/${i}`))]);
  const upPath = await ensure((await api(srv.url, "/api/v1/tool-packs", key, "POST", { name: "Upstreams", entries: [{ server: "real", tools: ["echo"] }, { server: "cheap", tools: ["echo"] }] })).id);
  const listPath = await ensure((await api(srv.url, "/api/v1/tool-packs", key, "POST", { name: "500 tools", entries: Array.from({ length: LIST_SOURCES }, (_, i) => ({ server: `ws${String(i).padStart(2, "0")}`, tools: "*" })) })).id);
  await srv.stop();

  // ---- data for the scale figure: 100 users here; a copy with C.users (the App Router gets its own copy).
  log(`seeding ${SMALL_USERS} users, then a copy with ${C.users}`);
  let db = await openData(dataDir, databaseUrl);
  await seedUsers(db, 2, SMALL_USERS);
  await db.close();
  const arDir = mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-ar-"));
  const bigDir = mkdtempSync(path.join(os.tmpdir(), "latchkey-bench-big-"));
  temps.push(arDir, bigDir);
  if (PG) {
    await pgAdmin("CREATE DATABASE bench_big TEMPLATE bench");
  } else {
    // PGlite admits one process per data directory: each server gets a copy of the same data.
    cpSync(dataDir, arDir, { recursive: true });
    cpSync(dataDir, bigDir, { recursive: true });
  }
  const tSeed = performance.now();
  db = await openData(bigDir, bigDatabaseUrl);
  await seedUsers(db, SMALL_USERS + 1, C.users);
  await db.close();
  const seedMs = performance.now() - tSeed;

  // ---- (9) cold start: restart on the same data, time to /api/health and to the first tools/call;
  // the queries that first (cold) call made in the mcp scope.
  log("cold start");
  // --quick starts the other two servers alongside (a smoke test, not a measurement: its cold
  // start figure is taken with three servers booting at once); a full run starts each alone.
  const startAr = () => startServer({ ...env, LATCHKEY_DATA_DIR: arDir }, { mount: "app_router" });
  const startBig = () => startServer({ ...env, LATCHKEY_DATA_DIR: bigDir, ...(bigDatabaseUrl ? { DATABASE_URL: bigDatabaseUrl } : {}) });
  const early = QUICK ? { ar: startAr(), big: startBig() } : null;
  for (const p of Object.values(early ?? {})) p.catch(() => {}); // awaited below
  const metricsOf = (s: Srv) => async () => {
    const t = await (await fetch(`${s.url}/api/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    const m = /latchkey_db_queries_total\{[^}]*scope="mcp"[^}]*\}\s+(\d+)/.exec(t);
    return m ? Number(m[1]) : 0; // a counter not yet touched is not exported
  };
  srv = await startServer(env, { nodeArgs: ["--inspect=127.0.0.1:0", ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(PROFILE)}`] : [])] });
  const queries = metricsOf(srv);
  const coldQ0 = await queries();
  const pool0 = new Pool(srv.url, { connections: 1 });
  const firstCall = gatewayCall(pool0, instPath, "tools/call", { name: "stripe_get_balance", arguments: {} });
  let attempts = 0;
  const firstDeadline = Date.now() + 30_000;
  while ((attempts++, !(await firstCall().catch((e) => ((lastBody = String(e)), false))))) {
    if (Date.now() > firstDeadline) throw new Error(`first tools/call never succeeded; last: ${lastBody}\n${srv.logs().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const firstCallAt = performance.now();
  await pool0.close();
  const coldQueriesSmall = attempts === 1 ? (await queries()) - coldQ0 : NaN;
  const cold = { to_health_ms: srv.healthyAt - srv.spawnedAt, to_first_tools_call_ms: firstCallAt - srv.spawnedAt, first_call_attempts: attempts };
  results.cold_start = cold;

  log("starting next start (App Router mount)");
  const ar = await (early?.ar ?? startAr());

  const gw = new Pool(srv.url, { connections: 64, pipelining: 1 });
  const arp = new Pool(ar.url, { connections: 64, pipelining: 1 });
  const dp = new Pool(sandbox.url, { connections: 64, pipelining: 1 });
  const up = new Pool(upstreams.url, { connections: 64, pipelining: 1 });
  const gCall = gatewayCall(gw, instPath, "tools/call", { name: "stripe_get_balance", arguments: {} });
  const dCall = directStripe(dp, secret);
  const echoed = (r: Record<string, unknown>) => (r.structuredContent as { echoed?: string } | undefined)?.echoed === "hello";
  const ups = (["cheap", "real"] as const).map((name) => ({
    name,
    direct: directUpstream(up, `/${name}`, upstreamToken),
    node: gatewayCall(gw, upPath, "tools/call", { name: `${name}__echo`, arguments: { text: "hello" } }, echoed),
    app: gatewayCall(arp, upPath, "tools/call", { name: `${name}__echo`, arguments: { text: "hello" } }, echoed),
  }));
  log("warm-up");
  await closedLoop(asLoop(gCall), 4, QUICK ? 200 : 1500);
  await closedLoop(asLoop(dCall), 4, QUICK ? 100 : 500);
  for (const u of ups) for (const c of [u.direct, u.node, u.app]) await closedLoop(asLoop(c), 4, QUICK ? 100 : 500);
  for (const u of ups) for (const c of [u.direct, u.node, u.app]) await timed(c); // each must work, or the bench stops here
  const rssWarm = rssMb(srv.pid);
  const heapWarm = await postGcHeapMb(srv);

  // ---- (2a) connector: paired latency difference at c=1, request by request.
  log("connector: paired latency c=1");
  const pr50: number[] = [], pr99: number[] = [], dmed: number[] = [];
  for (let r = 0; r < C.rounds; r++) {
    const diffs: number[] = [], ds: number[] = [];
    for (let i = 0, until = performance.now() + C.roundMs; i < C.pairs && (i < 5 || performance.now() < until); i++) {
      const d = await timed(dCall);
      const g = await timed(gCall);
      diffs.push(g - d); ds.push(d);
    }
    pr50.push(median(diffs)); pr99.push(p99(diffs)); dmed.push(median(ds));
  }
  const paired = { diff_p50_ms: summarize(pr50), diff_p99_ms: summarize(pr99), direct_p50_ms: summarize(dmed) };
  results.connector_paired_c1 = paired;

  // ---- (2b) connector: throughput ratio at c=16 and gateway CPU per call.
  log("connector: throughput c=16");
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

  // ---- (3) fixed-rate tail at 50 % of the direct capacity. Capped at twice what the gateway
  // sustained per round, so a rate it cannot keep up with queues for at most ~2 rounds' time.
  const rate = Math.max(10, 0.5 * median(dRps));
  const rateN = Math.max(20, Math.min(Math.floor((rate * C.rateMs) / 1000), C.rateCap, Math.floor((2 * median(gRps) * C.rateMs) / 1000)));
  log(`connector: fixed rate ${rate.toFixed(0)}/s × ${rateN}`);
  const tailDiff: number[] = [], gP99s: number[] = [];
  for (let r = 0; r < Math.min(C.rounds, QUICK ? 2 : 4); r++) {
    const d = await openLoop(dCall, rate, rateN);
    const g = await openLoop(gCall, rate, rateN);
    tailDiff.push(p99(g) - p99(d)); gP99s.push(p99(g));
  }
  results.fixed_rate_tail = { rate_per_s: rate, requests_per_round: rateN, p99_diff_ms: summarize(tailDiff), gateway_p99_ms: summarize(gP99s) };

  // ---- (4) saturation at c=64 through the gateway (admission control LATCHKEY_MAX_INFLIGHT=48).
  log("connector: saturation c=64");
  const statuses: Record<number, number> = {};
  const sat = await closedLoop(async () => {
    const r = await gw.request({ method: "POST", path: instPath, headers: rpcHeaders("tools/call", "stripe_get_balance"), body: rpcBody(1, "tools/call", { name: "stripe_get_balance", arguments: {} }) });
    await r.body.text();
    statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
    return { ok: r.statusCode === 200 };
  }, 64, C.satMs);
  const saturation = { slowest_ms: Math.max(...sat.lat), p99_ms: p99(sat.lat), ok: sat.ok, statuses, max_inflight: 48 };
  results.saturation_c64 = saturation;

  // ---- (1) upstream MCP tools/call, both mounts: paired c=1 (direct, node, App Router,
  // request by request), c=16 throughput ratios, CPU per call of each mount.
  const upstreamRes: Record<string, unknown> = {};
  for (const u of ups) {
    log(`upstream ${u.name}: paired c=1`);
    const n50: number[] = [], n99: number[] = [], a50: number[] = [], a99: number[] = [], d50: number[] = [];
    for (let r = 0; r < C.rounds; r++) {
      const dn: number[] = [], da: number[] = [], ds: number[] = [];
      for (let i = 0, until = performance.now() + C.roundMs; i < C.upPairs && (i < 5 || performance.now() < until); i++) {
        const d = await timed(u.direct);
        // Alternate which mount goes right after the direct call.
        let n: number, a: number;
        if (i % 2) { n = await timed(u.node); a = await timed(u.app); } else { a = await timed(u.app); n = await timed(u.node); }
        dn.push(n - d); da.push(a - d); ds.push(d);
      }
      n50.push(median(dn)); n99.push(p99(dn)); a50.push(median(da)); a99.push(p99(da)); d50.push(median(ds));
    }
    log(`upstream ${u.name}: throughput c=16`);
    const rn: number[] = [], ra: number[] = [], cn: number[] = [], ca: number[] = [], dr: number[] = [];
    for (let r = 0; r < C.rounds; r++) {
      const d = await closedLoop(asLoop(u.direct), 16, C.tputMs);
      let t0 = cpuTicks(srv.pid);
      const n = await closedLoop(asLoop(u.node), 16, C.tputMs);
      cn.push(((cpuTicks(srv.pid) - t0) * TICK_MS) / n.ok);
      t0 = cpuTicks(ar.pid);
      const a = await closedLoop(asLoop(u.app), 16, C.tputMs);
      ca.push(((cpuTicks(ar.pid) - t0) * TICK_MS) / a.ok);
      if (d.fail || n.fail || a.fail) throw new Error(`upstream ${u.name} at c=16: failures direct ${d.fail}, node ${n.fail}, app router ${a.fail}; last ${lastBody}`);
      rn.push(n.rps / d.rps); ra.push(a.rps / d.rps); dr.push(d.rps);
    }
    upstreamRes[u.name] = {
      direct_p50_ms: summarize(d50),
      node: { diff_p50_ms: summarize(n50), diff_p99_ms: summarize(n99), throughput_ratio: summarize(rn), cpu_ms_per_call: summarize(cn) },
      app_router: { diff_p50_ms: summarize(a50), diff_p99_ms: summarize(a99), throughput_ratio: summarize(ra), cpu_ms_per_call: summarize(ca) },
      direct_rps: summarize(dr),
    };
  }
  results.upstream = upstreamRes;

  // ---- (5) tools/list of a 500-tool pack (20 upstream servers × 25 tools) vs the 1-connector-tool pack.
  const listCheck = (want: number) => (r: Record<string, unknown>) => Array.isArray(r.tools) && r.tools.length === want;
  const bigListN = gatewayCall(gw, listPath, "tools/list", {}, listCheck(LIST_SOURCES * 25));
  const bigListA = gatewayCall(arp, listPath, "tools/list", {}, listCheck(LIST_SOURCES * 25));
  let smallTools = 0;
  const smallList = gatewayCall(gw, instPath, "tools/list", {}, (r) => ((smallTools = Array.isArray(r.tools) ? r.tools.length : 0), smallTools > 0));
  await timed(bigListN); await timed(bigListA); // fills each server's upstream tool cache
  log("tools/list 500 tools");
  const lp50: number[] = [], lp99: number[] = [], ldiff: number[] = [], la50: number[] = [];
  for (let r = 0; r < C.rounds; r++) {
    const b: number[] = [], s: number[] = [], a: number[] = [];
    for (let i = 0, until = performance.now() + C.roundMs; i < C.listCalls && (i < 5 || performance.now() < until); i++) { s.push(await timed(smallList)); b.push(await timed(bigListN)); a.push(await timed(bigListA)); }
    lp50.push(median(b)); lp99.push(p99(b)); ldiff.push(median(b) - median(s)); la50.push(median(a));
  }
  results.tools_list = { tools: LIST_SOURCES * 25, sources: LIST_SOURCES, p50_ms: summarize(lp50), p99_ms: summarize(lp99), small_pack_tools: smallTools, diff_vs_small_pack_ms: summarize(ldiff), app_router_p50_ms: summarize(la50) };
  await arp.close();
  await ar.stop();

  // ---- (8) memory: post-GC heap and RSS after warm-up and after a soak at c=16.
  log(`soak ${C.soakMs} ms`);
  const soak = await closedLoop(asLoop(gCall), 16, C.soakMs);
  const rssSoak = rssMb(srv.pid);
  const heapSoak = await postGcHeapMb(srv);
  results.memory = {
    heap_post_gc_after_warmup_mb: heapWarm, heap_post_gc_after_soak_mb: heapSoak, heap_growth_pct: ((heapSoak - heapWarm) / heapWarm) * 100,
    rss_after_warmup_mb: rssWarm, rss_after_soak_mb: rssSoak, rss_growth_pct: ((rssSoak - rssWarm) / rssWarm) * 100, soak_calls: soak.ok,
  };

  // ---- (6) DB queries per warm call (connector and upstream) from /api/metrics.
  const perWarm = async (call: Call, q: () => Promise<number>) => {
    const q0 = await q();
    for (let i = 0; i < 20; i++) await timed(call);
    return ((await q()) - q0) / 20;
  };
  const warmQ = { connector: await perWarm(gCall, queries), upstream: await perWarm(ups[0]!.node, queries) };

  // ---- (6) scale: the same tools/call against 100 vs C.users registered users (×3 connections),
  // two servers side by side, request by request.
  log(`scale: ${SMALL_USERS} vs ${C.users} users`);
  const big = await (early?.big ?? startBig());
  const bigQueries = metricsOf(big);
  const bp = new Pool(big.url, { connections: 4, pipelining: 1 });
  const bCall = gatewayCall(bp, instPath, "tools/call", { name: "stripe_get_balance", arguments: {} });
  const bigQ0 = await bigQueries();
  await timed(bCall); // the cold call
  const coldQueriesBig = (await bigQueries()) - bigQ0;
  await closedLoop(asLoop(bCall), 4, QUICK ? 200 : 1500); // as long as the small server's first warm-up
  const scaleRatio: number[] = [], scaleDiff: number[] = [];
  for (let r = 0; r < C.rounds; r++) {
    const s: number[] = [], b: number[] = [];
    for (let i = 0, until = performance.now() + C.roundMs; i < C.scalePairs && (i < 5 || performance.now() < until); i++) {
      if (i % 2) { s.push(await timed(gCall)); b.push(await timed(bCall)); } else { b.push(await timed(bCall)); s.push(await timed(gCall)); }
    }
    scaleRatio.push(median(b) / median(s)); scaleDiff.push(median(b) - median(s));
  }
  const warmQBig = await perWarm(bCall, bigQueries);
  results.scale = {
    small_users: SMALL_USERS, big_users: C.users, big_connections: C.users * CONNS_PER_USER, seed_ms: seedMs,
    p50_ratio: summarize(scaleRatio), p50_diff_ms: summarize(scaleDiff),
    queries: { cold_call_small: coldQueriesSmall, cold_call_big: coldQueriesBig, warm_call_connector: warmQ.connector, warm_call_upstream: warmQ.upstream, warm_call_big: warmQBig },
  };
  await bp.close();
  await big.stop();

  await gw.close(); await dp.close(); await up.close();
  await srv.stop();
  await sandbox.close();
  await upstreams.stop();
  if (pgStop) await pgStop();
  pgStop = null;

  const scanRes = results.scan as Record<string, { mb_per_s: number; ms_per_mb: number }>;

  // ---------------------------------------------------------------- report
  const m = (s: Summary) => s.median;
  const t = (figure: string, value: string, target: string, met: boolean | null, note?: string) => rows.push({ figure, value, target, met, note });
  t("Connector tools/call paired latency diff p50, c=1, direct mount", fmtS(paired.diff_p50_ms, 3, " ms"), "≤ 0.35 ms", m(paired.diff_p50_ms) <= 0.35);
  t("  … paired diff p99, c=1", fmtS(paired.diff_p99_ms, 3, " ms"), "", null, `direct p50 ${fmt(m(paired.direct_p50_ms), 3)} ms`);
  t("Connector tools/call throughput ratio c=16 (vs fake provider)", fmtS(tput.ratio, 3), "", null, `direct ${fmt(m(tput.direct_rps), 0)}/s, gateway ${fmt(m(tput.gateway_rps), 0)}/s`);
  t("Gateway CPU per call, connector path, direct mount", fmtS(tput.gateway_cpu_ms_per_call, 3, " ms"), "≤ 0.15 ms", m(tput.gateway_cpu_ms_per_call) <= 0.15);
  type UpRes = { direct_p50_ms: Summary; direct_rps: Summary; node: Record<string, Summary>; app_router: Record<string, Summary> };
  for (const name of ["cheap", "real"] as const) {
    const u = upstreamRes[name] as UpRes;
    const label = name === "cheap" ? "cheap upstream (raw JSON-RPC echo)" : "realistic upstream (SDK, stateless, server per request)";
    for (const [mount, mLabel] of [["node", "direct mount"], ["app_router", "App Router"]] as const) {
      const x = u[mount]!;
      // The issue's 0.35 ms paired-difference target is for the direct mount; the App Router row is informational.
      const diffTarget = mount === "node";
      t(`Upstream tools/call paired diff p50 / p99, c=1, ${label}, ${mLabel}`, `${fmtS(x.diff_p50_ms!, 3, " ms")} / ${fmtS(x.diff_p99_ms!, 3, " ms")}`, diffTarget ? "p50 ≤ 0.35 ms" : "", diffTarget ? m(x.diff_p50_ms!) <= 0.35 : null, mount === "node" ? `direct p50 ${fmt(m(u.direct_p50_ms), 3)} ms` : undefined);
      const ratioTarget = mount === "node" ? 0.9 : 0.55;
      t(`Upstream tools/call throughput ratio c=16, ${label}, ${mLabel}`, fmtS(x.throughput_ratio!, 3), `≥ ${ratioTarget.toFixed(2)}`, m(x.throughput_ratio!) >= ratioTarget, mount === "node" ? `direct ${fmt(m(u.direct_rps), 0)}/s` : undefined);
      const cpuTarget = name !== "cheap" ? null : mount === "node" ? 0.15 : 1.1;
      t(`Gateway CPU per call, ${label}, ${mLabel}`, fmtS(x.cpu_ms_per_call!, 3, " ms"), cpuTarget === null ? "" : `≤ ${cpuTarget} ms`, cpuTarget === null ? null : m(x.cpu_ms_per_call!) <= cpuTarget);
    }
  }
  t(`p99 diff at 50 % of direct capacity (${rate.toFixed(0)}/s, ${rateN} requests/round)`, fmtS(summarize(tailDiff), 2, " ms"), "≤ 5 ms", median(tailDiff) <= 5);
  t("c=64 through gateway: slowest request", `${fmt(saturation.slowest_ms, 0)} ms; statuses ${JSON.stringify(statuses)}`, "< 1000 ms", saturation.slowest_ms < 1000, "LATCHKEY_MAX_INFLIGHT=48; 503s are admission control");
  t(`tools/list p50, ${LIST_SOURCES * 25}-tool pack (${LIST_SOURCES} upstream servers × 25), direct mount`, fmtS(summarize(lp50), 3, " ms"), "≤ 3 ms", median(lp50) <= 3, `diff vs the ${smallTools}-tool pack ${fmt(median(ldiff), 3)} ms; App Router p50 ${fmt(median(la50), 3)} ms`);
  t(`  … tools/list p99, ${LIST_SOURCES * 25}-tool pack`, fmtS(summarize(lp99), 3, " ms"), "", null);
  t(`${SMALL_USERS} → ${C.users.toLocaleString("en")} users (${(C.users * CONNS_PER_USER).toLocaleString("en")} connections) tools/call p50 ratio`, fmtS(summarize(scaleRatio), 3), "≤ 1.1", median(scaleRatio) <= 1.1, `diff ${fmt(median(scaleDiff), 3)} ms`);
  const sq = (results.scale as { queries: Record<string, number> }).queries;
  t("DB queries per warm tools/call (scope=mcp): connector, upstream, big DB", `${fmt(sq.warm_call_connector!, 2)}, ${fmt(sq.warm_call_upstream!, 2)}, ${fmt(sq.warm_call_big!, 2)}`, "0", [sq.warm_call_connector, sq.warm_call_upstream, sq.warm_call_big].every((x) => x === 0));
  t("DB queries of a cold tools/call (first after start): 100 users, big DB", `${fmt(sq.cold_call_small!, 0)}, ${fmt(sq.cold_call_big!, 0)}`, "≤ 1", Number.isNaN(sq.cold_call_small) ? null : sq.cold_call_small! <= 1 && sq.cold_call_big! <= 1);
  const minN = Math.min(...Object.entries(scanRes).filter(([k]) => k.endsWith("normal") && !k.startsWith("1KB")).map(([, v]) => v.mb_per_s));
  const advRatio = Math.max(...["100KB", "1MB", "10MB"].filter((l) => scanRes[`${l}_normal`]).map((l) => scanRes[`${l}_adversarial`]!.ms_per_mb / scanRes[`${l}_normal`]!.ms_per_mb));
  t("Scan MB/s (normal, ≥100 KB, min)", `${fmt(minN, 1)} MB/s; ` + Object.entries(scanRes).map(([k, v]) => `${k} ${fmt(v.mb_per_s, 1)}`).join(", "), "≥ 50 MB/s", minN >= 50);
  // Flat per MB: the 10 MB input costs at most 1.5× the 1 MB input's time per MB, for normal and adversarial content alike.
  const scanBig = scanRes["10MB_normal"] ? "10MB" : "1MB";
  const scanSmall = scanBig === "10MB" ? "1MB" : "100KB";
  const lin = (kind: string) => scanRes[`${scanBig}_${kind}`]!.ms_per_mb / scanRes[`${scanSmall}_${kind}`]!.ms_per_mb;
  const linMax = Math.max(lin("normal"), lin("adversarial"));
  t(`Scan time per MB, ${scanBig} vs ${scanSmall} (normal, adversarial)`, `${fmt(lin("normal"), 2)}×, ${fmt(lin("adversarial"), 2)}×`, "≤ 1.5×", linMax <= 1.5);
  t("  … adversarial / normal time per MB (max)", `${fmt(advRatio, 2)}×`, "", null, "adversarial records are dense with real findings (card, email, key, phone), each validated and redacted");
  const mem = results.memory as Record<string, number>;
  t(`Post-GC heap growth over soak (${C.soakMs / 1000} s, c=16)`, `${fmt(mem.heap_growth_pct!, 1)} % (${fmt(mem.heap_post_gc_after_warmup_mb!, 1)} → ${fmt(mem.heap_post_gc_after_soak_mb!, 1)} MB)`, "≤ 10 %", mem.heap_growth_pct! <= 10, `${soak.ok} calls; after warm-up, then after every phase above and the soak`);
  t("RSS growth over the same span", `${fmt(mem.rss_growth_pct!, 1)} % (${fmt(mem.rss_after_warmup_mb!, 0)} → ${fmt(mem.rss_after_soak_mb!, 0)} MB)`, "≤ 10 %", mem.rss_growth_pct! <= 10);
  t("Cold start to /api/health", `${fmt(cold.to_health_ms, 0)} ms`, "", null);
  t("Cold start to first successful tools/call", `${fmt(cold.to_first_tools_call_ms, 0)} ms`, "", null, `${cold.first_call_attempts} attempt(s)`);

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

main().then(() => process.exit(0), async (e) => {
  console.error(e);
  await pgStop?.().catch(() => {});
  process.exit(1);
});
