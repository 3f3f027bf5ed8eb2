/**
 * Field-path rules: a small JSONPath subset, enough to name a field wherever it sits.
 *
 *   $.a.b            child by name
 *   $['a b'] $["x"]  child by quoted name
 *   $.items[0]       array index
 *   $.items[*].ssn   any child (also $.items.*)
 *   $..ssn           a descendant at any depth (also $..*, $..[0], $..['x'])
 *
 * Everything else (filters, slices, unions, functions) is refused at save time with a message
 * naming the construct, so a rule never silently matches less than its author thinks.
 */

export type Selector = { kind: "name"; name: string } | { kind: "index"; index: number } | { kind: "any" };
export type PathStep = { descendant: boolean; selector: Selector };
export type FieldPath = { source: string; steps: PathStep[] };

export class FieldPathError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "FieldPathError";
  }
}

const MAX_PATH_LENGTH = 512;
const MAX_STEPS = 32;
const isIdentStart = (c: string) => /[A-Za-z_$]/.test(c);
const isIdentChar = (c: string) => /[A-Za-z0-9_$-]/.test(c);

/** Parses a field path or throws FieldPathError with the position and what is unsupported. */
export function parseFieldPath(source: string): FieldPath {
  if (source.length > MAX_PATH_LENGTH) throw new FieldPathError(`path is longer than ${MAX_PATH_LENGTH} characters`, MAX_PATH_LENGTH);
  if (source[0] !== "$") throw new FieldPathError("path must start with $ (the root), e.g. $.user.email", 0);
  const steps: PathStep[] = [];
  let i = 1;
  const n = source.length;
  while (i < n) {
    let descendant = false;
    const c = source[i];
    if (c === ".") {
      if (source[i + 1] === ".") {
        descendant = true;
        i += 2;
      } else i += 1;
      const d = source[i];
      if (d === undefined) throw new FieldPathError("path ends after a dot: name a field, e.g. $.user.email", i);
      if (d === "*") {
        steps.push({ descendant, selector: { kind: "any" } });
        i++;
        continue;
      }
      if (d === "[") {
        if (!descendant) throw new FieldPathError("'.[' is not valid: write $.a[0] or $.a['b']", i);
        const { selector, next } = parseBracket(source, i);
        steps.push({ descendant, selector });
        i = next;
        continue;
      }
      if (!isIdentStart(d)) throw new FieldPathError(`unexpected '${d}' after '.': field names start with a letter, _ or $; quote others as ['name']`, i);
      let j = i;
      while (j < n && isIdentChar(source[j]!)) j++;
      steps.push({ descendant, selector: { kind: "name", name: source.slice(i, j) } });
      i = j;
      continue;
    }
    if (c === "[") {
      const { selector, next } = parseBracket(source, i);
      steps.push({ descendant: false, selector });
      i = next;
      continue;
    }
    throw new FieldPathError(`unexpected '${c}': steps are .name, ['name'], [index], [*] or ..name`, i);
  }
  if (steps.length === 0) throw new FieldPathError("the path selects the whole value: name a field, e.g. $.user.email or $..ssn", 1);
  if (steps.length > MAX_STEPS) throw new FieldPathError(`more than ${MAX_STEPS} steps`, n);
  return { source, steps };
}

function parseBracket(source: string, open: number): { selector: Selector; next: number } {
  const i = open + 1;
  const c = source[i];
  if (c === undefined) throw new FieldPathError("unclosed '['", open);
  if (c === "?") throw new FieldPathError("filter expressions ([?(…)]) are not supported: use $..field or $.items[*].field", i);
  if (c === "(") throw new FieldPathError("script expressions ([(…)]) are not supported", i);
  if (c === "*") {
    if (source[i + 1] !== "]") throw new FieldPathError("expected ']' after '[*'", i + 1);
    return { selector: { kind: "any" }, next: i + 2 };
  }
  if (c === "'" || c === '"') {
    let j = i + 1;
    let name = "";
    while (j < source.length && source[j] !== c) {
      if (source[j] === "\\") {
        const e = source[j + 1];
        if (e === undefined) break;
        name += e;
        j += 2;
      } else {
        name += source[j];
        j++;
      }
    }
    if (source[j] !== c) throw new FieldPathError("unterminated quoted name", i);
    if (source[j + 1] === ",") throw new FieldPathError("unions (['a','b']) are not supported: write one rule per field", j + 1);
    if (source[j + 1] !== "]") throw new FieldPathError("expected ']' after the quoted name", j + 1);
    return { selector: { kind: "name", name }, next: j + 2 };
  }
  if (/[0-9-]/.test(c)) {
    let j = i;
    if (source[j] === "-") j++;
    while (j < source.length && /[0-9]/.test(source[j]!)) j++;
    const tok = source.slice(i, j);
    if (source[j] === ":") throw new FieldPathError("slices ([a:b]) are not supported: use [*]", j);
    if (source[j] === ",") throw new FieldPathError("unions ([0,1]) are not supported: use [*] or one rule per index", j);
    if (source[j] !== "]") throw new FieldPathError("expected ']' after the index", j);
    if (tok.startsWith("-")) throw new FieldPathError("negative indexes are not supported", i);
    if (tok.length === 0 || tok.length > 9) throw new FieldPathError("index must be a number below 10^9", i);
    return { selector: { kind: "index", index: Number(tok) }, next: j + 1 };
  }
  throw new FieldPathError(`unexpected '${c}' in brackets: use ['name'], [index] or [*]`, i);
}

function selects(sel: Selector, key: string | number): boolean {
  if (sel.kind === "any") return true;
  if (sel.kind === "name") return typeof key === "string" && key === sel.name;
  return typeof key === "number" && key === sel.index;
}

/**
 * States of several compiled paths while walking a JSON value: state `k` of path `p` means the
 * first k steps matched on the way here. Encoded as `p * 64 + k` (at most 32 steps).
 */
export type PathStates = readonly number[];

export class FieldPathMatcher {
  constructor(private readonly paths: readonly FieldPath[]) {}

  get size(): number {
    return this.paths.length;
  }

  /** States at the root value. */
  initial(): PathStates {
    return this.paths.map((_, p) => p * 64);
  }

  /**
   * States after stepping into `key`; `matched` lists the paths that select the child.
   * Cost: O(states), never more than paths × steps.
   */
  step(states: PathStates, key: string | number): { next: PathStates; matched: number[] } {
    const next: number[] = [];
    const matched: number[] = [];
    const seen = new Set<number>();
    const add = (s: number) => {
      if (!seen.has(s)) {
        seen.add(s);
        next.push(s);
      }
    };
    for (const s of states) {
      const p = s >> 6;
      const k = s & 63;
      const path = this.paths[p];
      const step = path?.steps[k];
      if (!path || !step) continue;
      if (step.descendant) add(s);
      if (selects(step.selector, key)) {
        if (k + 1 === path.steps.length) {
          if (!matched.includes(p)) matched.push(p);
        } else add(s + 1);
      }
    }
    return { next, matched };
  }

  /** Union of two state sets (a JSON document inside a string continues its host's states). */
  static union(a: PathStates, b: PathStates): PathStates {
    if (a.length === 0) return b;
    if (b.length === 0) return a;
    return [...new Set([...a, ...b])];
  }
}
