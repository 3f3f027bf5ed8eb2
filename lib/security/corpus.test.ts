import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateCorpus, toJsonl, type CorpusSample } from "./corpus/generate";
import { DETECTOR_IDS, type DetectorId } from "./detectors";
import { effectivePolicy, defaultRules } from "./policy";
import { createTextScanState, detectInText } from "./scan";

/**
 * Precision and recall of every built-in detector on the labelled corpus: hand-written hard
 * cases plus the deterministic generated set. Detection runs exactly as in `scan`: every
 * detector on, overlaps resolved (so a JWT is not also counted as three random tokens).
 */

const dir = path.join(import.meta.dirname, "corpus");
const load = (f: string): CorpusSample[] =>
  readFileSync(path.join(dir, f), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as CorpusSample);

describe("labelled corpus", () => {
  it("generated.jsonl is exactly what generate.ts produces (seeded, reproducible)", () => {
    expect(readFileSync(path.join(dir, "generated.jsonl"), "utf8")).toBe(toJsonl(generateCorpus()));
  });

  it("every built-in detector reaches recall >= 0.98 and precision >= 0.95", () => {
    const samples = [...load("hand-written.jsonl"), ...load("generated.jsonl")];
    const positives = samples.filter((s) => s.expect.length > 0).length;
    const negatives = samples.length - positives;
    const policy = effectivePolicy(defaultRules().map((r) => ({ ...r, action: "log" as const })));
    const stats = new Map<DetectorId, { tp: number; fp: number; fn: number }>(DETECTOR_IDS.map((d) => [d, { tp: 0, fp: 0, fn: 0 }]));
    const failures: string[] = [];
    for (const s of samples) {
      const found = detectInText(s.text, policy.textRules, createTextScanState()).map((m) => ({ detector: m.rule.ruleId.replace(/^builtin\./, "") as DetectorId, value: m.value }));
      const expected = [...s.expect];
      for (const f of found) {
        const i = expected.findIndex((e) => e.detector === f.detector && e.value === f.value);
        if (i >= 0) {
          stats.get(f.detector)!.tp++;
          expected.splice(i, 1);
        } else {
          stats.get(f.detector)!.fp++;
          failures.push(`FP ${f.detector} ${JSON.stringify(f.value)} in ${JSON.stringify(s.text.slice(0, 120))}`);
        }
      }
      for (const e of expected) {
        stats.get(e.detector)!.fn++;
        failures.push(`FN ${e.detector} ${JSON.stringify(e.value)} in ${JSON.stringify(s.text.slice(0, 120))}`);
      }
    }
    const rows = [...stats].map(([id, { tp, fp, fn }]) => ({
      detector: id,
      tp,
      fp,
      fn,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    }));
    const table = [
      `corpus: ${samples.length} samples (${positives} positive, ${negatives} negative)`,
      `${"detector".padEnd(24)} ${"TP".padStart(4)} ${"FP".padStart(4)} ${"FN".padStart(4)} ${"precision".padStart(10)} ${"recall".padStart(8)}`,
      ...rows.map((r) => `${r.detector.padEnd(24)} ${String(r.tp).padStart(4)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)} ${r.precision.toFixed(3).padStart(10)} ${r.recall.toFixed(3).padStart(8)}`),
    ].join("\n");
    console.log(`${table}\n${failures.slice(0, 80).join("\n")}`);
    expect(positives).toBeGreaterThanOrEqual(300);
    expect(negatives).toBeGreaterThanOrEqual(300);
    for (const r of rows) {
      expect(r.tp, `${r.detector} has positives in the corpus`).toBeGreaterThanOrEqual(20);
      expect(r.recall, `${r.detector} recall`).toBeGreaterThanOrEqual(0.98);
      expect(r.precision, `${r.detector} precision`).toBeGreaterThanOrEqual(0.95);
    }
  });
});
