// Two replicas on one PostgreSQL share the webhook outbox: every event is delivered once (the
// lease, claimed with FOR UPDATE SKIP LOCKED, keeps a delivery from being in flight twice), and
// both replicas take part.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "@/lib/webhooks/verify";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, type TestServer } from "../helpers/server";

let a: TestServer;
let b: TestServer;
let receiver: http.Server;
const received: { headers: Record<string, string>; body: string }[] = [];

beforeAll(async () => {
  receiver = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    received.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body });
    // A slow receiver keeps deliveries in flight long enough for both replicas to claim.
    setTimeout(() => res.writeHead(200).end("ok"), 300);
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const port = (receiver.address() as AddressInfo).port;
  const env = { LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${port}`, LATCHKEY_LOG_LEVEL: "debug" };
  a = await startServer({ db: "postgres", env });
  b = await startServer({ db: "postgres", databaseUrl: a.databaseUrl!, env: a.env });
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  cleanupTempDirs();
});

describe("webhook outbox across two replicas [postgres]", () => {
  it("40 events created on both replicas: 40 deliveries, each sent exactly once, by both replicas", async () => {
    const key = await createApiKeyViaCli(a, "test", "hooks");
    const port = (receiver.address() as AddressInfo).port;
    const ep = await client(a.url).post("/api/v1/webhook-endpoints", { key: key.secret, json: { url: `http://127.0.0.1:${port}/hook`, events: ["registered_user.created"] } });
    expect(ep.status).toBe(201);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => client(i % 2 ? b.url : a.url).post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: `replica-user-${i}` } })),
    );
    const deadline = Date.now() + 30_000;
    let log: any[] = [];
    while (Date.now() < deadline) {
      log = (await client(a.url).get(`/api/v1/webhook-endpoints/${ep.body.id}/deliveries?limit=100`, { key: key.secret })).body.data;
      if (log.length === 40 && log.every((d) => d.status === "succeeded")) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(log.map((d) => [d.status, d.attempts])).toEqual(Array(40).fill(["succeeded", 1]));
    expect(received).toHaveLength(40);
    expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(40);
    for (const r of received) expect(verifyWebhook(ep.body.secret, r.headers, r.body).ok).toBe(true);
    const attemptsBy = (s: TestServer) => s.logs().split("\n").filter((l) => l.includes('"msg":"webhook delivery attempt"')).length;
    expect(attemptsBy(a) + attemptsBy(b)).toBe(40);
    expect(attemptsBy(a)).toBeGreaterThan(0);
    expect(attemptsBy(b)).toBeGreaterThan(0);
  });
});
