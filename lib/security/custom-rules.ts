import { setFlagsFromString } from "node:v8";
import { RegExpParser, type AST } from "@eslint-community/regexpp";
import type { Match } from "./detectors";

/**
 * Custom regex rules run over attacker-controlled tool output, so a pattern that can backtrack
 * catastrophically is a denial of service waiting for its input. Two defences:
 *
 * 1. At save time, `validateCustomPattern` refuses a pattern that is not provably linear:
 *    first a static pass over the parsed pattern that names the usual culprits (nested
 *    quantifiers, overlapping alternatives under a quantifier, backreferences, unbounded
 *    lookarounds, empty matches), then recheck (automaton and fuzzing analysis) for the subtle
 *    ones, including quadratic patterns such as `\d+\.\d+` that scan a long digit run from
 *    every start position. recheck was chosen over safe-regex2 because safe-regex2 accepts
 *    `(a|aa)*b` and `^(a|a)*$` (exponential) and `a.*b.*c` (cubic).
 * 2. At run time, patterns that V8's linear-time engine can run (checked by compiling them with
 *    the `l` flag; `i` is emulated by writing the ASCII case folding out) run on the normal
 *    engine at full speed with V8's `--enable-experimental-regexp-engine-on-excessive-backtracks`
 *    on: an exec that backtracks more than 50 000 times is re-run on the linear engine, so no
 *    input can make it blow up (the linear engine alone is ~300× slower, hence the hybrid). The
 *    flag is process-wide and only changes what happens to a regex that is already
 *    backtracking catastrophically; start Node with it to make that explicit. Patterns the
 *    linear engine refuses (lookarounds, Unicode property escapes, counted repeats over
 *    ~100, `i` with the `u` flag) run on the backtracking engine over overlapping windows of
 *    2×maxLength (+ context): a super-linear pattern that slipped through costs poly(window)
 *    per window, and a time budget checked between windows stops the rule (the caller fails
 *    closed). An exponential pattern in that fallback is bounded only by the window, which is
 *    why the save-time check refuses them first.
 */

export const CUSTOM_FLAGS = new Set(["i", "m", "s", "u"]);
export const MAX_PATTERN_LENGTH = 500;
export const DEFAULT_MAX_MATCH_LENGTH = 256;
export const MAX_MAX_MATCH_LENGTH = 4096;
const MAX_REPEAT = 1000;

export type PatternProblemCode =
  | "too_long"
  | "unsupported_flag"
  | "invalid_syntax"
  | "backreference"
  | "lookbehind_unbounded"
  | "lookahead_unbounded"
  | "nested_quantifier"
  | "overlapping_alternation"
  | "repeat_too_large"
  | "empty_match"
  | "exponential_backtracking"
  | "polynomial_backtracking"
  | "unproven";

export type PatternProblem = { code: PatternProblemCode; message: string; position?: number };
export type PatternCheck = { ok: true } | { ok: false; problem: PatternProblem };

const fail = (code: PatternProblemCode, message: string, position?: number): PatternCheck => ({
  ok: false,
  problem: position === undefined ? { code, message } : { code, message, position },
});

// ---- character sets for first-character analysis: sorted, merged [lo, hi] ranges

type CharSet = [number, number][];
const MAX_CP = 0x10ffff;
const ANY: CharSet = [[0, MAX_CP]];
const DIGITS: CharSet = [[48, 57]];
const WORD: CharSet = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: CharSet = [
  [9, 13],
  [32, 32],
  [160, 160],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];

