import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import { UpstreamError } from "@/lib/mcp-servers/upstream";

/**
 * stdio MCP servers (issue 6 item 8): a local process per (user, server), spoken to in
 * newline-delimited JSON-RPC (MCP stdio transport, legacy era: initialize once per process).
 * Off unless LATCHKEY_ALLOW_STDIO=true, because it runs commands on the gateway's host:
 * - the command must be one of a short allowlist, started without a shell (args as an array);
 * - the environment is a clean one (PATH, HOME, LANG) plus the server's variables, whose
 *   secret values are read at spawn time, per user (`{user}` in a secret name);
 * - bounded: an idle process is stopped, a process above its memory limit (resident set, read
 *   from /proc) is killed, a line of output above the size limit kills it, stderr is dropped.
 */

export const STDIO_COMMANDS = ["npx", "node", "uvx", "python3"] as const;
export type StdioCommand = (typeof STDIO_COMMANDS)[number];
export type StdioConfig = {
  command: StdioCommand;
  args: string[];
  /** Literal values, or `{ secret: name }` read from the environment's secrets (`{user}` → the user's identifier). */
  env?: Record<string, string | { secret: string }>;
};

export type StdioLimits = { idleMs: number; maxRssBytes: number; maxLineBytes: number; timeoutMs: number; rssCheckMs: number };
export const DEFAULT_STDIO_LIMITS: StdioLimits = { idleMs: 5 * 60_000, maxRssBytes: 512 * 1024 * 1024, maxLineBytes: 4 * 1024 * 1024, timeoutMs: 30_000, rssCheckMs: 1_000 };

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
/** Variables that change how the runtime loads code: never settable by a server's config. */
const FORBIDDEN_ENV = new Set(["NODE_OPTIONS", "LD_PRELOAD", "LD_LIBRARY_PATH", "PYTHONPATH", "PYTHONSTARTUP", "PATH", "HOME"]);

/** Refuses what must not run: the feature off, a command outside the allowlist, an unsafe variable. */
export function checkStdioConfig(config: StdioConfig, allowed = getEnv().LATCHKEY_ALLOW_STDIO === true): void {
  if (!allowed) {
    throw new AppError({ code: "validation_error", message: "stdio MCP servers are disabled on this Latchkey (set LATCHKEY_ALLOW_STDIO=true to allow them).", issues: [{ path: "transport", message: "stdio is disabled" }] });
  }
  if (!(STDIO_COMMANDS as readonly string[]).includes(config.command)) {
    throw new AppError({ code: "validation_error", message: `The command must be one of ${STDIO_COMMANDS.join(", ")}.`, issues: [{ path: "command", message: "not an allowed command" }] });
  }
  for (const name of Object.keys(config.env ?? {})) {
    if (!ENV_NAME.test(name) || FORBIDDEN_ENV.has(name)) throw new AppError({ code: "validation_error", message: `The variable ${name} cannot be set.`, issues: [{ path: `env.${name}`, message: "not allowed" }] });
  }
}

type Pending = { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void };

/** One running stdio server. */
export class StdioProcess {
  private child: ChildProcess | null = null;
  private starting: Promise<void> | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = "";
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private rssTimer: ReturnType<typeof setInterval> | null = null;
  private inFlight = 0;
  /** Why the process was stopped, for the errors of calls it leaves unanswered. */
  private ended: string | null = null;

