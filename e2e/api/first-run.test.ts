// Issue 9, "the first five minutes": README's first command (`npm start`) on an empty data
// directory, against the already-built app, prints one copy-paste command; running it (the MCP
// Inspector CLI, a real MCP client) lists the demo tools and gets a real tool result from the
// GitHub sandbox. Prints the time from start to that result. Always embedded PGlite (a temp data
// directory), as a first run is.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTempDirs, freePort, makeTempDir, ROOT, SERVER_ENTRY } from "../helpers/server";
import { existsSync } from "node:fs";

const children = new Set<ChildProcess>();

/** Our environment without anything that would make this not a first run (no LATCHKEY_*, no test runner variables). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("LATCHKEY_") || k.startsWith("VITEST") || k.startsWith("npm_") || ["NODE_OPTIONS", "TEST", "DATABASE_URL", "AUTH_SECRET", "PORT", "HOST", "NODE_ENV"].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", ...extra } as unknown as NodeJS.ProcessEnv;
}

/** `npm start` in its own process group (npm → node), so stopping it stops the server too. */
function npmStart(env: NodeJS.ProcessEnv) {
  const child = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.add(child);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => (children.delete(child), resolve(code))));
  const waitFor = async (re: RegExp, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = re.exec(out);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${re} in:\n${out}`);
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // npm can exit before the server under it has closed its database files: wait for the whole group.
    // Bounded: a zombie nobody reaps still answers signal 0.
    const killAt = Date.now() + 15_000;
    for (const giveUpAt = killAt + 5_000; groupAlive(child) && Date.now() < giveUpAt; ) {
      if (Date.now() > killAt) killGroup(child, "SIGKILL");
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { output: () => out, waitFor, stop };
}

/** Runs the printed command as a user would paste it into a shell, with a temp HOME. */
function runShell(command: string, home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], {
      cwd: ROOT,
      env: cleanEnv({ HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), XDG_CACHE_HOME: path.join(home, ".cache"), BROWSER: "/bin/false", NO_PROXY: "127.0.0.1,localhost" }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(new Error(`the printed command timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether any process of the group we started is still running (signal 0 only checks). */
function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the process group we started (npm and the server under it); a group already gone is fine. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* gone */
  }
}

afterAll(() => {
  for (const c of children) killGroup(c, "SIGKILL");
  cleanupTempDirs();
});

describe("first run: npm start → a real tool result from the sandbox", () => {
  it("prints the dashboard URL, the admin login and one command; the command lists the tools and calls one", async () => {
    expect(existsSync(SERVER_ENTRY), "run `npm run build` first").toBe(true);
    const dataDir = makeTempDir("latchkey-first-run-");
    const home = makeTempDir("latchkey-first-run-home-");
    const port = await freePort();
    const started = Date.now();
    const server = npmStart(cleanEnv({ PORT: String(port), HOST: "127.0.0.1", LATCHKEY_DATA_DIR: dataDir }));
    try {
      const [line, command] = await server.waitFor(/^ {2}(npx @modelcontextprotocol\/inspector .+)$/m, 120_000);
      const out = server.output();
      expect(out).toContain(`Latchkey is running at http://127.0.0.1:${port}`);
      expect(out).toMatch(new RegExp(`Dashboard: http://127\\.0\\.0\\.1:${port}`));
      expect(out).toMatch(/Dashboard login: admin@latchkey\.local/);
      expect(out).toMatch(/Password \(shown once.*\): \S{12,}/);
      expect(line).toContain(`http://127.0.0.1:${port}/mcp/i/lk_mcp_`);

      const r = await runShell(command!, home);
      const elapsed = Date.now() - started;
      expect(r.code, r.stderr).toBe(0);
      // tools/list: the demo pack; tools/call github_list_issues: the sandbox's seeded issues.
      for (const tool of ["github_list_repositories", "github_list_issues", "slack_list_channels"]) expect(r.stdout).toContain(tool);
      expect(r.stdout).toContain("Found a bug");
      expect(r.stdout).toContain("Add a README badge");
      expect(r.stdout).not.toMatch(/"isError":\s*true/);
      console.log(`first run: npm start → real tool result from the sandbox in ${(elapsed / 1000).toFixed(1)} s`);

      // A restart is not a first run: nothing is printed again, and the same command still works
      // (the sandbox adopts the tokens it issued before the restart).
      await server.stop();
      const again = npmStart(cleanEnv({ PORT: String(port), HOST: "127.0.0.1", LATCHKEY_DATA_DIR: dataDir }));
      try {
        await again.waitFor(/Latchkey is running at/, 120_000);
        expect(again.output()).not.toContain("inspector");
        const r2 = await runShell(command!, home);
        expect(r2.code, r2.stderr).toBe(0);
        expect(r2.stdout).toContain("Found a bug");
      } finally {
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  }, 300_000);
});
