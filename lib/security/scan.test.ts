import { describe, expect, it } from "vitest";
import { defaultRules, effectivePolicy, type Rule } from "./policy";
import { createPlaceholderNumbering, scan, stringifyJson } from "./scan";

const redactAll = (extra: Rule[] = []) =>
  effectivePolicy([...defaultRules().map((r) => ({ ...r, action: "redact" as const })), ...extra]);
const results = { direction: "results" as const };
const rule = (r: Partial<Rule> & { id: string }) => ({ appliesTo: "both", action: "redact", enabled: true, ...r }) as Rule;

describe("scan", () => {
  it("redacts with typed placeholders numbered per distinct value", () => {
    const r = scan({ a: "mail jane@acme.io and bob@acme.io", b: ["jane@acme.io"] }, redactAll(), results);
    expect(r.value).toEqual({ a: "mail [EMAIL_1] and [EMAIL_2]", b: ["[EMAIL_1]"] });
    expect(r.hits.map((h) => h.path)).toEqual(["$.a", "$.a", "$.b[0]"]);
    expect(r.blocked).toBe(false);
  });

  it("does not mutate or copy what it does not change", () => {
    const input = { keep: { deep: [1, 2, { x: "plain" }] }, change: { s: "4242 4242 4242 4242" } };
    const snapshot = JSON.stringify(input);
    const r = scan(input, redactAll(), results);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect((r.value as typeof input).keep).toBe(input.keep);
    expect((r.value as typeof input).change).not.toBe(input.change);
    const none = { a: "nothing here" };
    expect(scan(none, redactAll(), results).value).toBe(none);
  });

  it("scans JSON inside strings and re-serialises it", () => {
    const inner = { user: { email: "jane@acme.io" }, n: 1 };
    const r = scan({ content: [{ type: "text", text: JSON.stringify(inner) }] }, redactAll(), results);
    const text = (r.value as { content: { text: string }[] }).content[0]!.text;
    expect(JSON.parse(text)).toEqual({ user: { email: "[EMAIL_1]" }, n: 1 });
    expect(r.hits[0]!.path).toBe("$.content[0].text::$.user.email");
    // pretty-printed JSON stays pretty
    const pretty = scan(JSON.stringify(inner, null, 2), redactAll(), results).value as string;
    expect(pretty).toContain("\n");
    expect(JSON.parse(pretty)).toEqual({ user: { email: "[EMAIL_1]" }, n: 1 });
  });

  it("scans keys, and never shows a secret key in a hit path", () => {
    const r = scan({ users: { "jane@acme.io": { token: "ghp_1234567890abcdefghijABCDEFGHIJ123456" } } }, redactAll(), results);
    expect(r.value).toEqual({ users: { "[EMAIL_1]": { token: "[SECRET_1]" } } });
    for (const h of r.hits) expect(h.path).not.toContain("jane");
    expect(r.hits.map((h) => h.path)).toEqual(["$.users[{key}]", "$.users[{key}].token"]);
  });

  it("keeps __proto__ keys as plain data", () => {
    const input = JSON.parse('{"__proto__": {"e": "jane@acme.io"}, "x": 1}');
    const r = scan(input, redactAll(), results);
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(JSON.stringify(r.value)).toBe('{"__proto__":{"e":"[EMAIL_1]"},"x":1}');
  });

  it("walks 10^5 levels of nesting without recursion", () => {
    let v: unknown = "card 4242 4242 4242 4242";
    for (let i = 0; i < 100_000; i++) v = i % 2 ? [v] : { k: v };
    const r = scan(v, redactAll(), results);
    let out = r.value as unknown;
    for (let i = 99_999; i >= 0; i--) out = i % 2 ? (out as unknown[])[0] : (out as { k: unknown }).k;
    expect(out).toBe("card [CARD_1]");
    expect(r.hits[0]!.path.startsWith("$…")).toBe(true);
  });

  it("numbers that are cards are redacted to strings", () => {
    expect(scan({ pan: 4242424242424242, qty: 3 }, redactAll(), results).value).toEqual({ pan: "[CARD_1]", qty: 3 });
  });

  it("log records without changing; block sets blocked and still redacts", () => {
    const rules = defaultRules().map((r) => (r.id === "builtin.email" ? { ...r, action: "log" as const } : r.id === "builtin.us_ssn" ? { ...r, action: "block" as const } : r));
    const r = scan({ e: "jane@acme.io", s: "123-45-6789" }, effectivePolicy(rules), results);
    expect(r.value).toEqual({ e: "jane@acme.io", s: "[SSN_1]" });
    expect(r.blocked).toBe(true);
    expect(r.hits.map((h) => [h.kind, h.action])).toEqual([
      ["EMAIL", "log"],
      ["SSN", "block"],
    ]);
  });

  it("appliesTo selects arguments or results", () => {
    const p = effectivePolicy([rule({ id: "e", detector: "email", appliesTo: "arguments" } as Rule)]);
    expect(scan("jane@acme.io", p, { direction: "results" }).hits).toEqual([]);
    expect(scan("jane@acme.io", p, { direction: "arguments" }).value).toBe("[EMAIL_1]");
  });

  it("field-path rules replace the whole value", () => {
    const p = redactAll([rule({ id: "f", fieldPath: "$.items[*].ssn", kind: "SSN" } as Rule), rule({ id: "g", fieldPath: "$..dob", kind: "DOB" } as Rule)]);
    const r = scan({ items: [{ ssn: "123456789", name: "A" }, { ssn: 42 }], deep: [{ dob: { y: 1990 } }] }, p, results);
    expect(r.value).toEqual({ items: [{ ssn: "[SSN_1]", name: "A" }, { ssn: "[SSN_2]" }], deep: [{ dob: "[DOB_1]" }] });
  });

  it("custom patterns", () => {
    const p = effectivePolicy([rule({ id: "emp", pattern: "\\bEMP-[0-9]{6}\\b", flags: "i", kind: "EMPLOYEE_ID", maxMatchLength: 64 } as Rule)]);
    expect(scan("ids emp-123456, EMP-654321", p, results).value).toBe("ids [EMPLOYEE_ID_1], [EMPLOYEE_ID_2]");
  });

  it("overlaps: one winner, deterministic (JWT over its random-looking parts)", () => {
    const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    const r = scan(`Bearer ${jwt}`, redactAll(), results);
    expect(r.value).toBe("Bearer [JWT_1]");
    expect(r.hits).toHaveLength(1);
  });

  it("percent-encoded values are found and share the decoded value's placeholder", () => {
    const r = scan("a=jane%40acme.io b=jane@acme.io", redactAll(), results);
    expect(r.value).toBe("a=[EMAIL_1] b=[EMAIL_1]");
  });

  it("excerpts are masked", () => {
    const r = scan("jane.doe@example.com 4242 4242 4242 4242 ghp_1234567890abcdefghijABCDEFGHIJ123456", redactAll(), results);
    expect(r.hits.map((h) => h.excerpt)).toEqual(["j***@e***.com", "**** **** **** 4242", "ghp_************ (40 chars)"]);
  });

  it("a shared allocator keeps placeholders stable across scans", () => {
    const placeholders = createPlaceholderNumbering();
    expect(scan("bob@x.io", redactAll(), { ...results, placeholders }).value).toBe("[EMAIL_1]");
    expect(scan("amy@x.io bob@x.io", redactAll(), { ...results, placeholders }).value).toBe("[EMAIL_2] [EMAIL_1]");
  });

  it("counts every hit but lists at most maxHits", () => {
    const r = scan("a@b.co ".repeat(50), redactAll(), { ...results, maxHits: 5 });
    expect(r.hits).toHaveLength(5);
    expect(r.hitCount).toBe(50);
  });

  it("never throws: cycles, exotic values, lone surrogates", () => {
    const cyclic: Record<string, unknown> = { a: "jane@acme.io" };
    cyclic.self = cyclic;
    const r = scan(cyclic, redactAll(), results);
    expect((r.value as { a: string }).a).toBe("[EMAIL_1]");
    for (const v of [undefined, null, 1n, Symbol("s"), () => 1, new Date(), new Map(), "\ud800", "\u0000jane@acme.io\u0000"]) {
      expect(() => scan(v, redactAll(), results)).not.toThrow();
    }
  });
});