function normalize(set: CharSet): CharSet {
  const s = [...set].sort((a, b) => a[0] - b[0]);
  const out: CharSet = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function complement(set: CharSet): CharSet {
  const out: CharSet = [];
  let lo = 0;
  for (const [a, b] of normalize(set)) {
    if (a > lo) out.push([lo, a - 1]);
    lo = b + 1;
  }
  if (lo <= MAX_CP) out.push([lo, MAX_CP]);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  for (const [a0, a1] of a) for (const [b0, b1] of b) if (a0 <= b1 && b0 <= a1) return true;
  return false;
}

/** With the i flag, ASCII letters match both cases; that is where overlaps hide in practice. */
function caseFold(set: CharSet): CharSet {
  const extra: CharSet = [];
  for (const [a, b] of set) {
    const lo = Math.max(a, 65);
    const hi = Math.min(b, 90);
    if (lo <= hi) extra.push([lo + 32, hi + 32]);
    const lo2 = Math.max(a, 97);
    const hi2 = Math.min(b, 122);
    if (lo2 <= hi2) extra.push([lo2 - 32, hi2 - 32]);
  }
  return normalize([...set, ...extra]);
}

type First = { set: CharSet; nullable: boolean };

function classElementSet(el: AST.CharacterClassElement | AST.CharacterClass): CharSet {
  switch (el.type) {
    case "Character":
      return [[el.value, el.value]];
    case "CharacterClassRange":
      return [[el.min.value, el.max.value]];
    case "CharacterSet":
      return characterSet(el);
    case "CharacterClass": {
      const inner = normalize(el.elements.flatMap((e) => classElementSet(e)));
      return el.negate ? complement(inner) : inner;
    }
    default:
      return ANY;
  }
}

function characterSet(el: AST.CharacterSet): CharSet {
  if (el.kind === "any") return ANY;
  if (el.kind === "property") return ANY;
  const base = el.kind === "digit" ? DIGITS : el.kind === "word" ? WORD : SPACE;
  return el.negate ? complement(base) : base;
}

function firstOfElements(elements: readonly AST.Element[], fold: boolean): First {
  let set: CharSet = [];
  for (const el of elements) {
    const f = firstOf(el, fold);
    set = normalize([...set, ...f.set]);
    if (!f.nullable) return { set, nullable: false };
  }
  return { set, nullable: true };
}

function firstOf(el: AST.Element, fold: boolean): First {
  switch (el.type) {
    case "Character":
      return { set: fold ? caseFold([[el.value, el.value]]) : [[el.value, el.value]], nullable: false };
    case "CharacterClass": {
      const s = classElementSet(el);
      return { set: fold ? caseFold(s) : s, nullable: false };
    }
    case "ExpressionCharacterClass":
      return { set: ANY, nullable: false };
    case "CharacterSet":
      return { set: characterSet(el), nullable: false };
    case "Group":
    case "CapturingGroup": {
      let set: CharSet = [];
      let nullable = false;
      for (const alt of el.alternatives) {
        const f = firstOfElements(alt.elements, fold);
        set = normalize([...set, ...f.set]);
        nullable ||= f.nullable;
      }
      return { set, nullable };
    }
    case "Quantifier": {
      const f = firstOf(el.element, fold);
      return { set: f.set, nullable: f.nullable || el.min === 0 };
    }
    case "Assertion":
      return { set: [], nullable: true };
    case "Backreference":
      return { set: ANY, nullable: true };
    default:
      return { set: ANY, nullable: true };
  }
}

// ---- lengths

function minLength(nodes: readonly AST.Alternative[]): number {
  let best = Infinity;
  for (const alt of nodes) best = Math.min(best, alt.elements.reduce((s, e) => s + minLen(e), 0));
  return best === Infinity ? 0 : best;
}

function minLen(el: AST.Element): number {
  switch (el.type) {
    case "Character":
    case "CharacterClass":
    case "CharacterSet":
    case "ExpressionCharacterClass":
      return 1;
    case "Group":
    case "CapturingGroup":
      return minLength(el.alternatives);
    case "Quantifier":
      return el.min * minLen(el.element);
    default:
      return 0;
  }
}

function maxLength(nodes: readonly AST.Alternative[]): number {
  let best = 0;
  for (const alt of nodes) best = Math.max(best, alt.elements.reduce((s, e) => s + maxLen(e), 0));
  return best;
}

function maxLen(el: AST.Element): number {
  switch (el.type) {
    case "Character":
    case "CharacterSet":
      return 1;
    case "CharacterClass":
    case "ExpressionCharacterClass":
      // a class with string alternatives (v flag) can match several characters; 2 is a safe unit
      return 2;
    case "Group":
    case "CapturingGroup":
      return maxLength(el.alternatives);
    case "Quantifier":
      return el.max === Infinity ? Infinity : el.max * maxLen(el.element);
    case "Backreference":
      return Infinity;
    default:
      return 0;
  }
}

// ---- the static pass

function parse(pattern: string, flags: string): AST.Pattern {
  const parser = new RegExpParser({ ecmaVersion: 2025 });
  return parser.parsePattern(pattern, 0, pattern.length, { unicode: flags.includes("u"), unicodeSets: flags.includes("v") });
}

/** Walks every node below `node` (iteratively: patterns can nest deeply). */
function* descendants(node: AST.Node): Generator<AST.Node> {
  const stack: AST.Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    yield n;
    switch (n.type) {
      case "Pattern":
      case "Group":
      case "CapturingGroup":
        stack.push(...n.alternatives);
        break;
      case "Assertion":
        if (n.kind === "lookahead" || n.kind === "lookbehind") stack.push(...n.alternatives);
        break;
      case "Alternative":
        stack.push(...n.elements);
        break;
      case "Quantifier":
        stack.push(n.element);
        break;
      default:
        break;
    }
  }
}

