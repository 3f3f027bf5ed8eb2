import { createHmac, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { createPlaceholderNumbering, scanAsync, stringifyJson, type AsyncPlaceholderSource, type PlaceholderAllocator, type ScanContext, type ScanResult } from "./scan";
import type { ScanPolicy } from "./policy";

/**
 * Reversible redaction: the model sees `[EMAIL_3]`, never the address, and when it passes
 * `[EMAIL_3]` back as an argument to a tool of the same user, the gateway swaps the address back
 * in, so "reply to that sender" still works.
 *
 * Placeholders are stable per (user, kind, value) for a retention window (sliding: seeing the
 * value again extends it) and numbered per user without reuse while the user's record lives, so
 * an old `[EMAIL_1]` never silently comes to mean another address. Restoring only ever reads the
 * same user's entries: another user's placeholder text is left exactly as it is.
 *
 * Security note for whoever enables it: a restored value goes wherever the model sends it. Keep
 * reversible kinds to what tasks need (EMAIL, PHONE by default); never secrets, which a tool
 * result could trick the model into posting somewhere.
 */

export type MaybePromise<T> = T | Promise<T>;

export interface PlaceholderVault {
  /** The placeholder for `value` of `kind` for this user, created if needed. */
  placeholderFor(userKey: string, kind: string, value: string): MaybePromise<string>;
  /** Batch form (one round trip for a database). */
  placeholdersFor(userKey: string, entries: readonly { kind: string; value: string }[]): MaybePromise<string[]>;
  /** `args` with this user's live placeholders (of `kinds`, when given) replaced by their values. */
  restore<T>(userKey: string, args: T, kinds?: ReadonlySet<string>): MaybePromise<T>;
}

export const DEFAULT_REVERSIBLE_KINDS: ReadonlySet<string> = new Set(["EMAIL", "PHONE"]);

/**
 * Holds a plaintext value so that logging, JSON serialisation or util.inspect of the vault's
 * state shows `[sealed]`. A database-backed vault stores `seal()`ed ciphertext instead (AES-GCM
 * through the keyring, with the user key and placeholder as additional data) and looks values
 * up by `lookupDigest`, never by plaintext.
 */
export class SealedValue {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[sealed]";
  }
  toJSON(): string {
    return "[sealed]";
  }
  [inspect.custom](): string {
    return "[sealed]";
  }
}

type Entry = { placeholder: string; kind: string; sealed: SealedValue; expiresAt: number };
type UserRecord = { byDigest: Map<string, Entry>; byPlaceholder: Map<string, Entry>; counters: Map<string, number>; touchedAt: number };

// ---- placeholder tokens in text: "[" KIND "_" digits "]"

