import { describe, expect, it } from "vitest";
import { FieldPathError, FieldPathMatcher, parseFieldPath } from "./field-path";

describe("field paths", () => {
  it("parses the supported subset", () => {
    expect(parseFieldPath("$.a.b").steps).toEqual([
      { descendant: false, selector: { kind: "name", name: "a" } },
      { descendant: false, selector: { kind: "name", name: "b" } },
    ]);
    expect(parseFieldPath("$.items[*].ssn").steps.map((s) => s.selector.kind)).toEqual(["name", "any", "name"]);
    expect(parseFieldPath("$..ssn").steps).toEqual([{ descendant: true, selector: { kind: "name", name: "ssn" } }]);
    expect(parseFieldPath("$['a b'][\"c\"][0]").steps.map((s) => s.selector)).toEqual([
      { kind: "name", name: "a b" },
      { kind: "name", name: "c" },
      { kind: "index", index: 0 },
    ]);
    expect(parseFieldPath("$..*").steps).toEqual([{ descendant: true, selector: { kind: "any" } }]);
  });

  it.each([
    ["a.b", /start with \$/],
    ["$", /whole value/],
    ["$.", /ends after a dot/],
    ["$.items[?(@.x)]", /filter expressions/],
    ["$.items[0:2]", /slices/],
    ["$['a','b']", /unions/],
    ["$.items[0,1]", /unions/],
    ["$.items[-1]", /negative/],
    ["$.a b", /unexpected ' '/],
    ["$[", /unclosed/],
    ["$['a", /unterminated/],
  ])("refuses %s with a clear error", (src, msg) => {
    expect(() => parseFieldPath(src)).toThrow(FieldPathError);
    expect(() => parseFieldPath(src)).toThrow(msg);
  });

  it("matches while walking, including descendants", () => {
    const m = new FieldPathMatcher([parseFieldPath("$.items[*].ssn"), parseFieldPath("$..email"), parseFieldPath("$.a[1]")]);
    const walk = (keys: (string | number)[]) => {
      let states = m.initial();
      let matched: number[] = [];
      for (const k of keys) ({ next: states, matched } = m.step(states, k));
      return matched;
    };
    expect(walk(["items", 3, "ssn"])).toEqual([0]);
    expect(walk(["items", "x", "ssn"])).toEqual([0]);
    expect(walk(["items", 3, "name"])).toEqual([]);
    expect(walk(["deep", 1, "er", "email"])).toEqual([1]);
    expect(walk(["email"])).toEqual([1]);
    expect(walk(["a", 1])).toEqual([2]);
    expect(walk(["a", "1"])).toEqual([]);
  });
});
