import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "@/lib/crypto/password";

describe("password hashing (scrypt)", () => {
  it("verifies the right password, rejects a wrong one, and salts every hash", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(hash).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery staple", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", hash)).toBe(false);
    expect(await verifyPassword("Correct horse battery staple", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
    expect(await hashPassword("correct horse battery staple")).not.toBe(hash);
  });

  it("an unknown user (no stored hash) never verifies, whatever the password", async () => {
    expect(await verifyPassword("anything", null)).toBe(false);
    expect(await verifyPassword("", undefined)).toBe(false);
    // Not even the password that would match the dummy hash's all-zero key.
    expect(await verifyPassword("", null)).toBe(false);
  });

  it("a malformed stored hash is false, not an exception", async () => {
    expect(await verifyPassword("x", "plaintext-password")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$2b$10$abc")).toBe(false);
    expect(await verifyPassword("x", "scrypt$1$2$3")).toBe(false);
  });

  it("normalizes Unicode (NFKC), so the same password typed differently still verifies", async () => {
    const hash = await hashPassword("Caf\u00e9 \u00e0 la cr\u00e8me");
    expect(await verifyPassword("Cafe\u0301 a\u0300 la cre\u0300me", hash)).toBe(true);
  });
});
