import { createHmac, hkdfSync, randomBytes } from "node:crypto";

const KEY = Symbol.for("latchkey.fingerprintKey");
const g = globalThis as { [KEY]?: Buffer };

/** Set at boot from the installation's AUTH_SECRET, so fingerprints are stable across restarts and replicas. */
export function setFingerprintSecret(authSecret: string) {
  g[KEY] = Buffer.from(hkdfSync("sha256", authSecret, "", "latchkey-audit-fingerprint-v1", 32));
}

/**
 * How the audit log names a secret (an API key, a gateway token): an HMAC, under a key derived
 * from AUTH_SECRET, of the secret's stored SHA-256 hash — computable at creation and at
 * revocation alike. The row gives away no character of the secret, and unlike the stored hash
 * it cannot be matched against guesses by someone who only reads the audit log.
 */
export function secretFingerprint(storedHash: string): string {
  // Without a runtime (a unit test calling a service directly): a per-process key, still no leak.
  g[KEY] ??= randomBytes(32);
  return `hmac-sha256:${createHmac("sha256", g[KEY]).update(storedHash).digest("base64url").slice(0, 22)}`;
}
