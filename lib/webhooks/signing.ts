import { randomBytes } from "node:crypto";
import { computeSignature } from "@/lib/webhooks/verify";

/** Standard Webhooks format: `whsec_` + base64 of 32 random bytes (the HMAC key). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The signed headers of one attempt. Several secrets (a rotation's overlap) give several signatures, space-separated. */
export function signedHeaders(secrets: string[], id: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": secrets.map((s) => `v1,${computeSignature(s, id, timestamp, body)}`).join(" "),
  };
}
