import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";
import { getEnv } from "@/lib/env";

/**
 * Structured JSON lines, written by pino. Values that look like credentials are masked before
 * they are written, whatever field they sit in: a log line is never the place a secret leaks from.
 */
const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof levels, "silent">;

const SECRET_PATTERNS: RegExp[] = [
  /\blk_(?:live|test)_[0-9A-Za-z]{20,}/g,
  /\blk_[a-z]+_[0-9A-Za-z]{30,}/g,
  /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[0-9A-Za-z_]{20,}/g,
  /\bxox[abposr]-[0-9A-Za-z-]{10,}/g,
  /\bsk-[0-9A-Za-z_-]{16,}/g,
  /\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g,
  /\beyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}/g,
  /\bv1:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{20,}/g,
  /\bwhsec_[A-Za-z0-9+/=]{20,}/g,
  /(?<=\b(?:password|secret|token|authorization)["']?\s*[=:]\s*["']?(?:Bearer\s+)?)[^\s"',}]{6,}/gi,
];

export function scrub(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, "[REDACTED]");
  return out;
}

function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: scrub(String(err)).slice(0, 500) };
  // Where it happened, not the whole trace: enough to find the bug, nothing more.
  const where = err.stack?.split("\n").find((l) => l.trim().startsWith("at "))?.trim();
  const out: Record<string, unknown> = { name: err.name, message: scrub(err.message).slice(0, 1000) };
  if (where) out.where = scrub(where);
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") out.code = code;
  if (err.cause !== undefined) out.cause = serializeError(err.cause);
  return out;
}

type LogContext = { request_id: string };
const CTX = Symbol.for("latchkey.log.context");
const g = globalThis as { [CTX]?: AsyncLocalStorage<LogContext> };
// One store for the custom server and Next's route bundles, which load this module separately.
const context = (g[CTX] ??= new AsyncLocalStorage<LogContext>());

/** Every line logged while `fn` runs (and in what it starts) carries this request's id. */
export function withLogContext<T>(requestId: string, fn: () => T): T {
  return context.run({ request_id: requestId }, fn);
}

/** The id of the request being served, if any (audit rows written later still name it). */
export function currentRequestId(): string | undefined {
  return context.getStore()?.request_id;
}

const LOGGER = Symbol.for("latchkey.log.pino");
const gl = globalThis as { [LOGGER]?: pino.Logger };

/** Warnings and errors on stderr, the rest on stdout; every line scrubbed on its way out. */
const destination = {
  write(line: string) {
    const out = scrub(line);
    (out.startsWith('{"level":"error"') || out.startsWith('{"level":"warn"') ? process.stderr : process.stdout).write(out);
  },
};

function logger(): pino.Logger {
  return (gl[LOGGER] ??= pino(
    {
      // The threshold is applied in write(): the env may not be valid yet when the first line is logged.
      level: "debug",
      base: null,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = context.getStore();
        return ctx ? { request_id: ctx.request_id } : {};
      },
    },
    destination,
  ));
}

function write(level: Level, msg: string, fields?: Record<string, unknown>) {
  let threshold: number = levels.info;
  try {
    threshold = levels[getEnv().LATCHKEY_LOG_LEVEL];
  } catch {
    // env not valid yet: log at info so the boot error itself is visible
  }
  if (levels[level] < threshold) return;
  const entry: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields ?? {})) {
    entry[k] = v instanceof Error || k === "err" ? serializeError(v) : v;
  }
  logger()[level](entry, msg);
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
