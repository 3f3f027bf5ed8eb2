import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE, parseEnv } from "@/lib/env";
import { MAX_RETRY_DELAY_SEC, nextRetryDelaySec, parseRetryAfter } from "@/lib/webhooks/schedule";

describe("webhook retry schedule", () => {
  it("the default: 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h, then failed, about 22 h after the first attempt", () => {
    const mid = () => 0.5;
    const delays = Array.from({ length: 9 }, (_, i) => nextRetryDelaySec(i + 1, DEFAULT_WEBHOOK_RETRY_SCHEDULE, { random: mid }));
    expect(delays).toEqual([30, 120, 600, 3600, 10800, 21600, 43200, null, null]);
    const total = delays.reduce<number>((s, d) => s + (d ?? 0), 0);
    expect(total / 3600).toBeGreaterThan(20);
    expect(total / 3600).toBeLessThan(24);
    expect(nextRetryDelaySec(0, DEFAULT_WEBHOOK_RETRY_SCHEDULE)).toBeNull();
  });

  it("jitter stays within ±20 % and actually varies", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = nextRetryDelaySec(2, [100, 100])!;
      expect(d).toBeGreaterThanOrEqual(80);
      expect(d).toBeLessThanOrEqual(120);
      seen.add(Math.round(d));
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(nextRetryDelaySec(1, [100], { random: () => 0 })).toBe(80);
    expect(nextRetryDelaySec(1, [100], { random: () => 1 })).toBe(120);
  });

  it("a receiver's Retry-After wins when longer, capped at 24 h", () => {
    expect(nextRetryDelaySec(1, [30], { retryAfterSec: 600, random: () => 0.5 })).toBe(600);
    expect(nextRetryDelaySec(1, [30], { retryAfterSec: 5, random: () => 0.5 })).toBe(30);
    expect(nextRetryDelaySec(1, [30], { retryAfterSec: 10 ** 7, random: () => 0.5 })).toBe(MAX_RETRY_DELAY_SEC);
    expect(parseRetryAfter("120")).toBe(120);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });

  it("LATCHKEY_WEBHOOK_RETRY_SCHEDULE sets it in seconds (fractions allowed); nonsense stops the boot", () => {
    expect(parseEnv({}).LATCHKEY_WEBHOOK_RETRY_SCHEDULE).toEqual(DEFAULT_WEBHOOK_RETRY_SCHEDULE);
    expect(parseEnv({ LATCHKEY_WEBHOOK_RETRY_SCHEDULE: "0.2, 0.5,1" }).LATCHKEY_WEBHOOK_RETRY_SCHEDULE).toEqual([0.2, 0.5, 1]);
    for (const bad of ["-1", "a,b", "1,,2", "999999999"]) {
      expect(() => parseEnv({ LATCHKEY_WEBHOOK_RETRY_SCHEDULE: bad }), bad).toThrow(/LATCHKEY_WEBHOOK_RETRY_SCHEDULE/);
    }
  });
});
