import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "@/db/test-db";
import { hitRateLimit, refundRateLimit } from "@/lib/rate-limit/fixed-window";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(async () => {
  await handle?.close();
});

// A fixed instant 15.5 s into a 60 s window.
const WINDOW_START = 1_700_000_040_000; // multiple of 60 000
const NOW = WINDOW_START + 15_500;

describe("hitRateLimit (fixed window)", () => {
  it("allows exactly `limit` hits in a window, then denies with retryAfter until the window ends", async () => {
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await hitRateLimit(handle.db, "api:env_a:key_a", 5, 60, NOW + i));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(results.every((r) => r.limit === 5)).toBe(true);
    expect(results[5]!.retryAfter).toBe(45); // ceil(44.5 s) left in the window
    expect(results[5]!.retryAfter).toBeGreaterThan(0);
  });

  it("buckets are independent", async () => {
    const other = await hitRateLimit(handle.db, "api:env_a:key_b", 5, 60, NOW);
    expect(other).toMatchObject({ allowed: true, remaining: 4 });
    const stillDenied = await hitRateLimit(handle.db, "api:env_a:key_a", 5, 60, NOW + 100);
    expect(stillDenied.allowed).toBe(false);
  });

  it("the next window starts a fresh count", async () => {
    const next = await hitRateLimit(handle.db, "api:env_a:key_a", 5, 60, WINDOW_START + 60_000);
    expect(next).toMatchObject({ allowed: true, remaining: 4, retryAfter: 60 });
  });

  it("concurrent hits are all counted (no lost updates)", async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => hitRateLimit(handle.db, "api:env_c:key_c", 10, 60, NOW)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed)).toHaveLength(20);
  });

  it("a refunded hit does not count: successes refunded never exhaust a failures-only budget", async () => {
    for (let i = 0; i < 20; i++) {
      expect((await hitRateLimit(handle.db, "login:a@example.test", 3, 60, NOW)).allowed).toBe(true);
      await refundRateLimit(handle.db, "login:a@example.test", 60, NOW);
    }
    const failures = [];
    for (let i = 0; i < 4; i++) failures.push((await hitRateLimit(handle.db, "login:a@example.test", 3, 60, NOW)).allowed);
    expect(failures).toEqual([true, true, true, false]);
  });
});
