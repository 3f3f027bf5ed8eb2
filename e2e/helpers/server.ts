// Starts the production build (`node dist/server.js`) as a child process for integration tests.
// Never `next dev`: the tests run against what operators run.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, inject } from "vitest";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const SERVER_ENTRY = path.join(ROOT, "dist", "server.js");

export type DbKind = "pglite" | "postgres";

/** Which database the suite runs against: LATCHKEY_TEST_DB=pglite|postgres (default pglite). */
export const TEST_DB: DbKind = process.env.LATCHKEY_TEST_DB === "postgres" ? "postgres" : "pglite";

export type StartOptions = {
  db: DbKind;
  /** Extra or overriding variables. A key set to "" is removed from the child's env. */
  env?: Record<string, string>;
  /** PGlite: reuse this data directory (a restart); default a fresh temp dir. */
  dataDir?: string;
  /** PostgreSQL: reuse this database; default a fresh `t_<random>` database on the test cluster. */
  databaseUrl?: string;
  /** Listen on this port (e.g. one already registered as an OAuth redirect URI); default a free one. */
  port?: number;
  /** How long to wait for /api/health to answer. */
  timeoutMs?: number;
};

export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export type TestServer = {
  url: string;
  port: number;
  /** PGlite data directory (also set, unused, in postgres mode). */
  dataDir: string;
  databaseUrl: string | undefined;
  /** The variables the server was started with (beyond the inherited ones); reuse them to restart. */
  env: Record<string, string>;
  pid: number;
  logs(): string;
  /** Runs the admin CLI with the same env and cwd. */
  cli(args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
};

// ---------------------------------------------------------------- bookkeeping and cleanup

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();

process.once("exit", () => {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
  // A child that exited a moment ago may still have had files open: retry ENOTEMPTY/EBUSY briefly.
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

/** Stops (SIGTERM, then SIGKILL) every server and CLI process this test process started and that still runs. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}

// Every test file that uses these helpers stops what it started, even a server whose handle a
// failed test never got (e.g. one of two started together when the other failed). Registered
// first, so it runs after the file's own afterAll hooks.
afterAll(stopAllProcesses);

/** Removes the temp data directories this process made. Call from afterAll once servers are stopped. */
export function cleanupTempDirs() {
  // A child that exited a moment ago may still have had files open: retry ENOTEMPTY/EBUSY briefly.
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  tempDirs.clear();
}

export function makeTempDir(prefix = "latchkey-e2e-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// ---------------------------------------------------------------- generated configuration

export function randomKey(): string {
  return randomBytes(32).toString("base64");
}

/** `kid:base64` entries, first active. */
export function keyring(...entries: [kid: string, key: string][]): string {
  return entries.map(([kid, key]) => `${kid}:${key}`).join(",");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

// ---------------------------------------------------------------- PostgreSQL test databases

/** Admin URL of the throwaway cluster (scripts/pg-cluster.mjs), from env or the global setup. */
export function pgAdminUrl(): string {
  let url = process.env.LATCHKEY_TEST_PG_URL;
  if (!url) {
    try {
      url = inject("pgAdminUrl") || undefined;
    } catch {
      /* not inside vitest */
    }
  }
  if (!url) throw new Error("LATCHKEY_TEST_PG_URL is not set: run through `npm test`, or start scripts/pg-cluster.mjs and export it");
  return url;
}

/** A fresh, empty database on the test cluster; returns its URL. */
export async function createDatabase(): Promise<string> {
  const admin = pgAdminUrl();
  const name = `t_${randomBytes(6).toString("hex")}`;
  const { default: postgres } = await import("postgres");
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

// ---------------------------------------------------------------- child processes

/** The environment of a child: ours, without anything of the parent's that would change its behaviour. */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("LATCHKEY_") && k !== "LATCHKEY_TEST_PG_URL" && k !== "LATCHKEY_TEST_DB") continue;
    if (k.startsWith("VITEST") || k === "NODE_OPTIONS" || k === "TEST" || k === "DATABASE_URL" || k === "AUTH_SECRET") continue;
    if (k === "PORT" || k === "HOST" || k === "DATABASE_POOL_MAX") continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(vars)) {
    if (v === "") delete env[k];
    else env[k] = v;
  }
  env.NODE_ENV = vars.NODE_ENV || "production";
  env.NEXT_TELEMETRY_DISABLED = "1";
  return env as NodeJS.ProcessEnv;
}

/**
 * Spawns the admin CLI as one process (`node --import tsx scripts/cli.ts …`, what `npx tsx`
 * runs, without tsx's extra wrapper process, so a SIGKILL reaches the process doing the work).
 */
export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "cli.ts"), ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cli ${args.join(" ")} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The single JSON object a `--json` command printed (its last JSON line). */
export function parseJsonOutput<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.trim().split("\n").filter((l) => l.trim().startsWith("{"));
  if (lines.length === 0) throw new Error(`no JSON object in CLI output:\n${stdout}`);
  return JSON.parse(lines[lines.length - 1]!) as T;
}

export type ServerProcess = {
  child: ChildProcess;
  port: number;
  env: Record<string, string>;
  dataDir: string;
  databaseUrl: string | undefined;
  logs(): string;
  exited: Promise<number | null>;
};

/** Resolves the configuration (port, data dir or database, keys, secrets) and spawns the server; does not wait. */
export async function spawnServer(opts: StartOptions): Promise<ServerProcess> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first (the suite runs against the production build)`);
  const port = opts.port ?? (await freePort());
  const given = opts.env ?? {};
  const dataDir = opts.dataDir ?? (given.LATCHKEY_DATA_DIR || makeTempDir());
  const databaseUrl =
    opts.databaseUrl ?? (given.DATABASE_URL || (opts.db === "postgres" && given.DATABASE_URL !== "" ? await createDatabase() : undefined));
  const env: Record<string, string> = {
    LATCHKEY_ENCRYPTION_KEYS: keyring(["k1", randomKey()]),
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    LATCHKEY_ADMIN_EMAIL: "admin@example.test",
    LATCHKEY_ADMIN_PASSWORD: `pw-${randomBytes(12).toString("base64url")}`,
    LATCHKEY_LOG_LEVEL: "warn",
    // The first-run demo (sandbox user, pack, instance) only where a test asks for it (e2e/api/first-run.test.ts).
    LATCHKEY_FIRST_RUN_DEMO: "false",
    ...given,
    HOST: "127.0.0.1",
    PORT: String(port),
    LATCHKEY_DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const child = spawn(process.execPath, [SERVER_ENTRY], { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? 128 : null));
    });
  });
  return { child, port, env, dataDir, databaseUrl, logs: () => out, exited };
}

/** Polls /api/health until it answers with any status. */
async function waitForHealth(p: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void p.exited.then((c) => (exitCode = c));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`server exited with ${exitCode} before it was healthy:\n${p.logs()}`);
    try {
      await fetch(`http://127.0.0.1:${p.port}/api/health`, { signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  p.child.kill("SIGKILL");
  throw new Error(`server did not answer /api/health within ${timeoutMs} ms:\n${p.logs()}`);
}

