import { createBudget, type RegexBudget } from "./custom-rules";
import { FieldPathMatcher, type PathStates } from "./field-path";
import { maskExcerpt } from "./mask";
import type { DetectorId } from "./detectors";
import type { Action, CompiledTextRule, Direction, ScanPolicy } from "./policy";

export { effectivePolicy, defaultRules, type ScanPolicy, type Rule, type PackOverride } from "./policy";

/**
 * The scanner: walks any JSON value, runs the policy's rules on every string (and on JSON
 * documents found inside strings), and returns the redacted value, the hits and whether the
 * call must be blocked.
 *
 * Shape of the work, for time and memory:
 * - one iterative walk (an explicit stack: 10^5 levels of nesting are fine), keys and values;
 * - per string, each rule's `find` (linear, see detectors.ts), then one overlap resolution;
 * - the output is copy-on-write: only containers on the way to a change are copied, so a
 *   large result with nothing to redact costs no allocation beyond the walk;
 * - placeholders are allocated after the walk, which is what lets the reversible vault be
 *   asynchronous (a database) while the walk stays synchronous.
 */

export type Hit = {
  ruleId: string;
  kind: string;
  /** JSON path of the value; `::` enters a JSON document found inside a string. */
  path: string;
  /** Masked: never the value. */
  excerpt: string;
  action: Action;
};

export type ScanResult<T = unknown> = {
  value: T;
  hits: Hit[];
  /** All hits, including those beyond `maxHits` that were counted but not listed. */
  hitCount: number;
  blocked: boolean;
  /** Custom rules that ran out of time; each also produced a hit (and blocked unless `log`). */
  timedOutRules: string[];
};

/** Hands out placeholders; the default numbers distinct values per kind, in order of appearance. */
export type PlaceholderAllocator = { placeholderFor(kind: string, value: string): string };

export type ScanContext = {
  direction: Direction;
  /** Share one allocator across the scans of a session to keep `[EMAIL_1]` stable there. */
  placeholders?: PlaceholderAllocator;
  /** Time budget of custom regex rules: this many ms plus 100 ms per MB scanned (default 250). */
  budgetMs?: number;
  /** Hits listed in the result (all are counted). Default 1000. */
  maxHits?: number;
};

/** Placeholder numbering per distinct (kind, value): `[EMAIL_1]`, `[EMAIL_2]`, `[PHONE_1]`. */
export function createPlaceholderNumbering(): PlaceholderAllocator {
  const byValue = new Map<string, string>();
  const counters = new Map<string, number>();
  return {
    placeholderFor(kind, value) {
      const key = `${kind}\u0000${value}`;
      const known = byValue.get(key);
      if (known) return known;
      const n = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, n);
      const p = `[${kind}_${n}]`;
      byValue.set(key, p);
      return p;
    },
  };
}

// ---- text-level detection (shared with the stream scanner)

export type TextMatch = { start: number; end: number; value: string; rule: CompiledTextRule; order: number };

const SEVERITY: Record<Action, number> = { log: 0, redact: 1, block: 2 };
const MIN_BUILTIN_TEXT = 3;
const CLEAN_CACHE_MAX_LENGTH = 128;
const CLEAN_CACHE_ENTRIES = 20_000;

export type TextScanState = { budget: RegexBudget; timedOut: Set<string>; budgetPerMb: number };

export function createTextScanState(budgetMs = 250): TextScanState {
  return { budget: createBudget(budgetMs), timedOut: new Set(), budgetPerMb: 100 };
}

function rulesFor(policy: ScanPolicy, direction: Direction): CompiledTextRule[] {
  return policy.textRules.filter((r) => r.appliesTo === "both" || r.appliesTo === direction);
}

