import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Process-wide counters in the Prometheus text format. Held on globalThis because the custom
 * server and Next's route bundles load this module separately but must count into one place.
 */
type Labels = Record<string, string>;
type Series = { help: string; type: "counter" | "gauge"; values: Map<string, number> };

const KEY = Symbol.for("latchkey.metrics");
const g = globalThis as { [KEY]?: Map<string, Series> };
const registry = (g[KEY] ??= new Map());

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

export function renderMetrics(): string {
  const out: string[] = [];
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