describe("effectivePolicy", () => {
  const env = defaultRules();
  it("pack overrides switch rules, change actions, and allow one tool's data through", () => {
    const p = effectivePolicy(env, [
      { ruleId: "builtin.email", action: "redact", allowUnredactedForTools: ["gmail_send"] },
      { ruleId: "builtin.phone", enabled: false },
    ]);
    expect(p.textRules.find((r) => r.ruleId === "builtin.email")!.action).toBe("redact");
    expect(p.textRules.some((r) => r.ruleId === "builtin.phone")).toBe(false);
    const forTool = effectivePolicy(env, [{ ruleId: "builtin.email", action: "redact", allowUnredactedForTools: ["gmail_send"] }], "gmail_send");
    expect(forTool.textRules.find((r) => r.ruleId === "builtin.email")!.action).toBe("log");
  });
});

describe("stringifyJson", () => {
  it("matches JSON.stringify and survives deep nesting", () => {
    for (const v of [{ a: [1, "x", null, true, { b: undefined, c: 1.5 }], "k\"ey": "v\n" }, [], {}, "s", 3, null, [undefined]]) {
      expect(stringifyJson(v)).toBe(JSON.stringify(v));
      expect(stringifyJson(v, 2)).toBe(JSON.stringify(v, null, 2));
    }
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    expect(stringifyJson(deep).length).toBe(50_000 * 6 + 1);
  });
});
