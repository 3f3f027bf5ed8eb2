// A throwaway PostgreSQL cluster for the integration tests: initdb in a temp dir, trust auth,
// 127.0.0.1 only, fsync off. As root (CI), initdb and pg_ctl run as the `postgres` OS user,
// since PostgreSQL refuses to run as root.
//
//   import { start, stop } from "./pg-cluster.mjs";
//   const url = await start();   // postgres://postgres@127.0.0.1:<port>/postgres
//   ...
//   await stop();                // stops the server and removes the temp dir
//
// Run by hand: `node scripts/pg-cluster.mjs` starts one, prints LATCHKEY_TEST_PG_URL=… and
// keeps it until Ctrl-C.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const OS_USER = "postgres";

/** @type {{ dir: string; dataDir: string; bindir: string; port: number; url: string; asUser: string | null } | null} */
let cluster = null;

function versionOf(dir) {
  const m = /postgresql\/(\d+)/.exec(dir);
  return m ? Number(m[1]) : 0;
}

/** The directory holding initdb/pg_ctl: PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/<newest>/bin, then PATH. */
export function findBindir() {
  const candidates = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const pgc = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgc.status === 0 && pgc.stdout.trim()) candidates.push(pgc.stdout.trim());
  if (existsSync("/usr/lib/postgresql")) {
    const versions = readdirSync("/usr/lib/postgresql")
      .map((v) => path.join("/usr/lib/postgresql", v, "bin"))
      .sort((a, b) => versionOf(b) - versionOf(a));
    candidates.push(...versions);
  }
  for (const d of (process.env.PATH ?? "").split(path.delimiter)) if (d) candidates.push(d);
  for (const d of candidates) {
    if (existsSync(path.join(d, "initdb")) && existsSync(path.join(d, "pg_ctl"))) return d;
  }
  throw new Error(
    "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: apt-get install -y postgresql) or set PG_BINDIR.",
  );
}

function idOf(user) {
  const r = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function chownTree(p, uid, gid) {
  chownSync(p, uid, gid);
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    const child = path.join(p, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

/** Runs a command, as the postgres OS user when we are root. */
function run(cmd, args, asUser, opts = {}) {
  let file = cmd;
  let argv = args;
  if (asUser) {
    const hasRunuser = spawnSync("sh", ["-c", "command -v runuser"], { encoding: "utf8" }).status === 0;
    if (hasRunuser) {
      file = "runuser";
      argv = ["-u", asUser, "--", cmd, ...args];
    } else {
      const quoted = [cmd, ...args].map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(" ");
      file = "su";
      argv = ["-s", "/bin/sh", asUser, "-c", quoted];
    }
  }
  const r = spawnSync(file, argv, { encoding: "utf8", timeout: opts.timeout ?? 60_000, cwd: opts.cwd ?? "/" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal}):\n${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`);
  }
  return r;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(addr.port));
    });
  });
}

function stopSync() {
  if (!cluster) return;
  const c = cluster;
  cluster = null;
  run(path.join(c.bindir, "pg_ctl"), ["-D", c.dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], c.asUser, { allowFail: true });
  rmSync(c.dir, { recursive: true, force: true });
}

let exitHookInstalled = false;

/** Starts the cluster (once per process) and returns its superuser URL. */
export async function start() {
  if (cluster) return cluster.url;
  const bindir = findBindir();
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  let asUser = null;
  const dir = mkdtempSync(path.join(tmpdir(), "latchkey-pg-"));
  try {
    if (root) {
      const ids = idOf(OS_USER);
      if (!ids) throw new Error(`running as root, but there is no "${OS_USER}" OS user to run PostgreSQL as (apt-get install -y postgresql creates it)`);
      chownTree(dir, ids.uid, ids.gid);
      asUser = OS_USER;
    }
    const dataDir = path.join(dir, "data");
    run(
      path.join(bindir, "initdb"),
      ["-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      asUser,
    );
    const conf = path.join(dataDir, "postgresql.conf");
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const settings = [
        "",
        "# latchkey test cluster",
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "max_connections = 300",
        "shared_buffers = 128MB",
        "log_min_messages = warning",
        "",
      ].join("\n");
      if (attempt === 0) appendFileSync(conf, settings);
      else writeFileSync(conf, readFileSync(conf, "utf8").replace(/^port = \d+$/m, `port = ${port}`));
      const logFile = path.join(dir, "server.log");
      const r = run(path.join(bindir, "pg_ctl"), ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "start"], asUser, { allowFail: true });
      if (r.status === 0) {
        cluster = { dir, dataDir, bindir, port, url: `postgres://postgres@127.0.0.1:${port}/postgres`, asUser };
        break;
      }
      lastErr = `${r.stdout}${r.stderr}${existsSync(logFile) ? readFileSync(logFile, "utf8") : ""}`;
    }
    if (!cluster) throw new Error(`could not start PostgreSQL:\n${lastErr}`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave a postgres running behind a crashed or interrupted test run.
    process.on("exit", stopSync);
  }
  return cluster.url;
}

/** Stops the cluster and removes its directory. Safe to call twice. */
export async function stop() {
  stopSync();
}

/** Where psql, pg_dump etc. live for the running cluster. */
export function info() {
  return cluster ? { url: cluster.url, port: cluster.port, bindir: cluster.bindir, dir: cluster.dir } : null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = await start();
  process.stdout.write(`LATCHKEY_TEST_PG_URL=${url}\n(Ctrl-C stops it and removes ${info()?.dir})\n`);
  const done = () => {
    stopSync();
    process.exit(0);
  };
  process.on("SIGINT", done);
  process.on("SIGTERM", done);
  setInterval(() => {}, 1 << 30);
}
