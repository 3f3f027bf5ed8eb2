import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "@/db/test-db";
import { createApiKey, revokeApiKey } from "@/lib/api-keys/service";
import { touchApiKey } from "@/db/queries/api-keys";
import { HotCache } from "@/lib/gateway/hot-cache";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";

const actor = { type: "system" as const, id: "test" };

describe("HotCache", () => {
  it("loads once, then answers from memory until the environment is invalidated", async () => {
    const cache = new HotCache();
    let loads = 0;
    const load = async () => ({ value: ++loads, env: "env_a" });
    expect(await cache.get("k", load)).toBe(1);
    expect(await cache.get("k", load)).toBe(1);
    cache.invalidateEnvironment("env_b");
    expect(await cache.get("k", load)).toBe(1);
    cache.onNotify("env_a");
    expect(await cache.get("k", load)).toBe(2);
    cache.onNotify("*");
    expect(await cache.get("k", load)).toBe(3);
  });

  it("does not store a load that an invalidation overtook (no stale row outlives a change)", async () => {
    const cache = new HotCache();
    let release!: () => void;
    const slow = cache.get("k", async () => {
      await new Promise<void>((r) => (release = r));
      return { value: "old", env: "env_a" };
    });
    await Promise.resolve();
    cache.invalidateEnvironment("env_a");
    release();
    expect(await slow).toBe("old");
    expect(await cache.get("k", async () => ({ value: "new", env: "env_a" }))).toBe("new");
  });

  it("shares one load among concurrent callers and never caches a miss", async () => {
    const cache = new HotCache();
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return null;
    };
    expect(await Promise.all([cache.get("k", load), cache.get("k", load)])).toEqual([null, null]);
    expect(loads).toBe(1);
    await cache.get("k", load);
    expect(loads).toBe(2);
  });

  it("prime stores what a load read besides its own key, unless an invalidation came in between", async () => {
    const cache = new HotCache();
    const since = cache.generationNow;
    cache.prime("p", "primed", "e", since);
    expect(await cache.get("p", async () => ({ value: "loaded", env: "e" }))).toBe("primed");
    const before = cache.generationNow;
    cache.invalidateEnvironment("e");
    cache.prime("q", "too late", "e", before);
    expect(await cache.get("q", async () => ({ value: "loaded", env: "e" }))).toBe("loaded");
  });

  it("expires entries after the TTL", async () => {
    let now = 0;
    const cache = new HotCache(() => now);
    let loads = 0;
    const load = async () => ({ value: ++loads, env: "e" });
    await cache.get("k", load, 1000);
    now = 999;
    expect(await cache.get("k", load, 1000)).toBe(1);
    now = 1000;
    // Past the TTL the old value answers at once while one refresh runs; then the new one.
    expect(await Promise.all([cache.get("k", load, 1000), cache.get("k", load, 1000)])).toEqual([1, 1]);
    await new Promise((r) => setTimeout(r, 0));
    expect(loads).toBe(2);
    expect(await cache.get("k", load, 1000)).toBe(2);
  });

  it("a refresh past the TTL that finds nothing (a revoked token whose notification was missed) drops the entry", async () => {
    let now = 0;
    const cache = new HotCache(() => now);
    let exists = true;
    const load = async () => (exists ? { value: "row", env: "e" } : null);
    expect(await cache.get("k", load, 1000)).toBe("row");
    exists = false;
    now = 1000;
    expect(await cache.get("k", load, 1000)).toBe("row");
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get("k", load, 1000)).toBeNull();
  });

  it("remembers sessions: an ended one stays ended even if a late check said live", () => {
    const cache = new HotCache();
    expect(cache.sessionState("h")).toBeUndefined();
    cache.sessionSeenLive("h");
    expect(cache.sessionState("h")).toBe("live");
    cache.onNotify("session:h");
    cache.sessionSeenLive("h");
    expect(cache.sessionState("h")).toBe("ended");
  });

  it("lets last-used bookkeeping through once a minute per key", () => {
    let now = 0;
    const cache = new HotCache(() => now);
    expect(cache.shouldTouch("a")).toBe(true);
    expect(cache.shouldTouch("a")).toBe(false);
    expect(cache.shouldTouch("b")).toBe(true);
    now = 60_000;
    expect(cache.shouldTouch("a")).toBe(true);
  });
});

describe("invalidation notifications (migration 0005)", () => {
  let handle: DbHandle;
  const seen: string[] = [];
  let env: { id: string; organizationId: string; kind: "production" | "test" };

  beforeAll(async () => {
    handle = await createTestDb();
    await handle.listen("latchkey_invalidate", (p) => seen.push(p), () => {});
    const ownerUserId = await createUser(handle.db, { email: "owner@example.com", actor });
    const org = await createOrganization(handle.db, { name: "Acme", ownerUserId, actor });
    env = org.environments.find((e) => e.kind === "test")!;
  });
  afterAll(() => handle?.close());

  const settle = () => new Promise((r) => setTimeout(r, 20));

  it("a revoked key notifies its environment; a last-used touch does not", async () => {
    const { key } = await createApiKey(handle.db, { environment: env, name: "k", actor });
    await settle();
    seen.length = 0;
    await touchApiKey(handle.db, env.id, key.id);
    await settle();
    expect(seen).toEqual([]);
    await revokeApiKey(handle.db, { environment: env, id: key.id, actor });
    await settle();
    expect(seen).toContain(env.id);
  });

  it("an ended MCP session notifies its hash", async () => {
    seen.length = 0;
    await handle.db.execute(sql`insert into mcp_terminated_sessions (session_hash) values ('abc123')`);
    await settle();
    expect(seen).toContain("session:abc123");
  });
});
