import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_PATTERN,
  base62,
  generateApiKey,
  generateToken,
  hashToken,
  parseApiKey,
  safeEqual,
} from "@/lib/crypto/tokens";

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const live = generateApiKey("live");
const test = generateApiKey("test");

/** Replaces the character at `pos` with another base62 character. */
function mutate(secret: string, pos: number, pick: number): string {
  const others = B62.replace(secret[pos]!, "");
  return secret.slice(0, pos) + others[pick % others.length] + secret.slice(pos + 1);
}

describe("C9 parseApiKey accepts only well-formed keys with a valid checksum", () => {
  it("accepts generated keys of both modes, with the right mode and a stable hash", () => {
    for (const mode of ["live", "test"] as const) {
      for (let i = 0; i < 200; i++) {
        const k = generateApiKey(mode);
        expect(k.secret).toMatch(new RegExp(`^lk_${mode}_[0-9A-Za-z]{49}$`));
        expect(k.secret).toHaveLength(57);
        expect(k.displayPrefix).toBe(k.secret.slice(0, 12));
        const parsed = parseApiKey(k.secret);
        expect(parsed).toEqual({ mode, hash: k.hash });
      }
    }
  });

  it("the hash covers the secret part only (a swapped prefix is found, then reported as a mismatch)", () => {
    const swapped = `lk_live_${test.secret.slice("lk_test_".length)}`;
    expect(parseApiKey(swapped)).toEqual({ mode: "live", hash: test.hash });
  });

  it("the hash is not the secret and does not contain it", () => {
    expect(test.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(test.hash).not.toContain(test.secret.slice(8));
  });

  it.each([
    ["empty", ""],
    ["one character short", test.secret.slice(0, -1)],
    ["one character long", `${test.secret}A`],
    ["body cut in the middle", test.secret.slice(0, 30)],
    ["prefix lk_prod_", `lk_prod_${test.secret.slice(8)}`],
    ["prefix sk_test_", `sk_test_${test.secret.slice(8)}`],
    ["prefix LK_TEST_", `LK_TEST_${test.secret.slice(8)}`],
    ["no prefix", test.secret.slice(8)],
    ["a dash in the body", `${test.secret.slice(0, 20)}-${test.secret.slice(21)}`],
    ["an underscore in the body", `${test.secret.slice(0, 20)}_${test.secret.slice(21)}`],
    ["a plus in the checksum", `${test.secret.slice(0, -1)}+`],
    ["a non-ASCII letter", `${test.secret.slice(0, 20)}é${test.secret.slice(21)}`],
    ["surrounding whitespace", ` ${test.secret} `],
    ["a trailing newline", `${test.secret}\n`],
    ["over 100 characters", `${test.secret}${"A".repeat(50)}`],
    ["a very long string", "lk_test_".padEnd(100_000, "A")],
  ])("rejects %s", (_name, raw) => {
    expect(parseApiKey(raw)).toBeNull();
  });

  it("rejects a key with any one character of the body or checksum changed (fast-check)", () => {
    fc.assert(
      fc.property(fc.constantFrom(live.secret, test.secret), fc.integer({ min: 8, max: 56 }), fc.nat(), (secret, pos, pick) => {
        expect(parseApiKey(mutate(secret, pos, pick))).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects every single-character change of the body or checksum (exhaustive, one key)", () => {
    for (let pos = 8; pos < test.secret.length; pos++) {
      for (let pick = 0; pick < 61; pick++) expect(parseApiKey(mutate(test.secret, pos, pick))).toBeNull();
    }
  });

  it("random strings of key shape almost never parse (checksum rejects ~all guesses)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom("live", "test"), fc.string({ unit: fc.constantFrom(...B62), minLength: 49, maxLength: 49 }), (mode, body) => {
        if (parseApiKey(`lk_${mode}_${body}`)) accepted++;
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBe(0);
  });
});

describe("C9 safeEqual", () => {
  it("compares equal and unequal strings, including different lengths, without throwing", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(() => safeEqual("short", "a much longer string")).not.toThrow();
    expect(safeEqual("short", "a much longer string")).toBe(false);
    expect(safeEqual("", "x")).toBe(false);
    expect(safeEqual("", "")).toBe(true);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(safeEqual(a, b)).toBe(a === b);
      }),
    );
  });
});

describe("K3 API_KEY_PATTERN detects generated keys of both modes", () => {
  it("matches generated keys of both modes inside text", () => {
    for (let i = 0; i < 100; i++) {
      for (const mode of ["live", "test"] as const) {
        const { secret } = generateApiKey(mode);
        expect(API_KEY_PATTERN.test(secret)).toBe(true);
        expect(`Authorization: Bearer ${secret}`.match(API_KEY_PATTERN)?.[0]).toBe(secret);
        expect(`{"key":"${secret}"}`.match(API_KEY_PATTERN)?.[0]).toBe(secret);
      }
    }
  });

  it("does not match shorter look-alikes", () => {
    expect(API_KEY_PATTERN.test("lk_live_abc")).toBe(false);
    expect(API_KEY_PATTERN.test(`lk_prod_${live.secret.slice(8)}`)).toBe(false);
  });
});

describe("tokens", () => {
  it("base62 is fixed width and injective on distinct inputs", () => {
    expect(base62(new Uint8Array(0), 5)).toBe("00000");
    expect(base62(Uint8Array.from([61]), 2)).toBe("0z");
    expect(base62(Uint8Array.from([62]), 2)).toBe("10");
    // 43 base62 characters hold any 256-bit value, so no key body is ever longer than the key format allows.
    expect(base62(Buffer.alloc(32, 0xff), 43)).toHaveLength(43);
    expect(base62(Buffer.alloc(4, 0xff), 6)).toHaveLength(6);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
        expect(base62(a, 43)).toHaveLength(43);
        expect(base62(a, 43)).not.toBe(base62(b, 43));
      }),
    );
  });

  it("generateToken returns a prefixed token and a hash that hashToken reproduces", () => {
    const t = generateToken("lk_inv");
    expect(t.token).toMatch(/^lk_inv_[0-9A-Za-z]{43}$/);
    expect(hashToken(t.token)).toBe(t.hash);
    expect(generateToken("lk_inv").token).not.toBe(t.token);
  });
});