/** Percent-decoded view (ASCII only) with a map back to raw offsets; null when nothing is encoded. */
function percentView(text: string): { text: string; map: Int32Array } | null {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return null;
  const map = new Int32Array(text.length + 1);
  const parts: string[] = [];
  let j = 0;
  let i = 0;
  const copy = (to: number) => {
    parts.push(text.slice(i, to));
    for (; i < to; i++) map[j++] = i;
  };
  let pct = text.indexOf("%");
  while (pct !== -1 && pct + 2 < text.length) {
    const hex = text.slice(pct + 1, pct + 3);
    const v = /^[0-7][0-9A-Fa-f]$/.test(hex) ? parseInt(hex, 16) : -1;
    if (v >= 0) {
      copy(pct);
      parts.push(String.fromCharCode(v));
      map[j++] = pct;
      i = pct + 3;
      pct = text.indexOf("%", i);
    } else pct = text.indexOf("%", pct + 1);
  }
  copy(text.length);
  map[j] = text.length;
  return { text: parts.join(""), map: map.subarray(0, j + 1) };
}

/**
 * What a string contains, counted in one pass: most strings of a tool result (names, ids,
 * prose) cannot hold most kinds of match, and knowing that costs less than asking each detector.
 */
type TextFeatures = { digits: number; upper: number; dots: number; colons: number; tokenRun: number };

/** Characters a token (key, secret, JWT part) can be made of: alphanumerics and `_ - . + / =`. */
const TOKEN_CHAR = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TOKEN_CHAR[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN_CHAR[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN_CHAR[c] = 1;
for (const c of "_-.+/=") TOKEN_CHAR[c.charCodeAt(0)] = 1;

function textFeatures(text: string): TextFeatures {
  let digits = 0;
  let upper = 0;
  let dots = 0;
  let colons = 0;
  let run = 0;
  let tokenRun = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && TOKEN_CHAR[c] === 1) {
      if (++run > tokenRun) tokenRun = run;
      if (c >= 48 && c <= 57) digits++;
      else if (c >= 65 && c <= 90) upper++;
      else if (c === 46) dots++;
    } else {
      run = 0;
      if (c === 58) colons++;
    }
  }
  return { digits, upper, dots, colons, tokenRun };
}

/**
 * Necessary conditions for a built-in detector to find anything in a string (a match lies inside
 * the string, so the string has at least the match's digits, letters and run length). They only
 * skip work: each is looser than its detector's own minimum (detectors.ts), never stricter.
 */
const DETECTOR_GATES: Partial<Record<DetectorId, (f: TextFeatures) => boolean>> = {
  phone: (f) => f.digits >= 7,
  payment_card: (f) => f.digits >= 14,
  us_ssn: (f) => f.digits >= 9,
  iban: (f) => f.upper >= 2 && f.digits >= 2 && f.tokenRun >= 4,
  ip_address: (f) => (f.digits >= 4 && f.dots >= 3) || f.colons >= 2,
  aws_access_key_id: (f) => f.tokenRun >= 20,
  aws_secret_access_key: (f) => f.tokenRun >= 40,
  github_token: (f) => f.tokenRun >= 20,
  slack_token: (f) => f.tokenRun >= 20,
  stripe_secret_key: (f) => f.tokenRun >= 20,
  google_api_key: (f) => f.tokenRun >= 20,
  openai_api_key: (f) => f.tokenRun >= 20,
  latchkey_secret: (f) => f.tokenRun >= 20,
  high_entropy_secret: (f) => f.tokenRun >= 20,
};

type Gate = ((f: TextFeatures) => boolean) | null;
// Per rule list (a policy's lists live as long as the policy): one array read per rule, not a lookup by id.
const gateLists = new WeakMap<readonly CompiledTextRule[], Gate[]>();
function gatesOf(rules: readonly CompiledTextRule[]): Gate[] {
  let g = gateLists.get(rules);
  if (!g) gateLists.set(rules, (g = rules.map((r) => (r.type === "detector" ? (DETECTOR_GATES[r.detector.id] ?? null) : null))));
  return g;
}

function collect(text: string, rules: readonly CompiledTextRule[], state: TextScanState, out: TextMatch[], map: Int32Array | null): void {
  let features: TextFeatures | null = null;
  const gates = gatesOf(rules);
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r]!;
    let found;
    if (rule.type === "detector") {
      if (text.length < MIN_BUILTIN_TEXT) continue;
      const gate = gates[r]!;
      if (gate !== null && !gate((features ??= textFeatures(text)))) continue;
      found = rule.detector.find(text);
    } else {
      if (state.timedOut.has(rule.ruleId)) continue;
      found = rule.matcher.find(text, state.budget);
      if (found === null) {
        state.timedOut.add(rule.ruleId);
        continue;
      }
    }
    for (const m of found) {
      if (map) out.push({ start: map[m.start]!, end: map[m.end]!, value: m.value, rule, order: r });
      else out.push({ start: m.start, end: m.end, value: m.value, rule, order: r });
    }
  }
}

