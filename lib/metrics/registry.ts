import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Process-wide counters in the Prometheus text format. Held on globalThis because the custom
 * server and Next's route bundles load this module separately but must count into one place.
 */
type Labels = Record<string, string>;
type Series = { help: string; type: "counter" | "gauge"; values: Map<string, number> };
type Hist = { count: number; sum: number; buckets: number[] };
type HistSeries = { help: string; type: "histogram"; bounds: number[]; values: Map<string, { labels: Labels | undefined; h: Hist }> };

const KEY = Symbol.for("latchkey.metrics");
const g = globalThis as { [KEY]?: Map<string, Series> };
const registry = (g[KEY] ??= new Map());
const HKEY = Symbol.for("latchkey.metrics.histograms");
const gh = globalThis as { [HKEY]?: Map<string, HistSeries> };
const histograms: Map<string, HistSeries> = (gh[HKEY] ??= new Map());

function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function series(name: string, help: string, type: Series["type"]): Series {
  let s = registry.get(name);
  if (!s) registry.set(name, (s = { help, type, values: new Map() }));
  return s;
}

export function counter(name: string, help: string) {
  const s = series(name, help, "counter");
  return {
    inc(labels?: Labels, by = 1) {
      const k = labelKey(labels);
      s.values.set(k, (s.values.get(k) ?? 0) + by);
    },
  };
}

export function gauge(name: string, help: string) {
  const s = series(name, help, "gauge");
  return {
    set(value: number, labels?: Labels) {
      s.values.set(labelKey(labels), value);
    },
    add(by: number, labels?: Labels) {
      const k = labelKey(labels);
      s.values.set(k, (s.values.get(k) ?? 0) + by);
    },
  };
}

/** Latency buckets in seconds: sub-millisecond gateway overhead up to slow upstreams. */
export const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function histogram(name: string, help: string, bounds: number[] = DEFAULT_BUCKETS) {
  let s = histograms.get(name);
  if (!s) histograms.set(name, (s = { help, type: "histogram", bounds, values: new Map() }));
  const series = s;
  return {
    /** Cheap enough for the hot path: one map lookup and a short scan. */
    observe(value: number, labels?: Labels) {
      const k = labelKey(labels);
      let e = series.values.get(k);
      if (!e) series.values.set(k, (e = { labels, h: { count: 0, sum: 0, buckets: series.bounds.map(() => 0) } }));
      e.h.count++;
      e.h.sum += value;
      for (let i = 0; i < series.bounds.length; i++) if (value <= series.bounds[i]!) e.h.buckets[i]!++;
    },
  };
}

function withLe(labels: Labels | undefined, le: string) {
  return labelKey({ ...(labels ?? {}), le });
}

export function renderMetrics(): string {
  const out: string[] = [];
  for (const [name, s] of [...histograms].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} histogram`);
    for (const { labels, h } of s.values.values()) {
      s.bounds.forEach((b, i) => out.push(`${name}_bucket${withLe(labels, String(b))} ${h.buckets[i]}`));
      out.push(`${name}_bucket${withLe(labels, "+Inf")} ${h.count}`, `${name}_sum${labelKey(labels)} ${h.sum}`, `${name}_count${labelKey(labels)} ${h.count}`);
    }
  }
  for (const [name, s] of [...registry].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
    if (!s.values.size && s.type === "counter") out.push(`${name} 0`);
    for (const [labels, v] of s.values) out.push(`${name}${labels} ${v}`);
  }
  return `${out.join("\n")}\n`;
}

// ------------------------------------------------------------------ database queries

/**
 * Which part of the product a database query ran for. The MCP data plane runs its requests in
 * the "mcp" scope so the count of queries a tool call makes is observable (DESIGN §8: none on a
 * warm cache). Background work started from a request (batched log writes) leaves the scope.
 */
const scope = new AsyncLocalStorage<string>();
const dbQueries = counter("latchkey_db_queries_total", "Database queries, by the part of the product that ran them.");

export function inQueryScope<T>(name: string, fn: () => T): T {
  return scope.run(name, fn);
}

/** Runs `fn` outside any query scope: for timers and flushes that serve many requests. */
export function outsideQueryScope<T>(fn: () => T): T {
  return scope.exit(fn);
}

export function countQuery() {
  dbQueries.inc({ scope: scope.getStore() ?? "other" });
}
