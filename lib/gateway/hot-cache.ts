/**
 * What the MCP hot path reads, kept in process (DESIGN §8): token → principal, pack, user,
 * connection, connector settings. Every entry belongs to an environment; any change in that
 * environment (a database trigger notifies 'latchkey_invalidate', see migration 0005) drops all
 * of the environment's entries on every replica. The TTL is only a backstop.
 *
 * A load that was running when an invalidation arrived is not stored, so a stale row read just
 * before a change can never outlive the change.
 */
import { outsideQueryScope } from "@/lib/metrics/registry";

type Entry = { value: unknown; env: string; expires: number };

export const CACHE_TTL_MS = 60_000;
const MAX_ENTRIES = 200_000;
const MAX_SESSIONS = 200_000;
const TOUCH_EVERY_MS = 60_000;

export type Loaded<T> = { value: T; env: string } | null;

export class HotCache {
  private entries = new Map<string, Entry>();
  private byEnv = new Map<string, Set<string>>();
  private loading = new Map<string, Promise<unknown>>();
  /** Bumped by every invalidation: a load started under an older generation is not stored. */
  private generation = 0;
  private liveSessions = new Set<string>();
  private endedSessions = new Set<string>();
  private touched = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The cached value for `key`, else `load()`'s. A null load (unknown token, say) is not
   * cached: it proves nothing lasting and caching it would let a flood of junk evict real
   * entries.
   */
  async get<T>(key: string, load: () => Promise<Loaded<T>>, ttlMs = CACHE_TTL_MS): Promise<T | null> {
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expires > this.now()) return hit.value as T;
      // Past the TTL, which is only a backstop (a change invalidates at once): the entry keeps
      // serving while one refresh runs outside the request, so a warm call never waits for the
      // database and its queries belong to no call. A refresh that finds nothing drops the entry.
      if (!this.loading.has(key)) outsideQueryScope(() => void this.load(key, load, ttlMs).catch(() => {}));
      return hit.value as T;
    }
    return this.load(key, load, ttlMs);
  }

  private async load<T>(key: string, load: () => Promise<Loaded<T>>, ttlMs: number): Promise<T | null> {
    const running = this.loading.get(key);
    if (running) return (await running) as T | null;
    const gen = this.generation;
    const p = (async () => {
      const loaded = await load();
      if (!loaded) {
        if (gen === this.generation) this.drop(key);
        return null;
      }
      if (gen === this.generation) this.store(key, loaded.value, loaded.env, ttlMs);
      return loaded.value;
    })();
    this.loading.set(key, p);
    try {
      return await p;
    } finally {
      this.loading.delete(key);
    }
  }

  /** Where invalidations stand: pass it to `prime` from a load that started now. */
  get generationNow(): number {
    return this.generation;
  }

  /**
   * Stores what a load read besides its own key (entries the next steps of the call will ask
   * for), unless an invalidation arrived since `since`: the same rule as for `get`'s loads.
   */
  prime(key: string, value: unknown, env: string, since: number, ttlMs = CACHE_TTL_MS) {
    if (since === this.generation) this.store(key, value, env, ttlMs);
  }

  private store(key: string, value: unknown, env: string, ttlMs: number) {
    if (this.entries.size >= MAX_ENTRIES) this.evictOldest(Math.ceil(MAX_ENTRIES / 10));
    this.entries.delete(key);
    this.entries.set(key, { value, env, expires: this.now() + ttlMs });
    let keys = this.byEnv.get(env);
    if (!keys) this.byEnv.set(env, (keys = new Set()));
    keys.add(key);
  }

  private drop(key: string) {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.byEnv.get(e.env)?.delete(key);
  }

  private evictOldest(n: number) {
    for (const [key, e] of this.entries) {
      if (n-- <= 0) break;
      this.entries.delete(key);
      this.byEnv.get(e.env)?.delete(key);
    }
  }

  /** Drops an environment's entries. `'*'` (or an unknown scope) drops everything. */
  invalidateEnvironment(env: string) {
    this.generation++;
    if (env === "*") return this.clear();
    const keys = this.byEnv.get(env);
    if (!keys) return;
    for (const k of keys) this.entries.delete(k);
    this.byEnv.delete(env);
  }

  /** A 'latchkey_invalidate' payload: an environment id, `*`, or `session:<sha256>`. */
  onNotify(payload: string) {
    if (payload.startsWith("session:")) return this.sessionEnded(payload.slice(8));
    this.invalidateEnvironment(payload);
  }

  /** Forget everything: after the listening connection was lost, any change may have been missed. */
  clear() {
    this.generation++;
    this.entries.clear();
    this.byEnv.clear();
    this.liveSessions.clear();
  }

  get size() {
    return this.entries.size;
  }

  // ---------------------------------------------------------------- MCP sessions

  /** Whether the session (by hash) is known to have ended; undefined when unknown here. */
  sessionState(hash: string): "live" | "ended" | undefined {
    if (this.endedSessions.has(hash)) return "ended";
    if (this.liveSessions.has(hash)) return "live";
    return undefined;
  }

  sessionSeenLive(hash: string) {
    if (this.liveSessions.size >= MAX_SESSIONS) this.liveSessions.clear();
    this.liveSessions.add(hash);
  }

  sessionEnded(hash: string) {
    this.liveSessions.delete(hash);
    if (this.endedSessions.size >= MAX_SESSIONS) this.endedSessions.clear();
    this.endedSessions.add(hash);
  }

  // ---------------------------------------------------------------- last-used bookkeeping

  /** True at most once a minute per key: "last used" columns need no finer grain than that. */
  shouldTouch(key: string): boolean {
    const now = this.now();
    const last = this.touched.get(key);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return false;
    if (this.touched.size >= MAX_ENTRIES) this.touched.clear();
    this.touched.set(key, now);
    return true;
  }
}