/** Below this priority a detector is generic (random-looking tokens): it yields to any specific one. */
const GENERIC_PRIORITY = 20;
const generic = (m: TextMatch) => (m.rule.priority < GENERIC_PRIORITY ? 1 : 0);

function better(a: TextMatch, b: TextMatch): number {
  return (
    SEVERITY[b.rule.action] - SEVERITY[a.rule.action] ||
    generic(a) - generic(b) ||
    b.end - b.start - (a.end - a.start) ||
    b.rule.priority - a.rule.priority ||
    a.start - b.start ||
    a.order - b.order
  );
}

/**
 * Non-overlapping matches, sorted by start. Among overlapping ones the strictest action wins,
 * then a specific detector over the generic high-entropy one (a Latchkey token inside a longer
 * random-looking URL path is reported as the token), then the longest (a JWT over the pieces it
 * contains), then the higher priority, then the earliest: deterministic for the same input.
 */
export function resolveOverlaps(matches: TextMatch[]): TextMatch[] {
  if (matches.length <= 1) return matches;
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: TextMatch[] = [];
  let i = 0;
  while (i < matches.length) {
    // a cluster: matches connected by overlap
    let j = i + 1;
    let end = matches[i]!.end;
    while (j < matches.length && matches[j]!.start < end) {
      end = Math.max(end, matches[j]!.end);
      j++;
    }
    if (j - i === 1) out.push(matches[i]!);
    else {
      const cluster = matches.slice(i, j).sort(better);
      const taken: TextMatch[] = [];
      for (const m of cluster) {
        // taken is kept sorted by start; find the neighbours of m
        let lo = 0;
        let hi = taken.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (taken[mid]!.start < m.start) lo = mid + 1;
          else hi = mid;
        }
        const prev = taken[lo - 1];
        const next = taken[lo];
        if ((prev && prev.end > m.start) || (next && next.start < m.end)) continue;
        taken.splice(lo, 0, m);
      }
      out.push(...taken);
    }
    i = j;
  }
  return out;
}

/** Candidate matches of `rules` in `text` before overlap resolution, percent-encoded ones included. */
export function candidatesInText(text: string, rules: readonly CompiledTextRule[], state: TextScanState): TextMatch[] {
  if (rules.length === 0 || text.length === 0) return [];
  // big inputs get proportionally more time before custom rules are cut off
  state.budget.allowedMs += (text.length / 1_048_576) * state.budgetPerMb;
  const all: TextMatch[] = [];
  collect(text, rules, state, all, null);
  const view = percentView(text);
  if (view) collect(view.text, rules, state, all, view.map);
  return all;
}

/** All resolved matches of `rules` in `text`, including percent-encoded occurrences. */
export function detectInText(text: string, rules: readonly CompiledTextRule[], state: TextScanState): TextMatch[] {
  return resolveOverlaps(candidatesInText(text, rules, state));
}

// ---- the walk

type Container = unknown[] | Record<string, unknown>;
type Frame = {
  value: Container;
  parent: Frame | null;
  key: string | number;
  clone: Container | null;
  doc: number;
  states: PathStates;
};
type Part = string | { ref: number };
type ValueEdit = { frame: Frame; key: string | number; parts: Part[] };
type KeyRename = { frame: Frame; oldKey: string; parts: Part[] };
type Doc = { holder: Frame; host: { frame: Frame; key: string | number } | null; pretty: boolean; depth: number };