const variable = (q: AST.Quantifier) => q.max > 1 && q.min !== q.max;

/**
 * Checks a pattern without running it. Fast and deterministic, so the dashboard can call it on
 * every keystroke; the save path also calls `validateCustomPattern`, which adds recheck.
 */
export function checkPatternStatically(pattern: string, flags = ""): PatternCheck {
  if (pattern.length === 0) return fail("empty_match", "the pattern is empty");
  if (pattern.length > MAX_PATTERN_LENGTH) return fail("too_long", `the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  for (const f of flags) {
    if (!CUSTOM_FLAGS.has(f)) return fail("unsupported_flag", `flag '${f}' is not supported: use i, m, s or u (matching is always global)`);
  }
  let ast: AST.Pattern;
  try {
    ast = parse(pattern, flags);
    new RegExp(pattern, flags);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return fail("invalid_syntax", `not a valid regular expression: ${msg}`);
  }
  const fold = flags.includes("i");
  for (const node of descendants(ast)) {
    if (node.type === "Backreference") {
      return fail("backreference", `backreference ${node.raw} at position ${node.start}: backreferences need a backtracking search that can take exponential time; match the text itself instead`, node.start);
    }
    if (node.type === "Quantifier" && (node.min > MAX_REPEAT || (node.max !== Infinity && node.max > MAX_REPEAT))) {
      return fail("repeat_too_large", `repetition ${node.raw.slice(node.element.raw.length)} at position ${node.start} exceeds ${MAX_REPEAT}`, node.start);
    }
    if (node.type === "Assertion" && (node.kind === "lookbehind" || node.kind === "lookahead")) {
      for (const inner of descendants(node)) {
        if (inner.type === "Quantifier" && inner.max === Infinity) {
          const which = node.kind === "lookbehind" ? "lookbehind" : "lookahead";
          return fail(
            node.kind === "lookbehind" ? "lookbehind_unbounded" : "lookahead_unbounded",
            `${which} ${node.raw} at position ${node.start} contains the unbounded quantifier ${inner.raw}: it re-reads the input from every position (quadratic time); bound it, e.g. {0,20}`,
            node.start,
          );
        }
      }
    }
    if (node.type === "Quantifier" && (node.max === Infinity || node.max > 20) && variable(node)) {
      for (const inner of descendants(node.element)) {
        if (inner.type === "Quantifier" && variable(inner)) {
          return fail(
            "nested_quantifier",
            `nested quantifier: ${node.raw} at position ${node.start} repeats ${inner.raw}, which repeats itself; on a near miss the engine tries exponentially many ways to split the input. Remove the inner repetition or bound the outer one, e.g. {1,10}`,
            node.start,
          );
        }
      }
      const el = node.element;
      if ((el.type === "Group" || el.type === "CapturingGroup") && el.alternatives.length > 1) {
        const firsts = el.alternatives.map((a) => firstOfElements(a.elements, fold));
        for (let i = 0; i < firsts.length; i++) {
          const fi = firsts[i]!;
          if (fi.nullable) {
            return fail("overlapping_alternation", `alternative '${el.alternatives[i]!.raw}' in ${node.raw} at position ${node.start} can match the empty string, so the repetition can split the input in many ways`, node.start);
          }
          for (let j = i + 1; j < firsts.length; j++) {
            if (intersects(fi.set, firsts[j]!.set)) {
              return fail(
                "overlapping_alternation",
                `overlapping alternatives under a quantifier: '${el.alternatives[i]!.raw}' and '${el.alternatives[j]!.raw}' in ${node.raw} at position ${node.start} can start with the same character, so the engine may try every way of choosing between them (exponential). Make the alternatives start differently, e.g. a(?:b|c) instead of ab|ac`,
                node.start,
              );
            }
          }
        }
      }
    }
  }
  if (minLength(ast.alternatives) === 0) return fail("empty_match", "the pattern can match the empty string, which would flag every position; require at least one character");
  return { ok: true };
}

type RecheckDiagnostics = {
  status: "safe" | "vulnerable" | "unknown";
  complexity?: { type: string; summary?: string; degree?: number };
  hotspot?: { start: number; end: number }[];
  error?: { kind: string };
};

/**
 * Full save-time check: the static pass, then recheck with a time limit. A pattern recheck
 * cannot prove safe within the limit is refused too: at save time, refusing costs a rewrite,
 * accepting costs an outage.
 */
export async function validateCustomPattern(pattern: string, flags = "", opts: { timeoutMs?: number } = {}): Promise<PatternCheck> {
  const first = checkPatternStatically(pattern, flags);
  if (!first.ok) return first;
  let diag: RecheckDiagnostics;
  try {
    const { check } = await import("recheck");
    diag = (await check(pattern, flags, { timeout: opts.timeoutMs ?? 5000 })) as RecheckDiagnostics;
  } catch {
    return fail("unproven", "the pattern could not be analysed for catastrophic backtracking; simplify it");
  }
  if (diag.status === "safe") return { ok: true };
  const spot = diag.hotspot?.[0];
  const where = spot ? ` at '${pattern.slice(spot.start, spot.end)}' (position ${spot.start})` : "";
  if (diag.status === "vulnerable") {
    if (diag.complexity?.type === "exponential") {
      return fail("exponential_backtracking", `catastrophic backtracking${where}: some inputs make matching take exponential time. Avoid repeating a part that can match the same text in more than one way`, spot?.start);
    }
    const degree = diag.complexity?.degree;
    return fail(
      "polynomial_backtracking",
      `super-linear backtracking${where}: ${degree ? `degree-${degree} polynomial` : "polynomial"} time on long inputs (e.g. \\d+ followed by something that fails scans the run from every start). Bound the repetition, e.g. \\d{1,20} instead of \\d+`,
      spot?.start,
    );
  }
  return fail("unproven", `the pattern could not be proven free of catastrophic backtracking within the time limit; simplify it or bound its repetitions with {m,n}`);
}

// ---- the runtime guard

/** Time custom rules may spend in one scan (only their own time counts, not the detectors'). */
export type RegexBudget = { allowedMs: number; spentMs: number; timedOut: boolean };

/** A time budget shared by every custom rule of one scan. */
export function createBudget(ms: number): RegexBudget {
  return { allowedMs: ms, spentMs: 0, timedOut: false };
}

export type CustomMatcher = {
  readonly maxLength: number;
  /** `linear`: guarded by V8's linear-engine fallback; `backtracking`: windows and a time budget. */
  readonly engine: "linear" | "backtracking";
  /** Matches, or null when the budget ran out (the caller fails closed). */
  find(text: string, budget: RegexBudget): Match[] | null;
};

let linearEngine: boolean | null = null;

/**
 * Whether the `l` flag (V8's linear engine) is usable, turning on the linear engine and the
 * fall-back-on-excessive-backtracking mode once. Both flags only add behaviour for regexes
 * that are already backtracking catastrophically.
 */
function linearEngineAvailable(): boolean {
  if (linearEngine !== null) return linearEngine;
  const probe = () => {
    try {
      new RegExp("a", "l");
      return true;
    } catch {
      return false;
    }
  };
  try {
    if (!probe()) setFlagsFromString("--enable-experimental-regexp-engine");
    setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  } catch {
    // not V8, or flags are locked: the windowed fallback is used
  }
  linearEngine = probe();
  return linearEngine;
}

const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const other = (c: number) => (c >= 97 ? c - 32 : c + 32);
const lit = (c: number) => {
  const ch = String.fromCharCode(c);
  return /[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch;
};

/**
 * The pattern with ASCII case folding written out (`a` → `[aA]`), because Node 20's linear
 * engine does not support the `i` flag. Non-ASCII letters keep their case (a documented
 * difference from `i`). Null when the pattern cannot be rewritten (u/v mode).
 */
export function foldAsciiCase(pattern: string, flags: string): string | null {
  if (flags.includes("u") || flags.includes("v")) return null;
  let ast: AST.Pattern;
  try {
    ast = parse(pattern, flags);
  } catch {
    return null;
  }
  const edits: { start: number; end: number; text: string }[] = [];
  for (const node of descendants(ast)) {
    if (node.type === "Character" && node.parent.type !== "CharacterClass" && node.parent.type !== "CharacterClassRange" && isAsciiLetter(node.value)) {
      edits.push({ start: node.start, end: node.end, text: `[${lit(node.value)}${lit(other(node.value))}]` });
    } else if (node.type === "CharacterClass" && !node.unicodeSets) {
      const extra: string[] = [];
      for (const el of node.elements) {
        if (el.type === "Character" && isAsciiLetter(el.value)) extra.push(lit(other(el.value)));
        if (el.type === "CharacterClassRange") {
          for (const [lo, hi, shift] of [[65, 90, 32], [97, 122, -32]] as const) {
            const a = Math.max(el.min.value, lo);
            const b = Math.min(el.max.value, hi);
            if (a <= b) extra.push(`${lit(a + shift)}-${lit(b + shift)}`);
          }
        }
      }
      if (extra.length > 0) edits.push({ start: node.end - 1, end: node.end - 1, text: extra.join("") });
    }
  }
  edits.sort((x, y) => y.start - x.start);
  let out = pattern;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * A normal-engine regex for the pattern if V8's linear engine could also run it (so the
 * excessive-backtracking fallback protects it), else null. `i` is replaced by explicit ASCII
 * case folding, which the linear engine supports.
 */
function compileGuarded(pattern: string, flags: string): RegExp | null {
  if (!linearEngineAvailable()) return null;
  let source = pattern;
  if (flags.includes("i")) {
    const folded = foldAsciiCase(pattern, flags);
    if (folded === null) return null;
    source = folded;
  }
  const f = flags.replace(/[gyi]/g, "");
  try {
    new RegExp(source, `${f}l`);
    return new RegExp(source, `${f}g`);
  } catch {
    return null;
  }
}

/** Longest match on the backtracking fallback (patterns the linear engine refuses). */
export const FALLBACK_MAX_MATCH_LENGTH = 128;

/** Characters of context on each side of a window, so \b, ^ and short lookarounds see their neighbours. */
const CONTEXT = 32;

/**
 * Compiles a validated pattern into a windowed matcher. Matches are at most `maxMatchLength`
 * characters (a longer one is cut at the window edge or missed); the pattern's own bound is
 * used when it is smaller, which makes the windows smaller too.
 */
export function compileCustomPattern(pattern: string, flags = "", maxMatchLength = DEFAULT_MAX_MATCH_LENGTH): CustomMatcher {
  const linear = compileGuarded(pattern, flags);
  const re = new RegExp(pattern, `${flags.replace(/[gy]/g, "")}g`);
  let own = Infinity;
  try {
    own = maxLength(parse(pattern, flags).alternatives);
  } catch {
    own = Infinity;
  }
  // on the backtracking fallback the window bounds the worst case (a search over a window of w
  // characters costs up to w^(k+1) for a degree-k pattern), so its matches are kept short
  const L = Math.max(1, Math.min(maxMatchLength, MAX_MAX_MATCH_LENGTH, own, linear ? Infinity : FALLBACK_MAX_MATCH_LENGTH));
  return {
    maxLength: L,
    engine: linear ? "linear" : "backtracking",
    find(text, budget) {
      if (budget.timedOut) return null;
      const started = performance.now();
      const over = () => budget.spentMs + (performance.now() - started) > budget.allowedMs;
      const finish = (result: Match[] | null) => {
        budget.spentMs += performance.now() - started;
        if (result === null) budget.timedOut = true;
        return result;
      };
      const out: Match[] = [];
      if (linear) {
        // guarded by the linear-engine fallback: one pass over the whole text
        linear.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = linear.exec(text)) !== null) {
          if (m[0].length === 0) {
            linear.lastIndex++;
            continue;
          }
          if (m[0].length <= L) out.push({ start: m.index, end: m.index + m[0].length, value: m[0] });
        }
        return finish(over() ? null : out);
      }
      const n = text.length;
      let lastEnd = 0;
      for (let ws = 0; ws < n; ws += L) {
        const winStart = Math.max(0, ws - CONTEXT);
        const winEnd = Math.min(n, ws + 2 * L + CONTEXT);
        const win = winStart === 0 && winEnd === n ? text : text.slice(winStart, winEnd);
        const acceptEnd = winEnd === n ? n : ws + L;
        re.lastIndex = Math.max(ws, lastEnd) - winStart;
        let m: RegExpExecArray | null;
        while ((m = re.exec(win)) !== null) {
          const s = winStart + m.index;
          if (m[0].length === 0) {
            re.lastIndex++;
            continue;
          }
          if (s >= acceptEnd) break;
          const e = s + m[0].length;
          // a match that runs into the window's edge may be longer than we can see: skip it
          if (e === winEnd && winEnd < n) continue;
          out.push({ start: s, end: e, value: m[0] });
          lastEnd = e;
        }
        if (over()) return finish(null);
        if (winEnd === n) break;
      }
      return finish(out);
    },
  };
}