export async function startServer(opts: StartOptions): Promise<TestServer> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const p = await spawnServer(opts);
    try {
      await waitForHealth(p, opts.timeoutMs ?? 60_000);
    } catch (e) {
      lastErr = e;
      // Another process took the probed port between probe and bind: try another one.
      if (p.logs().includes("EADDRINUSE")) continue;
      throw e;
    }
    return toTestServer(p);
  }
  throw lastErr;
}

function toTestServer(p: ServerProcess): TestServer {
  let stopped: Promise<number | null> | null = null;
  return {
    url: `http://127.0.0.1:${p.port}`,
    port: p.port,
    dataDir: p.dataDir,
    databaseUrl: p.databaseUrl,
    env: p.env,
    pid: p.child.pid!,
    logs: p.logs,
    exited: p.exited,
    cli: (args, o) => runCli(args, { ...p.env, ...o?.env }, o?.timeoutMs),
    stop(signal = "SIGTERM") {
      stopped ??= (async () => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
        p.child.kill(signal);
        const timer = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
        const code = await p.exited;
        clearTimeout(timer);
        return code;
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------- API keys

export type CreatedKey = {
  id: string;
  secret: string;
  environment_id: string;
  organization_id: string;
  mode: "live" | "test";
  name: string;
  prefix: string;
};

/** `cli create-api-key --env <env> --json` against the server's database; returns the key with its secret. */
export async function createApiKeyViaCli(server: Pick<TestServer, "cli">, env: "production" | "test", name?: string): Promise<CreatedKey> {
  const r = await server.cli(["create-api-key", "--env", env, ...(name ? ["--name", name] : []), "--json"]);
  if (r.code !== 0) throw new Error(`create-api-key failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return parseJsonOutput<CreatedKey>(r.stdout);
}