const MAX_JSON_IN_STRING_DEPTH = 8;

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function defineOwn(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) target[key as number] = value;
  // defineProperty, not assignment: a key named __proto__ must stay a plain own property
  else Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function looksLikeJsonContainer(s: string): boolean {
  let a = 0;
  let b = s.length - 1;
  while (a <= b && s.charCodeAt(a) <= 32) a++;
  while (b >= a && s.charCodeAt(b) <= 32) b--;
  if (b - a < 1) return false;
  const f = s.charCodeAt(a);
  const l = s.charCodeAt(b);
  return (f === 123 && l === 125) || (f === 91 && l === 93);
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_PATH_SEGMENTS = 32;

class Walk {
  readonly docs: Doc[] = [];
  readonly edits: ValueEdit[][] = [];
  readonly renames: KeyRename[][] = [];
  readonly distinct: { kind: string; value: string }[] = [];
  private readonly distinctIndex = new Map<string, number>();
  readonly hits: Hit[] = [];
  hitCount = 0;
  blocked = false;
  /** Raw keys that had a hit, shown in paths by kind only. */
  private readonly maskedKeys = new Map<string, string>();
  private readonly rules: CompiledTextRule[];
  private readonly matcher: FieldPathMatcher | null;
  private readonly state: TextScanState;
  private readonly fieldRules: ScanPolicy["fieldRules"];

  constructor(
    policy: ScanPolicy,
    private readonly ctx: ScanContext,
  ) {
    this.rules = rulesFor(policy, ctx.direction);
    const fieldRules = policy.fieldRules.filter((r) => r.appliesTo === "both" || r.appliesTo === ctx.direction);
    this.fieldRules = fieldRules;
    this.matcher = fieldRules.length > 0 ? new FieldPathMatcher(fieldRules.map((r) => r.path)) : null;
    this.state = createTextScanState(ctx.budgetMs);
  }

  get timedOutRules(): string[] {
    return [...this.state.timedOut];
  }

  ref(kind: string, value: string): number {
    const key = `${kind}\u0000${value}`;
    let i = this.distinctIndex.get(key);
    if (i === undefined) {
      i = this.distinct.length;
      this.distinct.push({ kind, value });
      this.distinctIndex.set(key, i);
    }
    return i;
  }

  /** Records a hit; the excerpt and path are computed only for hits that are listed. */
  addHit(ruleId: string, kind: string, action: Action, excerpt: () => string, path: () => string): void {
    this.hitCount++;
    if (action === "block") this.blocked = true;
    if (this.hits.length < (this.ctx.maxHits ?? 1000)) this.hits.push({ ruleId, kind, path: path(), excerpt: excerpt(), action });
  }

  /** Path of `key` in `frame`; keys that had a hit show as `{key}`, never as themselves. */
  pathOf(frame: Frame, key: string | number, lastLabel?: string): string {
    const segs: (string | number)[] = [];
    let f = frame;
    let k = key;
    let truncated = false;
    while (f.parent !== null) {
      if (segs.length < MAX_PATH_SEGMENTS) segs.push(k);
      else truncated = true;
      k = f.key;
      f = f.parent;
    }
    let path = truncated ? "$…" : "$";
    for (let i = segs.length - 1; i >= 0; i--) {
      const s = segs[i]!;
      if (i === 0 && lastLabel !== undefined) path += `[${lastLabel}]`;
      else if (typeof s === "number") path += `[${s}]`;
      else {
        const masked = this.maskedKeys.get(s);
        if (masked !== undefined) path += `[${masked}]`;
        else path += IDENT.test(s) ? `.${s}` : `[${JSON.stringify(s.length > 64 ? `${s.slice(0, 63)}…` : s)}]`;
      }
    }
    const host = this.docs[f.doc]?.host;
    return host ? `${this.pathOf(host.frame, host.key)}::${path}` : path;
  }

  /** Text rules on one string; returns the parts of its redacted form, or null if unchanged. */
  /** Whether the last scanText call produced any hit (log included). */
  private lastHadHits = false;

  /** Short strings already found clean in this scan: keys and enum-like values repeat in every record. */
  private clean = new Set<string>();

  private scanText(text: string, path: () => string): Part[] | null {
    const short = text.length <= CLEAN_CACHE_MAX_LENGTH;
    if (short && this.clean.has(text)) {
      this.lastHadHits = false;
      return null;
    }
    const matches = detectInText(text, this.rules, this.state);
    this.lastHadHits = matches.length > 0;
    if (matches.length === 0) {
      if (short && this.clean.size < CLEAN_CACHE_ENTRIES) this.clean.add(text);
      return null;
    }
    let parts: Part[] | null = null;
    let pos = 0;
    for (const m of matches) {
      const { rule } = m;
      this.addHit(rule.ruleId, rule.kind, rule.action, () => maskExcerpt(rule.kind, m.value), path);
      if (rule.action === "log") continue;
      parts ??= [];
      if (m.start > pos) parts.push(text.slice(pos, m.start));
      parts.push({ ref: this.ref(rule.kind, m.value) });
      pos = m.end;
    }
    if (parts && pos < text.length) parts.push(text.slice(pos));
    return parts;
  }

  newDoc(value: unknown, host: Doc["host"], pretty: boolean, depth: number, states: PathStates): Frame {
    const holder: Frame = { value: [value], parent: null, key: 0, clone: null, doc: this.docs.length, states };
    this.docs.push({ holder, host, pretty, depth });
    this.edits.push([]);
    this.renames.push([]);
    return holder;
  }

  run(root: unknown): void {
    const initial = this.matcher ? this.matcher.initial() : [];
    const rootHolder = this.newDoc(root, null, false, 0, initial);
    type Iter = { frame: Frame; keys: string[] | null; i: number; len: number };
    const stack: Iter[] = [];
    const onPath = new WeakSet<object>();
    const push = (frame: Frame) => {
      onPath.add(frame.value);
      const keys = Array.isArray(frame.value) ? null : Object.keys(frame.value);
      stack.push({ frame, keys, i: 0, len: keys ? keys.length : (frame.value as unknown[]).length });
    };
    // the holder is an array of one: its child 0 is the root, whose states are the initial ones
    stack.push({ frame: rootHolder, keys: null, i: 0, len: 1 });
    while (stack.length > 0) {
      const it = stack[stack.length - 1]!;
      if (it.i >= it.len) {
        stack.pop();
        if (it.frame.parent !== null) onPath.delete(it.frame.value);
        continue;
      }
      const idx = it.i++;
      const frame = it.frame;
      const key: string | number = it.keys ? it.keys[idx]! : idx;
      const child = (frame.value as Record<string | number, unknown>)[key];
      const doc = this.docs[frame.doc]!;

      // keys first: a field rule that replaces the value must not keep a secret in the key
      if (typeof key === "string" && frame.parent !== null) {
        const parts = this.scanText(key, () => this.pathOf(frame, key, "{key}"));
        if (this.lastHadHits) this.maskedKeys.set(key, "{key}");
        if (parts) this.renames[frame.doc]!.push({ frame, oldKey: key, parts });
      }

      let states: PathStates = frame.states;
      if (frame.parent === null) {
        // the root of a document: its states were computed by whoever created the document
      } else if (this.matcher) {
        const { next, matched } = this.matcher.step(frame.states, key);
        states = next;
        let consumed = false;
        for (const p of matched) {
          const rule = this.fieldRules[p]!;
          const text = typeof child === "string" ? child : safeJson(child);
          this.addHit(rule.ruleId, rule.kind, rule.action, () => maskExcerpt(rule.kind, text), () => this.pathOf(frame, key));
          if (rule.action !== "log" && !consumed) {
            consumed = true;
            this.edits[frame.doc]!.push({ frame, key, parts: [{ ref: this.ref(rule.kind, text) }] });
          }
        }
        if (consumed) continue;
      }

      if (typeof child === "string") {
        if (doc.depth < MAX_JSON_IN_STRING_DEPTH && looksLikeJsonContainer(child)) {
          let parsed: unknown;
          let ok = false;
          try {
            parsed = JSON.parse(child);
            ok = typeof parsed === "object" && parsed !== null;
          } catch {
            ok = false;
          }
          if (ok) {
            const innerStates = this.matcher ? FieldPathMatcher.union(this.matcher.initial(), states) : [];
            const holder = this.newDoc(parsed, { frame, key }, child.includes("\n"), doc.depth + 1, innerStates);
            stack.push({ frame: holder, keys: null, i: 0, len: 1 });
            continue;
          }
        }
        const parts = this.scanText(child, () => this.pathOf(frame, key));
        if (parts) this.edits[frame.doc]!.push({ frame, key, parts });
      } else if ((typeof child === "number" && Number.isInteger(child) && Math.abs(child) >= 1e6 && Math.abs(child) < 1e21) || typeof child === "bigint") {
        const parts = this.scanText(String(child), () => this.pathOf(frame, key));
        if (parts) this.edits[frame.doc]!.push({ frame, key, parts });
      } else if (typeof child === "object" && child !== null && (Array.isArray(child) || isPlainObject(child))) {
        if (onPath.has(child)) continue;
        push({ value: child as Container, parent: frame, key, clone: null, doc: frame.doc, states });
      }
    }
  }

  // ---- rendering

  private ensureClone(frame: Frame): Container {
    if (frame.clone) return frame.clone;
    const chain: Frame[] = [];
    let f: Frame | null = frame;
    while (f && !f.clone) {
      chain.push(f);
      f = f.parent;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i]!;
      c.clone = Array.isArray(c.value) ? c.value.slice() : { ...c.value };
      if (c.parent) defineOwn(c.parent.clone!, c.key, c.clone);
    }
    return frame.clone!;
  }

  render(original: unknown, placeholders: readonly string[]): unknown {
    const build = (parts: Part[]) => parts.map((p) => (typeof p === "string" ? p : placeholders[p.ref]!)).join("");
    for (let d = this.docs.length - 1; d >= 0; d--) {
      for (const e of this.edits[d]!) defineOwn(this.ensureClone(e.frame), e.key, build(e.parts));
      const byFrame = new Map<Frame, Map<string, string>>();
      for (const r of this.renames[d]!) {
        let m = byFrame.get(r.frame);
        if (!m) byFrame.set(r.frame, (m = new Map()));
        m.set(r.oldKey, build(r.parts));
      }
      for (const [frame, names] of byFrame) {
        const old = this.ensureClone(frame) as Record<string, unknown>;
        const renamed: Record<string, unknown> = {};
        for (const k of Object.keys(old)) {
          const nk = names.get(k) ?? k;
          if (!Object.prototype.hasOwnProperty.call(renamed, nk)) defineOwn(renamed, nk, old[k]);
        }
        frame.clone = renamed;
        if (frame.parent) defineOwn(frame.parent.clone!, frame.key, renamed);
      }
      const doc = this.docs[d]!;
      if (doc.host && doc.holder.clone) {
        let text: string;
        try {
          text = stringifyJson((doc.holder.clone as unknown[])[0], doc.pretty ? 2 : 0);
        } catch {
          text = "[REDACTED]";
        }
        defineOwn(this.ensureClone(doc.host.frame), doc.host.key, text);
      }
    }
    const root = this.docs[0]!.holder;
    return root.clone ? (root.clone as unknown[])[0] : original;
  }
}

