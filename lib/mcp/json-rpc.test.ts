import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errorBody, exceedsDepth, parseBody, resultBody, toMessage } from "@/lib/mcp/json-rpc";

function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe("exceedsDepth", () => {
  it("agrees with the real nesting depth of any JSON text, strings full of brackets and escapes included", () => {
    const tricky = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "\u2028") });
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, tricky, fc.integer(), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(tricky, tie("node"), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (v, max) => {
        expect(exceedsDepth(JSON.stringify(v), max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it("is linear: a megabyte of brackets or of backslashes is scanned in milliseconds", () => {
    for (const text of ["[".repeat(1_000_000), `"${"\\\\".repeat(500_000)}"`, `["${'\\"'.repeat(300_000)}"]`]) {
      const t = performance.now();
      exceedsDepth(text, 64);
      expect(performance.now() - t).toBeLessThan(100);
    }
  });
});

describe("toMessage / parseBody", () => {
  it("classifies requests, notifications and responses", () => {
    expect(toMessage({ jsonrpc: "2.0", id: 1, method: "ping" })).toEqual({ kind: "request", id: 1, method: "ping", params: undefined });
    expect(toMessage({ jsonrpc: "2.0", method: "notifications/initialized" })).toMatchObject({ kind: "notification" });
    expect(toMessage({ jsonrpc: "2.0", id: "a", result: {} })).toEqual({ kind: "response", id: "a" });
    expect(toMessage({ jsonrpc: "2.0", id: null, error: { code: 1, message: "x" } })).toEqual({ kind: "response", id: null });
    expect(toMessage({ jsonrpc: "2.0", id: null, method: "x", error: {} })).toMatchObject({ code: -32600 });
    expect(toMessage({ jsonrpc: "2.0", id: 1, result: {}, error: {} })).toMatchObject({ code: -32600, id: 1 });
  });

  it("keeps a valid id on envelope errors so the client can match the answer", () => {
    expect(parseBody('{"jsonrpc":"1.0","id":9,"method":"ping"}', 64)).toMatchObject({ code: -32600, id: 9 });
    expect(parseBody('{"jsonrpc":"2.0","id":9,"method":"ping","params":"x"}', 64)).toMatchObject({ code: -32600, id: 9 });
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const r = parseBody(s, 64);
        expect(typeof r).toBe("object");
      }),
      { numRuns: 1000 },
    );
  });
});

describe("encoders", () => {
  it("build valid JSON; errors with an unknown id carry none", () => {
    expect(JSON.parse(resultBody("x\"y", '{"a":1}'))).toEqual({ jsonrpc: "2.0", id: 'x"y', result: { a: 1 } });
    expect(JSON.parse(errorBody(undefined, -32700, "Parse error"))).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" } });
    expect(JSON.parse(errorBody(3, -32022, "v", { supported: ["a"] }))).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32022, message: "v", data: { supported: ["a"] } } });
  });
});
