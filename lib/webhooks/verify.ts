import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verifies a Latchkey webhook (Standard Webhooks scheme) on the receiving side. Depends on
 * node:crypto only, so a receiver can copy this file as is.
 *
 *   webhook-id:        evt_…  (the same on every retry of one event: use it to deduplicate)
 *   webhook-timestamp: unix seconds of this attempt
 *   webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"> [v1,<…> …]
 *
 * The key is the base64 part of the `whsec_…` secret, decoded. During a secret rotation the
 * header carries one signature per live secret; any one matching is enough. Pass the raw body
 * exactly as received: JSON parsed and re-serialized no longer matches.
 */
export type VerifyResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: "missing_headers" | "invalid_secret" | "invalid_timestamp" | "timestamp_out_of_tolerance" | "no_matching_signature" };

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(" ") : v;
  }
  return undefined;
}

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

export function computeSignature(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac("sha256", secretKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return mac.digest("base64");
}

export function verifyWebhook(secret: string, headers: HeaderBag, body: string | Buffer, toleranceSec = 300, nowSec = Math.floor(Date.now() / 1000)): VerifyResult {
  const id = header(headers, "webhook-id");
  const ts = header(headers, "webhook-timestamp");
  const sigs = header(headers, "webhook-signature");
  if (!id || !ts || !sigs) return { ok: false, reason: "missing_headers" };
  if (secretKey(secret).length === 0) return { ok: false, reason: "invalid_secret" };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: "invalid_timestamp" };
  const timestamp = Number(ts);
  // Both ways: a timestamp far in the future is as suspicious as an old one.
  if (Math.abs(nowSec - timestamp) > toleranceSec) return { ok: false, reason: "timestamp_out_of_tolerance" };
  const expected = Buffer.from(computeSignature(secret, id, timestamp, body), "base64");
  let matched = false;
  for (const part of sigs.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value, "base64");
    // Every candidate is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true, id, timestamp } : { ok: false, reason: "no_matching_signature" };
}