function safeJson(v: unknown): string {
  try {
    return stringifyJson(v, 0);
  } catch {
    return String(v);
  }
}

/**
 * JSON.stringify without recursion (V8's overflows near 10^4 levels of objects), for
 * re-serialising a JSON document found inside a string. Same output as JSON.stringify for
 * JSON values; `indent` spaces per level when non-zero.
 */
export function stringifyJson(value: unknown, indent = 0): string {
  const out: string[] = [];
  const nl = (depth: number) => (indent > 0 ? `\n${" ".repeat(indent * depth)}` : "");
  const colon = indent > 0 ? ": " : ":";
  type It = { kind: "array"; v: unknown[]; i: number } | { kind: "object"; v: Record<string, unknown>; keys: string[]; i: number; wrote: boolean };
  const stack: It[] = [];
  const emit = (v: unknown, inArray: boolean): boolean => {
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") v = (v as { toJSON(): unknown }).toJSON();
    if (Array.isArray(v)) {
      out.push("[");
      stack.push({ kind: "array", v, i: 0 });
      return true;
    }
    if (v !== null && typeof v === "object") {
      out.push("{");
      stack.push({ kind: "object", v: v as Record<string, unknown>, keys: Object.keys(v), i: 0, wrote: false });
      return true;
    }
    const s = typeof v === "bigint" ? undefined : JSON.stringify(v);
    if (s === undefined) {
      if (inArray) out.push("null");
      return inArray;
    }
    out.push(s);
    return true;
  };
  if (!emit(value, false) && stack.length === 0) return "null";
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const depth = stack.length;
    if (top.kind === "array") {
      if (top.i >= top.v.length) {
        stack.pop();
        out.push(top.v.length > 0 ? `${nl(depth - 1)}]` : "]");
        continue;
      }
      if (top.i > 0) out.push(",");
      out.push(nl(depth));
      emit(top.v[top.i++], true);
    } else {
      if (top.i >= top.keys.length) {
        stack.pop();
        out.push(top.wrote ? `${nl(depth - 1)}}` : "}");
        continue;
      }
      const k = top.keys[top.i++]!;
      const v = top.v[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      if (top.wrote) out.push(",");
      top.wrote = true;
      out.push(nl(depth), JSON.stringify(k), colon);
      emit(v, false);
    }
  }
  return out.join("");
}

