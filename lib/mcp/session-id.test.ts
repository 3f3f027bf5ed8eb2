import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mintSessionId, SESSION_TTL_MS, verifySessionId } from "@/lib/mcp/session-id";

const secret = randomBytes(32);
const binding = "env_1:instance:mcpi_1:tp_1:ru_1";

describe("session ids", () => {
  it("round-trip the negotiated version and issue time", () => {
    const now = Date.now();
    for (const v of ["2025-03-26", "2025-06-18", "2025-11-25"]) {
      const id = mintSessionId(secret, binding, v, now);
      expect(id).toMatch(/^[A-Za-z0-9_-]{72}$/);
      expect(verifySessionId(id, secret, binding, now)).toEqual({ protocolVersion: v, issuedAt: Math.floor(now / 1000) * 1000 });
    }
    expect(() => mintSessionId(secret, binding, "2026-07-28")).toThrow();
  });

  it("are refused under another binding or secret, after 24 h, and when minted in the future", () => {
    const now = Date.now();
    const id = mintSessionId(secret, binding, "2025-11-25", now);
    expect(verifySessionId(id, secret, `${binding}x`, now)).toBeNull();
    expect(verifySessionId(id, randomBytes(32), binding, now)).toBeNull();
    expect(verifySessionId(id, secret, binding, now + SESSION_TTL_MS)).toBeNull();
    expect(verifySessionId(id, secret, binding, now + SESSION_TTL_MS - 2000)).not.toBeNull();
    expect(verifySessionId(mintSessionId(secret, binding, "2025-11-25", now + 3_600_000), secret, binding, now)).toBeNull();
  });

  it("reject every single-character change and any string that is not exactly an id, without throwing", () => {
    const id = mintSessionId(secret, binding, "2025-11-25");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. ";
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 71 }), fc.constantFrom(...alphabet), (i, ch) => {
        fc.pre(id[i] !== ch);
        expect(verifySessionId(id.slice(0, i) + ch + id.slice(i + 1), secret, binding)).toBeNull();
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 100 }), (s) => {
        expect(verifySessionId(s, secret, binding)).toBeNull();
      }),
    );
  });
});
