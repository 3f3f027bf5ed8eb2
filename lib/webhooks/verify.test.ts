import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signedHeaders } from "@/lib/webhooks/signing";
import { computeSignature, verifyWebhook } from "@/lib/webhooks/verify";

const body = JSON.stringify({ id: "evt_x", type: "connection.created", data: { id: "conn_1" } });

describe("webhook signing and verifyWebhook", () => {
  it("matches the Standard Webhooks reference vector (interoperability with their libraries)", () => {
    const sig = computeSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(`v1,${sig}`).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("secrets are whsec_ + base64 of 32 random bytes, each different", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("what we sign verifies, with a plain object or a Headers instance, and tells who sent it", () => {
    const secret = generateWebhookSecret();
    const h = signedHeaders([secret], "evt_abc", body);
    expect(h["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyWebhook(secret, h, body)).toEqual({ ok: true, id: "evt_abc", timestamp: Number(h["webhook-timestamp"]) });
    expect(verifyWebhook(secret, new Headers(h), Buffer.from(body)).ok).toBe(true);
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(secret, upper, body).ok).toBe(true);
  });

  it("refuses a changed body, id or timestamp, another secret, and a missing header", () => {
    const secret = generateWebhookSecret();
    const h = signedHeaders([secret], "evt_abc", body);
    expect(verifyWebhook(secret, h, body.replace("conn_1", "conn_2"))).toEqual({ ok: false, reason: "no_matching_signature" });
    expect(verifyWebhook(secret, { ...h, "webhook-id": "evt_abd" }, body).ok).toBe(false);
    expect(verifyWebhook(secret, { ...h, "webhook-timestamp": String(Number(h["webhook-timestamp"]) - 1) }, body).ok).toBe(false);
    expect(verifyWebhook(generateWebhookSecret(), h, body).ok).toBe(false);
    expect(verifyWebhook(secret, { "webhook-id": "evt_abc", "webhook-timestamp": h["webhook-timestamp"]! }, body)).toEqual({ ok: false, reason: "missing_headers" });
    expect(verifyWebhook(secret, { ...h, "webhook-signature": "v1," }, body).ok).toBe(false);
    expect(verifyWebhook(secret, { ...h, "webhook-signature": h["webhook-signature"]!.replace("v1,", "v2,") }, body).ok).toBe(false);
  });

  it("enforces the timestamp tolerance both ways (replays and clocks far ahead)", () => {
    const secret = generateWebhookSecret();
    const now = 1_800_000_000;
    const old = signedHeaders([secret], "evt_abc", body, now - 301);
    const ahead = signedHeaders([secret], "evt_abc", body, now + 301);
    expect(verifyWebhook(secret, old, body, 300, now)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(verifyWebhook(secret, ahead, body, 300, now)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(verifyWebhook(secret, old, body, 600, now).ok).toBe(true);
    expect(verifyWebhook(secret, { ...old, "webhook-timestamp": "12e3" }, body, 300, now)).toEqual({ ok: false, reason: "invalid_timestamp" });
  });

  it("during a rotation both secrets sign: a receiver holding either one verifies", () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const h = signedHeaders([newSecret, oldSecret], "evt_rot", body);
    expect(h["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifyWebhook(oldSecret, h, body).ok).toBe(true);
    expect(verifyWebhook(newSecret, h, body).ok).toBe(true);
    expect(verifyWebhook(generateWebhookSecret(), h, body).ok).toBe(false);
  });
});
