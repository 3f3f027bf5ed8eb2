import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Fixed-width base62 so every token of a kind has the same length. */
export function base62(bytes: Uint8Array, width: number): string {
  let n = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let out = "";
  while (n > 0n) {
    out = B62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(width, "0");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/**
 * Constant-time string comparison. Both sides are hashed first so unequal lengths neither
 * throw (timingSafeEqual's RangeError) nor leak the length.
 */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

// ---- API keys: lk_live_ / lk_test_ + 256-bit random (43 base62) + CRC32 checksum (6 base62)

export type ApiKeyMode = "live" | "test";
const API_KEY_RE = /^lk_(live|test)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;
export const API_KEY_PATTERN = /\blk_(?:live|test)_[0-9A-Za-z]{49}\b/;

function checksum(body: string): string {
  const c = crc32(Buffer.from(body, "utf8")) >>> 0;
  return base62(Buffer.from(c.toString(16).padStart(8, "0"), "hex"), 6);
}

export type GeneratedApiKey = { secret: string; hash: string; displayPrefix: string; mode: ApiKeyMode };

export function generateApiKey(mode: ApiKeyMode): GeneratedApiKey {
  const body = base62(randomBytes(32), 43);
  const secret = `lk_${mode}_${body}${checksum(body)}`;
  return { secret, hash: apiKeyHash(body + checksum(body)), displayPrefix: secret.slice(0, 12), mode };
}

/** The hash covers the secret part only, so a key whose prefix was changed is still found and reported as an environment mismatch. */
function apiKeyHash(secretPart: string): string {
  return sha256Hex(`lk_api_key:${secretPart}`);
}

export type ParsedApiKey = { mode: ApiKeyMode; hash: string };

/** Shape and checksum only: a key that fails here never reaches the database. */
export function parseApiKey(raw: string): ParsedApiKey | null {
  if (raw.length > 100) return null;
  const m = API_KEY_RE.exec(raw);
  if (!m) return null;
  const [, mode, body, sum] = m as unknown as [string, ApiKeyMode, string, string];
  if (!safeEqual(checksum(body), sum)) return null;
  return { mode, hash: apiKeyHash(body + sum) };
}

// ---- Other bearer secrets of ours (invitations, later link/magic/instance tokens)

export type GeneratedToken = { token: string; hash: string };

export function generateToken(prefix: string): GeneratedToken {
  const token = `${prefix}_${base62(randomBytes(32), 43)}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return sha256Hex(`lk_token:${token}`);
}
