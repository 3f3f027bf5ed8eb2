import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * AES-256-GCM with key ids. Stored form: `v1:<kid>:<base64url(nonce | ciphertext | tag)>`.
 * The additional data binds a value to its organization, environment, table, row and field,
 * so a ciphertext copied anywhere else fails to decrypt.
 */
export type Keyring = { activeKid: string; keys: ReadonlyMap<string, Buffer> };
export type AadParts = { org: string; env: string; table: string; row: string; field: string };

export class KeyringError extends Error {
  override name = "KeyringError";
}

export type DecryptFailure = "malformed" | "unknown_key" | "auth_failed";
export class DecryptError extends Error {
  constructor(readonly reason: DecryptFailure, readonly kid?: string) {
    super(`Decryption failed (${reason})`);
    this.name = "DecryptError";
  }
}

const KID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** `kid:base64key,kid2:base64key` — the first key is the active one. */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  let activeKid: string | undefined;
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const idx = part.indexOf(":");
    if (idx < 1) throw new KeyringError("each key must be written kid:base64key");
    const kid = part.slice(0, idx);
    const key = Buffer.from(part.slice(idx + 1), "base64");
    // A kid over 32 characters is most likely the key itself (spec written the wrong way round): never echo it.
    if (!KID_RE.test(kid)) throw new KeyringError(`key id ${kid.length > 32 ? `(${kid.length} characters)` : `"${kid}"`} must match ${KID_RE}`);
    if (key.length !== 32) throw new KeyringError(`key "${kid}" must be base64 of exactly 32 bytes`);
    if (keys.has(kid)) throw new KeyringError(`key id "${kid}" appears twice`);
    keys.set(kid, key);
    activeKid ??= kid;
  }
  if (!activeKid) throw new KeyringError("no keys given");
  return { activeKid, keys };
}

export function formatKeyring(ring: Keyring): string {
  const order = [ring.activeKid, ...[...ring.keys.keys()].filter((k) => k !== ring.activeKid)];
  return order.map((kid) => `${kid}:${ring.keys.get(kid)!.toString("base64")}`).join(",");
}

export function generateKey(): { kid: string; key: Buffer } {
  const kid = `k${new Date().toISOString().slice(0, 10).replaceAll("-", "")}${randomBytes(3).toString("hex")}`;
  return { kid, key: randomBytes(32) };
}

/** Identifies a key without revealing it; lets boot detect a wrong key before any decrypt. */
export function keyFingerprint(key: Buffer): string {
  return createHmac("sha256", key).update("latchkey-key-fingerprint-v1").digest("hex");
}

function aadBytes(aad: AadParts): Buffer {
  // Length-prefixed so "a|b" + "c" can never equal "a" + "b|c".
  return Buffer.from(
    [aad.org, aad.env, aad.table, aad.row, aad.field].map((p) => `${p.length}:${p}`).join("|"),
    "utf8",
  );
}

export function encrypt(ring: Keyring, plaintext: string | Uint8Array, aad: AadParts): string {
  const key = ring.keys.get(ring.activeKid)!;
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aadBytes(aad));
  const input = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : Buffer.from(plaintext);
  const ct = Buffer.concat([cipher.update(input), cipher.final()]);
  const blob = Buffer.concat([nonce, ct, cipher.getAuthTag()]);
  return `${VERSION}:${ring.activeKid}:${blob.toString("base64url")}`;
}

export function ciphertextKid(value: string): string | null {
  const parts = value.split(":");
  return parts.length === 3 && parts[0] === VERSION && KID_RE.test(parts[1]!) ? parts[1]! : null;
}

export function decrypt(ring: Keyring, value: string, aad: AadParts): Buffer {
  const parts = value.split(":");
  if (parts.length !== 3 || parts[0] !== VERSION) throw new DecryptError("malformed");
  const kid = parts[1]!;
  const key = ring.keys.get(kid);
  if (!key) throw new DecryptError("unknown_key", KID_RE.test(kid) ? kid : undefined);
  if (!/^[A-Za-z0-9_-]+$/.test(parts[2]!)) throw new DecryptError("malformed", kid);
  const blob = Buffer.from(parts[2]!, "base64url");
  if (blob.length < NONCE_BYTES + TAG_BYTES) throw new DecryptError("malformed", kid);
  const nonce = blob.subarray(0, NONCE_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const ct = blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadBytes(aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw new DecryptError("auth_failed", kid);
  }
}

export function decryptString(ring: Keyring, value: string, aad: AadParts): string {
  return decrypt(ring, value, aad).toString("utf8");
}
