import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GENESIS_HASH, canonicalJson, rowHash, type ChainedFields } from "@/lib/audit/chain";

/** Rebuilds every object of a JSON value with its keys in a shuffled order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorder(v, seed + i));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const shuffled = entries
    .map(([k, v], i) => ({ k, v, sort: ((i + 1) * 2654435761 + seed) % 1000003 }))
    .sort((a, b) => a.sort - b.sort);
  return Object.fromEntries(shuffled.map(({ k, v }) => [k, reorder(v, seed + 7)]));
}

const row: ChainedFields = {
  seq: 1,
  id: "aud_0000000000000000000000",
  organizationId: "org_1",
  environmentId: null,
  actorType: "user",
  actorId: "usr_1",
  action: "api_key.created",
  targetType: "api_key",
  targetId: "key_1",
  requestId: null,
  ip: null,
  metadata: { b: 1, a: [true, null, "x"] },
  createdAt: "2025-01-01T00:00:00.000Z",
};

describe("A2 canonicalJson", () => {
  it("is independent of key order at every depth (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 1_000_000 }), (value, seed) => {
        expect(canonicalJson(reorder(value, seed))).toBe(canonicalJson(value));
      }),
      { numRuns: 500 },
    );
    expect(canonicalJson({ b: { d: 1, c: 2 }, a: [{ z: 1, y: 2 }] })).toBe('{"a":[{"y":2,"z":1}],"b":{"c":2,"d":1}}');
  });

  it("is valid JSON that parses back to the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
      }),
    );
  });

  it("distinguishes values that differ, and drops undefined object members like JSON does", () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
    expect(canonicalJson({ a: undefined, b: 1 })).toBe(canonicalJson({ b: 1 }));
    expect(canonicalJson(["a,b"])).not.toBe(canonicalJson(["a", "b"]));
  });
});

describe("A2 rowHash", () => {
  it("does not depend on metadata key order but changes with any field or the previous hash", () => {
    const h = rowHash(GENESIS_HASH, row);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(rowHash(GENESIS_HASH, { ...row, metadata: { a: [true, null, "x"], b: 1 } })).toBe(h);
    expect(rowHash("1".repeat(64), row)).not.toBe(h);
    for (const change of [
      { seq: 2 },
      { id: "aud_1111111111111111111111" },
      { organizationId: null },
      { environmentId: "env_1" },
      { actorType: "api_key" },
      { actorId: "usr_2" },
      { action: "api_key.revoked" },
      { targetType: null },
      { targetId: "key_2" },
      { requestId: "req_1" },
      { ip: "203.0.113.1" },
      { metadata: { b: 2, a: [true, null, "x"] } },
      { createdAt: "2025-01-01T00:00:00.001Z" },
    ] as Partial<ChainedFields>[]) {
      expect(rowHash(GENESIS_HASH, { ...row, ...change }), JSON.stringify(change)).not.toBe(h);
    }
  });
});
