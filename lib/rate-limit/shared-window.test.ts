import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "@/db/test-db";
import { SharedRateLimiter } from "@/lib/rate-limit/shared-window";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(() => handle?.close());

const T0 = 1_800_000_000_000; // a window boundary for 60-second windows

describe("SharedRateLimiter", () => {
  it("on one replica, admits exactly the limit per window without waiting for the database", async () => {
    const rl = new SharedRateLimiter(() => handle.db);
    const results = Array.from({ length: 25 }, () => rl.hit("b1", 20, 60, T0 + 1000));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    expect(results.slice(20).every((r) => !r.allowed && r.retryAfter === 59)).toBe(true);
    // A new window starts from zero.
    expect(rl.hit("b1", 20, 60, T0 + 60_000).allowed).toBe(true);
    await rl.stop();
  });

  it("two replicas share the count through the database", async () => {
    const a = new SharedRateLimiter(() => handle.db);
    const b = new SharedRateLimiter(() => handle.db);
    const now = Date.now();
    for (let i = 0; i < 15; i++) expect(a.hit("shared", 20, 3600, now).allowed).toBe(true);
    await a.sync();
    // b learns a's 15 on its first sync; before that it may admit, after it admits only what is left.
    b.hit("shared", 20, 3600, now);
    await b.sync();
    const more = Array.from({ length: 10 }, () => b.hit("shared", 20, 3600, now).allowed);
    expect(more.filter(Boolean)).toHaveLength(4);
    await a.sync();
    expect(a.hit("shared", 20, 3600, now).allowed).toBe(true); // a has not heard of b's yet…
    await b.sync();
    await a.sync();
    expect(a.hit("shared", 20, 3600, now).allowed).toBe(false); // …now it has
    await Promise.all([a.stop(), b.stop()]);
  });

  it("counts what is on its way to the database while a sync is in flight", async () => {
    const rl = new SharedRateLimiter(() => handle.db);
    const now = Date.now();
    for (let i = 0; i < 10; i++) rl.hit("inflight", 20, 3600, now);
    const syncing = rl.sync();
    const admitted = Array.from({ length: 15 }, () => rl.hit("inflight", 20, 3600, now).allowed).filter(Boolean).length;
    await syncing;
    expect(admitted).toBe(10);
    expect(rl.hit("inflight", 20, 3600, now).allowed).toBe(false);
    await rl.stop();
  });

  it("keeps counting when the database is unreachable and pushes the count later", async () => {
    let broken = true;
    const rl = new SharedRateLimiter(() => {
      if (broken) throw new Error("connection refused");
      return handle.db;
    });
    const now = Date.now();
    for (let i = 0; i < 3; i++) rl.hit("offline", 10, 3600, now);
    await rl.sync();
    broken = false;
    await rl.sync();
    const other = new SharedRateLimiter(() => handle.db);
    other.hit("offline", 10, 3600, now);
    await other.sync();
    const admitted = Array.from({ length: 10 }, () => other.hit("offline", 10, 3600, now).allowed).filter(Boolean).length;
    expect(admitted).toBe(6);
    await Promise.all([rl.stop(), other.stop()]);
  });
});
