import { describe, expect, it } from "vitest";
import { hashToken } from "@/lib/crypto/tokens";
import { generateMagicToken, generateSessionToken, magicLinkUrl, magicTokenHash, sameHash, sessionTokenHash } from "@/lib/magic-links/token";

describe("magic-link tokens", () => {
  it("are lk_magic_ + 43 base62 characters (256 bits), stored as a SHA-256 hash that is not the token", () => {
    const a = generateMagicToken();
    const b = generateMagicToken();
    expect(a.token).toMatch(/^lk_magic_[0-9A-Za-z]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(hashToken(a.token));
    expect(a.hash).not.toContain(a.token.slice(9));
    expect(magicTokenHash(a.token)).toBe(a.hash);
  });

  it("session ids are their own kind (lk_mls_) and never pass as a magic token, nor the reverse", () => {
    const s = generateSessionToken();
    const m = generateMagicToken();
    expect(s.token).toMatch(/^lk_mls_[0-9A-Za-z]{43}$/);
    expect(sessionTokenHash(s.token)).toBe(s.hash);
    expect(magicTokenHash(s.token)).toBeNull();
    expect(sessionTokenHash(m.token)).toBeNull();
  });

  it("anything not shaped like a token is refused before any lookup (no hash, no database hit)", () => {
    const t = generateMagicToken().token;
    for (const bad of [undefined, null, 42, {}, "", "lk_magic_", `${t}x`, t.slice(0, -1), `lk_link_${t.slice(9)}`, `${t}\n`, " ".repeat(10_000), `lk_magic_${"é".repeat(43)}`]) {
      expect(magicTokenHash(bad)).toBeNull();
    }
  });

  it("C9-style compare: constant-time, and unequal lengths neither throw nor match", () => {
    const { hash } = generateMagicToken();
    expect(sameHash(hash, hash)).toBe(true);
    expect(sameHash(hash, hash.slice(0, -1))).toBe(false);
    expect(sameHash(hash, "")).toBe(false);
  });

  it("the URL carries the token in the fragment, which browsers never send to a server", () => {
    const { token } = generateMagicToken();
    const u = new URL(magicLinkUrl("https://latchkey.example.com/", token));
    expect(u.pathname).toBe("/m");
    expect(u.search).toBe("");
    expect(u.hash).toBe(`#token=${token}`);
  });
});