// ---- public entry points

function engineFailure<T>(value: T, err: unknown): ScanResult<T> {
  // Fail closed: an engine bug must not let a secret through. The message carries no data.
  const name = err instanceof Error ? err.name : "Error";
  return {
    value,
    hits: [{ ruleId: "engine", kind: "ERROR", path: "$", excerpt: `scanner error (${name})`, action: "block" }],
    hitCount: 1,
    blocked: true,
    timedOutRules: [],
  };
}

function timeoutHits(walk: Walk, policy: ScanPolicy): void {
  for (const id of walk.timedOutRules) {
    const rule = policy.textRules.find((r) => r.ruleId === id);
    if (!rule) continue;
    // fail closed: a redact or block rule that could not finish blocks the call
    walk.addHit(id, rule.kind, rule.action === "log" ? "log" : "block", () => "rule ran out of time", () => "$");
  }
}

/**
 * Scans a JSON value (tool arguments or a tool result) against a policy. Never throws; an
 * internal error yields `blocked: true` with an `engine` hit and the value untouched, so a
 * caller must not use `value` when `blocked` is true. Placeholders come from `ctx.placeholders`
 * (default: fresh numbering per scan).
 */
export function scan<T>(value: T, policy: ScanPolicy, ctx: ScanContext): ScanResult<T> {
  try {
    const walk = new Walk(policy, ctx);
    walk.run(value);
    timeoutHits(walk, policy);
    const alloc = ctx.placeholders ?? createPlaceholderNumbering();
    const placeholders = walk.distinct.map((d) => alloc.placeholderFor(d.kind, d.value));
    return { value: walk.render(value, placeholders) as T, hits: walk.hits, hitCount: walk.hitCount, blocked: walk.blocked, timedOutRules: walk.timedOutRules };
  } catch (err) {
    return engineFailure(value, err);
  }
}

/** Placeholders that may come from an asynchronous store (the reversible vault). */
export type AsyncPlaceholderSource = {
  placeholdersFor(entries: readonly { kind: string; value: string }[]): Promise<string[]> | string[];
};

/** `scan` with placeholders from an asynchronous source: one batch per scan. Never rejects. */
export async function scanAsync<T>(value: T, policy: ScanPolicy, ctx: ScanContext, source: AsyncPlaceholderSource): Promise<ScanResult<T>> {
  let walk: Walk;
  try {
    walk = new Walk(policy, ctx);
    walk.run(value);
    timeoutHits(walk, policy);
  } catch (err) {
    return engineFailure(value, err);
  }
  try {
    const placeholders = walk.distinct.length > 0 ? await source.placeholdersFor(walk.distinct) : [];
    if (placeholders.length !== walk.distinct.length) throw new Error("placeholder source returned the wrong count");
    return { value: walk.render(value, placeholders) as T, hits: walk.hits, hitCount: walk.hitCount, blocked: walk.blocked, timedOutRules: walk.timedOutRules };
  } catch (err) {
    return engineFailure(value, err);
  }
}
