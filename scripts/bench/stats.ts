// Small stats helpers for the bench: quantiles over samples, summaries over per-round values.
export const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}
export const median = (xs: number[]) => quantile(xs, 0.5);
export const p99 = (xs: number[]) => quantile(xs, 0.99);
export type Summary = { median: number; min: number; max: number; rounds: number };
/** Median of per-round values with min and max. */
export function summarize(perRound: number[]): Summary {
  return { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), rounds: perRound.length };
}
export const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
export const fmtS = (s: Summary | null, d = 2, unit = "") => (s ? `${fmt(s.median, d)}${unit} (${fmt(s.min, d)}–${fmt(s.max, d)})` : "n/a");
