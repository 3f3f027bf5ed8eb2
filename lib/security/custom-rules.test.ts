import { check } from "recheck";
import { describe, expect, it } from "vitest";
import { checkPatternStatically, compileCustomPattern, createBudget, foldAsciiCase, validateCustomPattern } from "./custom-rules";
import { BUILTIN_DETECTORS } from "./detectors";

describe("custom regex rules: save-time ReDoS check", () => {
  const rejected: [string, string][] = [
    ["(a+)+$", "nested_quantifier"],
    ["(a|aa)*b", "overlapping_alternation"],
    ["(\\w+\\s?)*$", "nested_quantifier"],
    ["^(a|a)*$", "overlapping_alternation"],
    ["(x+x+)+y", "nested_quantifier"],
    ["([a-z]+)*@", "nested_quantifier"],
    ["(\\d|\\w)+!", "overlapping_alternation"],
    ["(a|)+b", "overlapping_alternation"],
    ["(a)\\1", "backreference"],
    ["(?<w>x)\\k<w>", "backreference"],
    ["(?<=a+)b", "lookbehind_unbounded"],
    ["(?=.*x)y", "lookahead_unbounded"],
    ["a*", "empty_match"],
    ["x{2000}", "repeat_too_large"],
    ["(unclosed", "invalid_syntax"],
  ];
  it.each(rejected)("statically rejects %s (%s) with a message naming the problem", (pattern, code) => {
    const r = checkPatternStatically(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem.code).toBe(code);
      expect(r.problem.message.length).toBeGreaterThan(20);
    }
  });

  it("rejects flags it does not support", () => {
    const r = checkPatternStatically("abc", "g");
    expect(r.ok ? null : r.problem.code).toBe("unsupported_flag");
  });

  it("uses recheck for what static analysis cannot see (quadratic patterns)", async () => {
    for (const p of ["\\d+\\.\\d+", "a.*b.*c", "[a-z]+@[a-z]+\\.com"]) {
      expect(checkPatternStatically(p).ok).toBe(true);
      const r = await validateCustomPattern(p);
      expect(r.ok, p).toBe(false);
      if (!r.ok) {
        expect(r.problem.code).toBe("polynomial_backtracking");
        expect(r.problem.message).toMatch(/bound the repetition/i);
      }
    }
  }, 60_000);

  it("accepts ordinary patterns", async () => {
    for (const [p, f] of [
      ["\\bEMP-[0-9]{6}\\b", ""],
      ["\\bacme-[a-z0-9]{8}\\b", "i"],
      ["[A-Z]{2}[0-9]{6}", ""],
      ["password=\\S{1,64}", ""],
      ["^[0-9]{9}$", "m"],
      ["\\b(?:PROJ|TASK)-[0-9]{1,6}\\b", ""],
      ["(?:[0-9]{1,3}\\.){3}[0-9]{1,3}", ""],
    ] as const) {
      const r = await validateCustomPattern(p, f);
      expect(r, `${p} /${f}`).toEqual({ ok: true });
    }
  }, 60_000);
});

describe("custom regex rules: run-time guard", () => {
  it("writes ASCII case folding out for the linear engine", () => {
    expect(foldAsciiCase("\\bEmp-[a-f0-9]{6}\\b|[^x]", "i")).toBe("\\b[Ee][mM][pP]-[a-f0-9A-F]{6}\\b|[^xX]");
    expect(foldAsciiCase("abc", "iu")).toBeNull();
  });

  it("finds matches, case-insensitively, across the whole text", () => {
    const m = compileCustomPattern("\\bemp-[0-9]{6}\\b", "i", 64);
    expect(m.engine).toBe("linear");
    const text = `${"x ".repeat(5000)}EMP-123456 and emp-654321`;
    expect(m.find(text, createBudget(1000))?.map((x) => x.value)).toEqual(["EMP-123456", "emp-654321"]);
  });

  it("a catastrophic pattern that bypassed validation still cannot stall a scan", () => {
    for (const p of ["(a+)+$", "(a|aa)*b", "(x+x+)+y"]) {
      const m = compileCustomPattern(p, "", 64);
      const t0 = performance.now();
      m.find(`${"a".repeat(50_000)}!`, createBudget(10_000));
      m.find(`${"x".repeat(50_000)}`, createBudget(10_000));
      expect(performance.now() - t0, p).toBeLessThan(5_000);
    }
  });

  it("patterns the linear engine refuses run on bounded windows and stop at the budget", () => {
    // quadratic per start position (recheck would refuse it; the lookahead keeps it off the linear engine)
    const m = compileCustomPattern("(?=[0-9])[0-9]+[0-9]+z", "", 256);
    expect(m.maxLength).toBe(128);
    expect(m.engine).toBe("backtracking");
    const budget = createBudget(50);
    const t0 = performance.now();
    const r = m.find("1".repeat(20_000_000), budget);
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(r).toBeNull();
    expect(budget.timedOut).toBe(true);
  });

  it("windowed matching finds matches that straddle window edges, once each", () => {
    const m = compileCustomPattern("(?=E)EMP-[0-9]{6}", "", 16);
    expect(m.engine).toBe("backtracking");
    const parts: string[] = [];
    for (let i = 0; i < 200; i++) parts.push(`${"y".repeat(i % 23)} EMP-${String(100000 + i)}`);
    const found = m.find(parts.join(""), createBudget(5_000))!.map((x) => x.value);
    expect(found).toEqual(parts.map((p) => p.trim().replace(/^y*\s*/, "")));
  });
});

describe("built-in detectors: ReDoS audit (B4)", () => {
  it("recheck finds no super-linear regex among the detectors' patterns", async () => {
    const problems: string[] = [];
    for (const d of BUILTIN_DETECTORS) {
      for (const re of d.patterns) {
        const r = await check(re.source, re.flags.replace(/[gy]/g, ""), { timeout: 10_000 });
        if (r.status !== "safe") problems.push(`${d.id}: /${re.source}/ ${r.status}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
