import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateCorpus } from "./corpus/generate";
import type { DetectorId } from "./detectors";
import { defaultRules, effectivePolicy } from "./policy";
import { InMemoryPlaceholderVault, scanReversible } from "./reversible";
import { scan } from "./scan";
import { createSseRedactor, createStreamRedactor } from "./stream";

/**
 * Properties of the engine (B4): a planted secret never survives, wherever it is put and
 * however the stream is cut, and scanning never throws.
 */

const policy = effectivePolicy(defaultRules().map((r) => ({ ...r, action: "redact" as const })));
const ctx = { direction: "results" as const };
/**
 * Separators that are boundaries for every detector, so the filler cannot change what the secret is.
 * The "|" keeps a filler ending in a version word ("v", "ver") from reading as "v: 1.2.3.4", which is
 * rightly not an address.
 */
const plant = (pre: string, secret: string, post: string) => `${pre} | ${secret} ; ${post}`;

// Secrets: up to four corpus positives per detector that are redacted in the planting context.
const pool: { detector: DetectorId; value: string }[] = [];
{
  const per = new Map<string, number>();
  for (const s of generateCorpus()) {
    const e = s.expect[0];
    if (s.expect.length !== 1 || !e || (per.get(e.detector) ?? 0) >= 4) continue;
    if (JSON.stringify(scan(plant("x", e.value, "y"), policy, ctx).value).includes(e.value)) continue;
    pool.push(e);
    per.set(e.detector, (per.get(e.detector) ?? 0) + 1);
  }
}
const secret = fc.constantFrom(...pool);
const filler = fc.string({ maxLength: 12 });

/** Every string reachable in a value, including inside JSON documents found in strings. */
function allStrings(v: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof v === "string") {
    out.push(v);
    if (depth < 8) {
      try {
        const p: unknown = JSON.parse(v);
        if (typeof p === "object" && p !== null) allStrings(p, out, depth + 1);
      } catch {
        // text
      }
    }
  } else if (Array.isArray(v)) for (const x of v) allStrings(x, out, depth);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      allStrings(x, out, depth);
    }
  }
  return out;
}
const leaks = (v: unknown, s: string) => allStrings(v).some((x) => x.includes(s)) || JSON.stringify(v).includes(s);

/** Wraps `inner` along a path of keys/indexes, with arbitrary siblings. */
const nestAlong = (inner: unknown, path: (string | number)[], siblings: unknown[]) => {
  let v = inner;
  path.forEach((step, i) => {
    if (typeof step === "number") {
      const arr: unknown[] = Array.from({ length: step % 4 }, (_, k) => siblings[(i + k) % Math.max(1, siblings.length)] ?? null);
      arr.push(v);
      v = arr;
    } else {
      const o: Record<string, unknown> = {};
      o[`s${i}`] = siblings[i % Math.max(1, siblings.length)] ?? null;
      Object.defineProperty(o, step, { value: v, enumerable: true, writable: true, configurable: true });
      v = o;
    }
  });
  return v;
};
const pathArb = fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.nat(10)), { maxLength: 40 });

describe("properties", () => {
  it("a detector covers every planted secret kind", () => {
    expect(new Set(pool.map((p) => p.detector)).size).toBe(17);
  });

  it("every planted secret is redacted at any JSON depth, in values and in keys", () => {
    fc.assert(
      fc.property(secret, filler, filler, pathArb, fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.boolean(), (s, pre, post, path, siblings, asKey) => {
        const text = plant(pre, s.value, post);
        const leaf = asKey ? { [text]: 1 } : text;
        const r = scan(nestAlong(leaf, path, siblings), policy, ctx);
        expect(leaks(r.value, s.value)).toBe(false);
        expect(r.hits.some((h) => h.ruleId === "engine")).toBe(false);
        for (const h of r.hits) expect(h.excerpt.includes(s.value) || h.path.includes(s.value)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("every planted secret is redacted inside JSON-in-a-string, however many times encoded", () => {
    fc.assert(
      fc.property(secret, filler, filler, pathArb, fc.integer({ min: 1, max: 3 }), (s, pre, post, path, times) => {
        let v: unknown = nestAlong({ note: plant(pre, s.value, post) }, path.slice(0, 8), []);
        for (let i = 0; i < times; i++) v = { text: JSON.stringify(v, null, i === 0 ? 2 : 0) };
        const r = scan(v, policy, ctx);
        expect(leaks(r.value, s.value)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("a secret split across arbitrary chunk boundaries is redacted, same as scanning it whole", async () => {
    await fc.assert(
      fc.asyncProperty(secret, filler, filler, fc.array(fc.nat(), { maxLength: 12 }), async (s, pre, post, cuts) => {
        const text = plant(pre, s.value, post);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const stream = createStreamRedactor(policy, ctx);
        let out = "";
        let last = 0;
        for (const p of [...points, text.length]) {
          out += await stream.push(text.slice(last, p));
          last = p;
        }
        out += await stream.flush();
        expect(out.includes(s.value)).toBe(false);
        expect(out).toBe(scan(text, policy, ctx).value);
      }),
      { numRuns: 300 },
    );
  });

  it("SSE: a secret in a JSON-RPC event is redacted whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(secret, filler, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), async (s, pre, sizes) => {
        const msg = { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: plant(pre, s.value, "end") }] } };
        const body = `event: message\ndata: ${JSON.stringify(msg)}\n\n`;
        const sse = createSseRedactor(policy, ctx);
        let out = "";
        let i = 0;
        let k = 0;
        while (i < body.length) {
          const n = sizes[k++ % sizes.length]!;
          out += await sse.push(body.slice(i, i + n));
          i += n;
        }
        out += await sse.flush();
        expect(out.includes(s.value) || out.includes(JSON.stringify(s.value).slice(1, -1))).toBe(false);
        expect(out.startsWith("event: message\ndata: ")).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("scanning never throws, on any JSON or any string (lone surrogates, NUL, binary)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string({ unit: "binary", maxLength: 400 }), fc.array(fc.string({ unit: "binary" }))), (v) => {
        const r = scan(v, policy, ctx);
        expect(r.hits.some((h) => h.ruleId === "engine")).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("placeholders restore exactly for the same user and never for another", async () => {
    const people = pool.filter((p) => p.detector === "email" || p.detector === "phone").map((p) => p.value);
    const word = fc.stringMatching(/^[a-z]{1,8}$/);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(word, fc.constantFrom(...people)), { minLength: 1, maxLength: 6 }), async (items) => {
        const vault = new InMemoryPlaceholderVault({ ttlMs: 60_000 });
        const input = { messages: items.map(([w, p]) => ({ text: `${w} : ${p} ; ${w}`, [w]: p })) };
        const r = await scanReversible(input, policy, ctx, { vault, userKey: "env:alice" });
        for (const [, p] of items) expect(JSON.stringify(r.value).includes(p)).toBe(false);
        expect(vault.restore("env:alice", r.value)).toEqual(input);
        expect(vault.restore("env:bob", r.value)).toEqual(r.value);
      }),
      { numRuns: 150 },
    );
  });
});