const isKindChar = (c: number) => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/** Placeholder tokens in `text`, left to right (hand-written scanner: linear, no regex). */
export function findPlaceholderTokens(text: string): { start: number; end: number; token: string; kind: string }[] {
  const out: { start: number; end: number; token: string; kind: string }[] = [];
  let i = text.indexOf("[");
  while (i !== -1) {
    let j = i + 1;
    const first = text.charCodeAt(j);
    if (first >= 65 && first <= 90) {
      while (j < text.length && j - i <= 48 && isKindChar(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 93) {
        const inner = text.slice(i + 1, j);
        const us = inner.lastIndexOf("_");
        if (us > 0 && us < inner.length - 1 && /^[0-9]{1,9}$/.test(inner.slice(us + 1))) {
          out.push({ start: i, end: j + 1, token: text.slice(i, j + 1), kind: inner.slice(0, us) });
          i = text.indexOf("[", j + 1);
          continue;
        }
      }
    }
    i = text.indexOf("[", i + 1);
  }
  return out;
}

function looksLikeJsonContainer(s: string): boolean {
  const t = s.trim();
  return t.length >= 2 && ((t[0] === "{" && t[t.length - 1] === "}") || (t[0] === "[" && t[t.length - 1] === "]"));
}

/**
 * Copy-on-write map over every string (values and keys) of a JSON value, descending into
 * JSON documents inside strings. Iterative; containers without a changed string are shared.
 */
export function mapJsonStrings<T>(value: T, fn: (s: string) => string | null, maxJsonDepth = 8): T {
  const visit = (root: unknown, jsonDepth: number): unknown => {
    const mapString = (s: string): string | null => {
      if (jsonDepth < maxJsonDepth && looksLikeJsonContainer(s)) {
        try {
          const parsed: unknown = JSON.parse(s);
          if (typeof parsed === "object" && parsed !== null) {
            const out = visit(parsed, jsonDepth + 1);
            return out === parsed ? null : stringifyJson(out, s.includes("\n") ? 2 : 0);
          }
        } catch {
          // not JSON after all: treat as text
        }
      }
      return fn(s);
    };
    if (typeof root === "string") return mapString(root) ?? root;
    if (typeof root !== "object" || root === null) return root;
    type Container = Record<string, unknown> | unknown[];
    type Task = { src: Container; keys: string[]; i: number; changes: Map<string, unknown>; renames: Map<string, string>; parent: Task | null; keyInParent: string };
    const mk = (src: Container, parent: Task | null, keyInParent: string): Task => ({ src, keys: Object.keys(src), i: 0, changes: new Map(), renames: new Map(), parent, keyInParent });
    let result: unknown = root;
    const onPath = new WeakSet<object>([root as object]);
    const stack: Task[] = [mk(root as Container, null, "")];
    while (stack.length > 0) {
      const t = stack[stack.length - 1]!;
      if (t.i < t.keys.length) {
        const k = t.keys[t.i++]!;
        if (!Array.isArray(t.src)) {
          const nk = fn(k);
          if (nk !== null && nk !== k) t.renames.set(k, nk);
        }
        const v = (t.src as Record<string, unknown>)[k];
        if (typeof v === "string") {
          const nv = mapString(v);
          if (nv !== null && nv !== v) t.changes.set(k, nv);
        } else if (typeof v === "object" && v !== null && !onPath.has(v)) {
          onPath.add(v);
          stack.push(mk(v as Container, t, k));
        }
        continue;
      }
      // post-order: this container is done, build it only if something inside changed
      stack.pop();
      onPath.delete(t.src);
      let out: Container = t.src;
      if (t.changes.size > 0 || t.renames.size > 0) {
        if (Array.isArray(t.src)) {
          const arr = t.src.slice();
          for (const [k, v] of t.changes) arr[Number(k)] = v;
          out = arr;
        } else {
          const obj: Record<string, unknown> = {};
          for (const k of t.keys) {
            const nk = t.renames.get(k) ?? k;
            if (!Object.prototype.hasOwnProperty.call(obj, nk)) setProp(obj, nk, t.changes.has(k) ? t.changes.get(k) : t.src[k]);
          }
          out = obj;
        }
      }
      if (t.parent) {
        if (out !== t.src) t.parent.changes.set(t.keyInParent, out);
      } else result = out;
    }
    return result;
  };
  return visit(value, 0) as T;
}

function setProp(target: Record<string, unknown> | unknown[], key: string, value: unknown): void {
  if (Array.isArray(target)) target[Number(key)] = value;
  else Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

export type InMemoryVaultOptions = {
  /** Retention window: a placeholder restores for this long after its value was last seen. */
  ttlMs: number;
  /** Entries kept per user; beyond it the oldest-expiring are dropped. Default 10 000. */
  maxEntriesPerUser?: number;
  now?: () => number;
};

/**
 * In-process vault with a TTL, for one replica (tests, single-node installs). Lookup keys are
 * HMACs under a per-process key, the layout a database-backed vault keeps: `(user_key,
 * lookup_digest) → (placeholder, ciphertext, expires_at)` and `(user_key, placeholder) → row`.
 */
export class InMemoryPlaceholderVault implements PlaceholderVault {
  private readonly users = new Map<string, UserRecord>();
  private readonly hmacKey = randomBytes(32);
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private ops = 0;

  constructor(opts: InMemoryVaultOptions) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntriesPerUser ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** HMAC of (user, kind, value): what a database row is looked up by. */
  lookupDigest(userKey: string, kind: string, value: string): string {
    return createHmac("sha256", this.hmacKey).update(`${userKey}\u0000${kind}\u0000${value}`).digest("base64url");
  }

  private user(userKey: string, create: boolean): UserRecord | null {
    let u = this.users.get(userKey);
    if (!u && create) {
      u = { byDigest: new Map(), byPlaceholder: new Map(), counters: new Map(), touchedAt: this.now() };
      this.users.set(userKey, u);
    }
    return u ?? null;
  }

  private sweep(): void {
    if (++this.ops % 1000 !== 0) return;
    const now = this.now();
    for (const [key, u] of this.users) {
      for (const [d, e] of u.byDigest) {
        if (e.expiresAt <= now) {
          u.byDigest.delete(d);
          u.byPlaceholder.delete(e.placeholder);
        }
      }
      // counters outlive the entries by a second window, so numbers are not reused soon
      if (u.byDigest.size === 0 && u.touchedAt + 2 * this.ttlMs <= now) this.users.delete(key);
    }
  }

  placeholderFor(userKey: string, kind: string, value: string): string {
    this.sweep();
    const now = this.now();
    const u = this.user(userKey, true)!;
    u.touchedAt = now;
    const digest = this.lookupDigest(userKey, kind, value);
    const known = u.byDigest.get(digest);
    if (known && known.expiresAt > now) {
      known.expiresAt = now + this.ttlMs;
      return known.placeholder;
    }
    if (known) u.byPlaceholder.delete(known.placeholder);
    const n = (u.counters.get(kind) ?? 0) + 1;
    u.counters.set(kind, n);
    const entry: Entry = { placeholder: `[${kind}_${n}]`, kind, sealed: new SealedValue(value), expiresAt: now + this.ttlMs };
    u.byDigest.set(digest, entry);
    u.byPlaceholder.set(entry.placeholder, entry);
    if (u.byDigest.size > this.maxEntries) this.evictOldest(u);
    return entry.placeholder;
  }

  private evictOldest(u: UserRecord): void {
    let oldest: [string, Entry] | null = null;
    for (const pair of u.byDigest) if (!oldest || pair[1].expiresAt < oldest[1].expiresAt) oldest = pair;
    if (oldest) {
      u.byDigest.delete(oldest[0]);
      u.byPlaceholder.delete(oldest[1].placeholder);
    }
  }

  placeholdersFor(userKey: string, entries: readonly { kind: string; value: string }[]): string[] {
    return entries.map((e) => this.placeholderFor(userKey, e.kind, e.value));
  }

  restore<T>(userKey: string, args: T, kinds?: ReadonlySet<string>): T {
    const u = this.user(userKey, false);
    if (!u) return args;
    const now = this.now();
    return mapJsonStrings(args, (s) => {
      const tokens = findPlaceholderTokens(s);
      if (tokens.length === 0) return null;
      let out = "";
      let pos = 0;
      let changed = false;
      for (const t of tokens) {
        if (kinds && !kinds.has(t.kind)) continue;
        const e = u.byPlaceholder.get(t.token);
        if (!e || e.expiresAt <= now) continue;
        out += s.slice(pos, t.start) + e.sealed.reveal();
        pos = t.end;
        changed = true;
      }
      return changed ? out + s.slice(pos) : null;
    });
  }
}

/**
 * Placeholder source for `scanAsync`: reversible kinds from the user's vault, the rest from a
 * per-scan (or per-session) numbering.
 */
export function vaultPlaceholderSource(
  vault: PlaceholderVault,
  userKey: string,
  kinds: ReadonlySet<string> = DEFAULT_REVERSIBLE_KINDS,
  fallback: PlaceholderAllocator = createPlaceholderNumbering(),
): AsyncPlaceholderSource {
  return {
    async placeholdersFor(entries) {
      const reversible = entries.filter((e) => kinds.has(e.kind));
      const fromVault = reversible.length > 0 ? await vault.placeholdersFor(userKey, reversible) : [];
      let k = 0;
      return entries.map((e) => (kinds.has(e.kind) ? fromVault[k++]! : fallback.placeholderFor(e.kind, e.value)));
    },
  };
}

/** Scan with reversible redaction for the kinds the pack enables. Never rejects. */
export function scanReversible<T>(
  value: T,
  policy: ScanPolicy,
  ctx: ScanContext,
  opts: { vault: PlaceholderVault; userKey: string; kinds?: ReadonlySet<string> },
): Promise<ScanResult<T>> {
  return scanAsync(value, policy, ctx, vaultPlaceholderSource(opts.vault, opts.userKey, opts.kinds, ctx.placeholders));
}