  constructor(
    private readonly label: string,
    private readonly config: StdioConfig,
    private readonly resolveEnv: () => Promise<Record<string, string>>,
    private readonly limits: StdioLimits = DEFAULT_STDIO_LIMITS,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  private async start() {
    const extra = await this.resolveEnv();
    // A fixed PATH (this Node's directory first, for node and npx), not the gateway's own environment.
    const env = { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: os.homedir(), LANG: "C.UTF-8", ...extra } as unknown as NodeJS.ProcessEnv;
    const child = spawn(this.config.command, this.config.args, { env, stdio: ["pipe", "pipe", "pipe"], shell: false, detached: false });
    this.child = child;
    this.ended = null;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => this.onData(d));
    // stderr is the server's log: drained and dropped, so it can neither fill a pipe nor leak.
    child.stderr!.resume();
    child.on("error", () => this.stop("could not be started"));
    child.on("exit", () => this.stop("exited"));
    child.stdin!.on("error", () => {});
    this.rssTimer = setInterval(() => void this.checkRss(), this.limits.rssCheckMs);
    this.rssTimer.unref();
    const init = await this.request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "latchkey", version: "0.1.0" } }, AbortSignal.timeout(this.limits.timeoutMs));
    if (!init) throw new UpstreamError("upstream_error", `${this.label} did not initialize.`, true);
    this.write({ jsonrpc: "2.0", method: "notifications/initialized" });
  }

  private async checkRss() {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
      if (kb * 1024 > this.limits.maxRssBytes) this.stop(`used more than ${Math.round(this.limits.maxRssBytes / 1048576)} MB of memory and was stopped`);
    } catch {
      // not Linux, or the process is gone
    }
  }

  private onData(d: string) {
    this.buffer += d;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onLine(line);
    }
    if (Buffer.byteLength(this.buffer) > this.limits.maxLineBytes) this.stop(`wrote a message larger than ${this.limits.maxLineBytes} bytes and was stopped`);
  }

  private onLine(line: string) {
    let msg: { id?: unknown; result?: Record<string, unknown>; error?: { message?: unknown } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // not JSON-RPC (a stray print): ignored
    }
    if (typeof msg.id !== "number") return; // notifications, or requests we do not serve
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new UpstreamError("upstream_error", `${this.label}: ${String(msg.error.message).slice(0, 500)}`));
    else p.resolve(msg.result ?? {});
  }

  private write(msg: unknown) {
    this.child?.stdin?.write(`${JSON.stringify(msg)}\n`);
  }

  private request(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        this.write({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "timeout or client cancellation" } });
        reject(new UpstreamError("upstream_timeout", `${this.label} did not answer in time.`, true));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: (r) => {
          signal.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  /** Stops the process; unanswered calls fail with the reason. */
  stop(reason = "was stopped") {
    const child = this.child;
    if (!child) return;
    this.child = null;
    this.starting = null;
    this.ended = reason;
    this.buffer = "";
    if (this.rssTimer) clearInterval(this.rssTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.rssTimer = this.idleTimer = null;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const [, p] of this.pending) p.reject(new UpstreamError("upstream_error", `${this.label} ${reason}.`, true));
    this.pending.clear();
  }

  async rpc(method: string, params: Record<string, unknown>, callSignal?: AbortSignal, timeoutMs = this.limits.timeoutMs): Promise<Record<string, unknown>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callSignal ? AbortSignal.any([callSignal, timeout]) : timeout;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.inFlight++;
    try {
      if (!this.child) {
        this.starting ??= this.start().catch((err: unknown) => {
          this.stop("could not be started");
          throw err instanceof UpstreamError ? err : new UpstreamError("upstream_error", `${this.label} could not be started.`, true);
        });
      }
      await this.starting;
      return await this.request(method, params, signal);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.child) {
        this.idleTimer = setTimeout(() => this.stop("was idle"), this.limits.idleMs);
        this.idleTimer.unref();
      }
    }
  }

  /** For tests and shutdown: why the last process ended. */
  get endedBecause(): string | null {
    return this.ended;
  }
}

const processes = new Map<string, StdioProcess>();

/** The process of one (user, server); started on first use, stopped when idle. */
export function stdioProcessFor(key: string, make: () => StdioProcess): StdioProcess {
  let p = processes.get(key);
  if (!p) {
    p = make();
    processes.set(key, p);
  }
  return p;
}

/** Stops every stdio process (clean shutdown, server edits). */
export function stopAllStdio() {
  for (const p of processes.values()) p.stop("was shut down");
  processes.clear();
}
