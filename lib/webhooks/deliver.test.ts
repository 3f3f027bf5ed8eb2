import http from "node:http";
import dns from "node:dns/promises";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkWebhookUrl, deliver, isPrivateAddress, parseAllowlist } from "@/lib/webhooks/deliver";

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };
const seen: Seen[] = [];
let server: http.Server;
let base = "";
let port = 0;

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    if (req.url === "/redirect") {
      res.writeHead(307, { location: "/ok" }).end();
    } else if (req.url === "/huge") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("x".repeat(2 * 1024 * 1024));
    } else if (req.url === "/binary") {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from([0x61, 0x00, 0x62]));
    } else if (req.url === "/busy") {
      res.writeHead(503, { "retry-after": "90" }).end("busy");
    } else {
      res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(() => new Promise<void>((r) => {
  server.close(() => r());
  server.closeAllConnections();
}));

const none = parseAllowlist(undefined);
const local = () => parseAllowlist(` example.org , 127.0.0.1:${port}`);

describe("outbound check of webhook URLs", () => {
  it("knows private, loopback, link-local, metadata, CGNAT and IPv4-mapped addresses", () => {
    for (const a of ["10.1.2.3", "127.0.0.1", "169.254.169.254", "172.20.0.1", "192.168.1.1", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "[::1]", "not-an-ip"]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"]) expect(isPrivateAddress(a), a).toBe(false);
  });

  it("https to a public host passes; plain http, private literals (however spelled), localhost and credentials in the URL do not", () => {
    expect(checkWebhookUrl("https://hooks.example.com/latchkey?t=1", none)).toMatchObject({ ok: true, allowlisted: false });
    expect(checkWebhookUrl("http://hooks.example.com/x", none)).toEqual({ ok: false, message: "must use https" });
    expect(checkWebhookUrl("ftp://hooks.example.com/x", none)).toEqual({ ok: false, message: "must use https" });
    expect(checkWebhookUrl("not a url", none)).toEqual({ ok: false, message: "must be an absolute URL" });
    for (const u of [
      "https://10.0.0.5/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://2130706433/x",
      "https://0x7f.1/x",
      "https://localhost/x",
      "https://api.localhost/x",
      "https://127.0.0.1:8443/x",
    ]) {
      expect(checkWebhookUrl(u, none), u).toEqual({ ok: false, message: "must not point to a private, loopback, link-local or metadata address" });
    }
    expect(checkWebhookUrl("https://user:pw@hooks.example.com/", none)).toMatchObject({ ok: false, message: expect.stringContaining("user name") });
  });

  it("LATCHKEY_OUTBOUND_ALLOWLIST lets the operator's hosts through (host, or host:port), http included", () => {
    expect(checkWebhookUrl(`${base}/hook`, local())).toMatchObject({ ok: true, allowlisted: true });
    expect(checkWebhookUrl(`http://127.0.0.1:${port + 1}/hook`, local())).toMatchObject({ ok: false });
    expect(checkWebhookUrl("http://EXAMPLE.org:8080/x", local())).toMatchObject({ ok: true, allowlisted: true });
  });
});

describe("deliver", () => {
  it("POSTs the body with our headers and reports the status, duration and a snippet", async () => {
    const r = await deliver(`${base}/ok`, '{"a":1}', { "webhook-id": "evt_1" }, { policy: local() });
    expect(r).toMatchObject({ statusCode: 200, responseSnippet: '{"received":true}', error: null });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    const req = seen.at(-1)!;
    expect(req).toMatchObject({ method: "POST", url: "/ok", body: '{"a":1}' });
    expect(req.headers).toMatchObject({ "content-type": "application/json", "webhook-id": "evt_1", "user-agent": "Latchkey-Webhooks/1" });
  });

  it("does not follow redirects, caps what it reads of a huge answer, and reads Retry-After", async () => {
    const before = seen.length;
    expect((await deliver(`${base}/redirect`, "{}", {}, { policy: local() })).statusCode).toBe(307);
    expect(seen.slice(before).map((s) => s.url)).toEqual(["/redirect"]);
    const huge = await deliver(`${base}/huge`, "{}", {}, { policy: local() });
    expect(huge.statusCode).toBe(200);
    expect(huge.responseSnippet).toHaveLength(500);
    expect((await deliver(`${base}/busy`, "{}", {}, { policy: local() })).retryAfterSec).toBe(90);
    expect((await deliver(`${base}/binary`, "{}", {}, { policy: local() })).responseSnippet).toBe("a\uFFFDb");
  });

  it("refuses a loopback URL that is not allowlisted without connecting, and a host whose DNS answer is private", async () => {
    const before = seen.length;
    const r = await deliver(`${base}/ok`, "{}", {}, { policy: none });
    expect(r).toMatchObject({ statusCode: null, error: "refused: the URL must use https" });
    const https = await deliver(`https://127.0.0.1:${port}/ok`, "{}", {}, { policy: none });
    expect(https.error).toMatch(/^refused: .*private/);
    // A name (not a literal) that resolves to a private address: refused at connect time, by the pinned lookup.
    const name = os.hostname();
    const addrs = await dns.lookup(name, { all: true }).catch(() => []);
    if (addrs.length && addrs.every((a) => isPrivateAddress(a.address)) && name !== "localhost") {
      const viaDns = await deliver(`https://${name}:${port}/ok`, "{}", {}, { policy: none });
      expect(viaDns).toMatchObject({ statusCode: null, error: "refused: the host resolves to a private address" });
    }
    expect(seen.length).toBe(before);
  });

  it("an unreachable receiver is an error, not a throw", async () => {
    const r = await deliver(`http://127.0.0.1:${port}/ok`.replace(String(port), "1"), "{}", {}, { policy: parseAllowlist("127.0.0.1") });
    expect(r).toMatchObject({ statusCode: null, error: "connection refused" });
  });
});
