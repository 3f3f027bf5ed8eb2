import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { getEnv } from "@/lib/env";
import { log } from "@/lib/log";
import { outsideQueryScope } from "@/lib/metrics/registry";

/**
 * OpenTelemetry traces, exported as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT. Hand-written
 * (≈150 lines instead of the SDK's dependency tree) because the MCP hot path must pay nothing
 * when tracing is off: `withSpan` is then one cached boolean test and a direct call.
 * Attributes are ids, names and status codes only — never arguments, results or credentials.
 */
type AttrValue = string | number | boolean;
export type SpanKind = "internal" | "server" | "client";
const KIND = { internal: 1, server: 2, client: 3 } as const;

export type Span = {
  setAttribute(key: string, value: AttrValue | null | undefined): void;
  setError(message?: string): void;
  readonly traceId: string;
  readonly spanId: string;
};

type LiveSpan = Span & {
  name: string;
  kind: SpanKind;
  parentSpanId: string | null;
  start: bigint;
  attrs: Map<string, AttrValue>;
  error: string | null | undefined;
};

const NOOP: Span = { setAttribute() {}, setError() {}, traceId: "", spanId: "" };

type State = {
  enabled: boolean | undefined;
  endpoint: string | null;
  service: string;
  queue: object[];
  timer: NodeJS.Timeout | null;
  flushing: Promise<void> | null;
  als: AsyncLocalStorage<LiveSpan>;
};
const KEY = Symbol.for("latchkey.tracing");
const state: State = ((globalThis as { [KEY]?: State })[KEY] ??= { enabled: undefined, endpoint: null, service: "latchkey", queue: [], timer: null, flushing: null, als: new AsyncLocalStorage() });

export function tracingEnabled(): boolean {
  if (state.enabled === undefined) {
    try {
      const env = getEnv();
      configureTracing(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? null, env.OTEL_SERVICE_NAME);
    } catch {
      state.enabled = false;
    }
  }
  return state.enabled!;
}

/** Read from the environment on first use; tests point it at their own receiver. */
export function configureTracing(endpoint: string | null, service = "latchkey") {
  state.endpoint = endpoint;
  state.service = service;
  state.enabled = Boolean(endpoint);
  state.queue = [];
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const nowNs = () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Runs `fn` inside a span, child of the current one (or of `opts.traceparent`, a W3C header from
 * the caller). The span ends when `fn` settles; a throw marks it as an error and is rethrown.
 */
export function withSpan<T>(name: string, attrs: Record<string, AttrValue | null | undefined> | undefined, fn: (span: Span) => T, opts?: { kind?: SpanKind; traceparent?: string | null }): T {
  if (!tracingEnabled()) return fn(NOOP);
  const parent = state.als.getStore();
  const remote = !parent && opts?.traceparent ? TRACEPARENT.exec(opts.traceparent.trim()) : null;
  const span: LiveSpan = {
    name,
    kind: opts?.kind ?? "internal",
    traceId: parent?.traceId ?? remote?.[1] ?? hex(16),
    spanId: hex(8),
    parentSpanId: parent?.spanId ?? remote?.[2] ?? null,
    start: nowNs(),
    attrs: new Map(),
    error: undefined,
    setAttribute(k, v) {
      if (v !== null && v !== undefined) this.attrs.set(k, typeof v === "string" ? v.slice(0, 300) : v);
    },
    setError(message) {
      this.error = (message ?? "error").slice(0, 200);
    },
  };
  for (const [k, v] of Object.entries(attrs ?? {})) span.setAttribute(k, v);
  let result: T;
  try {
    result = state.als.run(span, () => fn(span));
  } catch (err) {
    if (span.error === undefined) span.setError(err instanceof Error ? err.name : "error");
    end(span);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => (end(span), v),
      (err) => {
        if (span.error === undefined) span.setError(err instanceof Error ? err.name : "error");
        end(span);
        throw err;
      },
    ) as T;
  }
  end(span);
  return result;
}

function attr(key: string, v: AttrValue) {
  const value = typeof v === "string" ? { stringValue: v } : typeof v === "boolean" ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { key, value };
}

function end(span: LiveSpan) {
  const endNs = nowNs();
  state.queue.push({
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: KIND[span.kind],
    startTimeUnixNano: span.start.toString(),
    endTimeUnixNano: (endNs > span.start ? endNs : span.start).toString(),
    attributes: [...span.attrs].map(([k, v]) => attr(k, v)),
    status: span.error !== undefined && span.error !== null ? { code: 2, message: span.error } : { code: 1 },
  });
  if (state.queue.length > 10_000) state.queue.splice(0, state.queue.length - 10_000);
  outsideQueryScope(() => {
    if (state.queue.length >= 256) void flushTraces();
    else if (!state.timer) {
      state.timer = setTimeout(() => void flushTraces(), 1000);
      state.timer.unref();
    }
  });
}

/** Sends what is queued (on its timer, on shutdown, in tests). A collector that is down loses spans, never requests. */
export async function flushTraces(): Promise<void> {
  if (state.timer) {
    clearTimeout(state.timer);
    state.timer = null;
  }
  if (state.flushing) await state.flushing;
  if (state.queue.length === 0) return;
  const spans = state.queue.splice(0, state.queue.length);
  const base = state.endpoint;
  if (!base) return;
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attr("service.name", state.service)] },
        scopeSpans: [{ scope: { name: "latchkey" }, spans }],
      },
    ],
  });
  const url = `${base.replace(/\/+$/, "")}/v1/traces`;
  state.flushing = (async () => {
    try {
      // The operator's own collector, not a user-supplied URL: no outbound guard.
      const res = await request(url, { method: "POST", headers: { "content-type": "application/json" }, body, headersTimeout: 5000, bodyTimeout: 5000 });
      await res.body.dump();
      if (res.statusCode >= 300) log.warn("trace export refused", { status: res.statusCode, spans: spans.length });
    } catch (err) {
      log.warn("trace export failed", { spans: spans.length, err });
    }
  })();
  try {
    await state.flushing;
  } finally {
    state.flushing = null;
  }
}
