import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Legacy-era session ids that verify themselves: 128 random bits, the issue time and the
 * negotiated protocol version, sealed with HMAC-SHA256 over those bytes and the endpoint's
 * binding. Any replica holding the secret checks an id without a lookup, and an id minted for
 * one (environment, principal, pack, user) is worthless under another (check T3). Only an
 * explicit DELETE needs memory, which the caller's McpSessionStore provides.
 *
 * Layout (54 bytes, base64url → 72 visible-ASCII characters, no padding):
 *   [0] format version · [1..16] random · [17..20] issued, Unix seconds (u32 BE) ·
 *   [21] protocol version index · [22..53] HMAC-SHA256(key, bytes 0..21 ‖ binding)
 */

export const SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** Ids dated this far ahead of our clock are still accepted (replicas' clocks drift). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

const FORMAT = 1;
const RANDOM_BYTES = 16;
const HEADER_BYTES = 1 + RANDOM_BYTES + 4 + 1;
const MAC_BYTES = 32;
const TOTAL_BYTES = HEADER_BYTES + MAC_BYTES;
const ENCODED_LENGTH = (TOTAL_BYTES / 3) * 4;

/** Index → version. Append only: the index is inside ids already handed out. */
const VERSIONS = ["2025-03-26", "2025-06-18", "2025-11-25"] as const;

export type SessionClaims = { protocolVersion: string; issuedAt: number };

function mac(secret: Uint8Array, header: Uint8Array, binding: string): Buffer {
  return createHmac("sha256", secret).update(header).update(binding, "utf8").digest();
}

/** Mints a session id for `binding`; `protocolVersion` must be one the legacy era serves. */
export function mintSessionId(secret: Uint8Array, binding: string, protocolVersion: string, now = Date.now()): string {
  const index = VERSIONS.indexOf(protocolVersion as (typeof VERSIONS)[number]);
  if (index < 0) throw new Error(`No session format for protocol version ${protocolVersion}`);
  const buf = Buffer.allocUnsafe(TOTAL_BYTES);
  buf[0] = FORMAT;
  randomBytes(RANDOM_BYTES).copy(buf, 1);
  buf.writeUInt32BE(Math.floor(now / 1000), 1 + RANDOM_BYTES);
  buf[HEADER_BYTES - 1] = index;
  mac(secret, buf.subarray(0, HEADER_BYTES), binding).copy(buf, HEADER_BYTES);
  return buf.toString("base64url");
}

function isBase64UrlChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

/**
 * The claims of a genuine, unexpired id minted for `binding`, else null. Never throws. The
 * alphabet is checked before decoding because Node's base64 decoder skips unknown characters,
 * which would let many strings decode to one id (and dodge a termination keyed by the string).
 */
export function verifySessionId(id: string, secret: Uint8Array, binding: string, now = Date.now()): SessionClaims | null {
  if (id.length !== ENCODED_LENGTH) return null;
  for (let i = 0; i < ENCODED_LENGTH; i++) if (!isBase64UrlChar(id.charCodeAt(i))) return null;
  const buf = Buffer.from(id, "base64url");
  if (buf.length !== TOTAL_BYTES || buf[0] !== FORMAT) return null;
  const expected = mac(secret, buf.subarray(0, HEADER_BYTES), binding);
  // Both are exactly MAC_BYTES long, so timingSafeEqual cannot throw on a length mismatch.
  if (!timingSafeEqual(expected, buf.subarray(HEADER_BYTES))) return null;
  const issuedAt = buf.readUInt32BE(1 + RANDOM_BYTES) * 1000;
  if (issuedAt + SESSION_TTL_MS <= now || issuedAt > now + CLOCK_SKEW_MS) return null;
  const protocolVersion = VERSIONS[buf[HEADER_BYTES - 1]!];
  if (protocolVersion === undefined) return null;
  return { protocolVersion, issuedAt };
}
