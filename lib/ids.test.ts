import { describe, expect, it } from "vitest";
import { createId, hasPrefix } from "@/lib/ids";

describe("createId", () => {
  it("mints prefixed, time-sortable ids that do not repeat, across many refills of the random pool", () => {
    const seen = new Set<string>();
    let last = "";
    for (let i = 0; i < 50_000; i++) {
      const id = createId("toolCall");
      expect(hasPrefix(id, "toolCall")).toBe(true);
      expect(id.slice(0, id.indexOf("_") + 11) >= last.slice(0, last.indexOf("_") + 11)).toBe(true);
      last = id;
      seen.add(id);
    }
    expect(seen.size).toBe(50_000);
    // Every character of the random part is used: the pool is not stuck on a few values.
    const chars = new Set([...seen].flatMap((id) => [...id.slice(-12)]));
    expect(chars.size).toBe(36);
  });
});
