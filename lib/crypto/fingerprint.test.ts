import { describe, expect, it } from "vitest";
import { secretFingerprint, setFingerprintSecret } from "@/lib/crypto/fingerprint";

describe("secretFingerprint", () => {
  it("is stable for one installation secret, differs across secrets and installations, so the audit log can name a key without holding any part of it", () => {
    setFingerprintSecret("a".repeat(40));
    const key = "0f".repeat(32);
    const fp = secretFingerprint(key);
    expect(fp).toMatch(/^hmac-sha256:[A-Za-z0-9_-]{22}$/);
    expect(secretFingerprint(key)).toBe(fp);
    expect(secretFingerprint(`${key}2`)).not.toBe(fp);
    setFingerprintSecret("b".repeat(40));
    expect(secretFingerprint(key)).not.toBe(fp);
  });
});
