// SECURITY-CHECKS D (S1–S5): the SSRF corpus against every fetch path that takes a URL someone
// supplied: the outbound guard itself, MCP server discovery, DCR registration, the upstream
// token endpoint, upstream MCP calls (pinned keep-alive dispatcher), webhook delivery and the
// IdP's JWKS. The corpus runs inside an empty network namespace (`unshare -rn`, only `lo` up),
// where anything but loopback fails with ENETUNREACH, and every connection attempt the process
// makes is recorded (net.Socket 'connectionAttempt'): the pass condition is zero attempts to a
// blocked address other than the allowlisted fixture, and zero hits on the 127.0.0.1 canary.
// Where `unshare` is not available (some CI runners), the same corpus runs in-process with the
// same spy, and the test says so.
import { spawn, spawnSync } from "node:child_process";
import dns from "node:dns";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { McpServer } from "@/db/schema";
import { createIdpVerifier } from "@/lib/gateway-tokens/idp";
import { sharedCredentials } from "@/lib/mcp-servers/credentials";
import { discoverMcpServer } from "@/lib/mcp-servers/discovery";
import { registerClient } from "@/lib/mcp-servers/registration";
import { UpstreamClient } from "@/lib/mcp-servers/upstream";
import { checkOutboundUrl, createOutboundFetch, isBlockedAddress, OutboundError, pinnedDispatcher, type Resolver } from "@/lib/net/outbound-guard";
import { deliver, parseAllowlist } from "@/lib/webhooks/deliver";

const IN_NETNS = process.env.LATCHKEY_SSRF_IN_NETNS === "1";
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SELF = path.relative(ROOT, import.meta.filename);

function unshareWorks(): boolean {
  if (process.platform !== "linux") return false;
  const r = spawnSync("unshare", ["-rn", "sh", "-c", "ip link set lo up"], { stdio: "ignore", timeout: 10_000 });
  return r.status === 0;
}

const useNetns = !IN_NETNS && unshareWorks();

if (useNetns) {
  describe("SSRF corpus S1–S5 inside an empty network namespace", () => {
    it("passes under `unshare -rn` with only lo up", async () => {
      const vitest = path.join(ROOT, "node_modules", "vitest", "vitest.mjs");
      const child = spawn("unshare", ["-rn", "sh", "-c", `ip link set lo up && exec "${process.execPath}" "${vitest}" run --project unit "${SELF}"`], {
        cwd: ROOT,
        env: { ...process.env, LATCHKEY_SSRF_IN_NETNS: "1", CI: "", FORCE_COLOR: "0", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => child.on("close", r));
      expect(code, out.slice(-8000)).toBe(0);
      // The inner run really ran the corpus (a file that skipped everything would also exit 0).
      expect(out).toMatch(/Tests\s+\d+ passed/);
      expect(out).not.toMatch(/skipped/);
      expect(out).toContain("ssrf-netns: only lo");
    }, 240_000);
  });
} else {
  if (!IN_NETNS) console.warn("ssrf-corpus: `unshare -rn` is not available here, so the corpus runs in-process (same connection spy, real network namespace not used)");
  corpus();
}

function corpus() {
  const BODY_MARKER = "BODYMARKER-7f3a9c";
  const INTERNAL_IPS = ["10.20.30.40", "169.254.169.254", "fd00::1", "10.0.0.5"];
  let fixture: Server;
  let canary: Server;
  let P = 0;
  let canaryHits = 0;
  const fixtureHits: Record<string, number> = {};
  const attempts: { ip: string; port: number }[] = [];
  const origConnect = net.Socket.prototype.connect;
  let hugeSent = 0;
  let bomb: Buffer | undefined;

  const FIX = () => `http://127.0.0.2:${P}`;
  const allowlist = () => [`127.0.0.2:${P}`, `fixture.test:${P}`];
  let resolveCalls: string[] = [];
  const names: Record<string, string[]> = {
    "internal.test": ["10.20.30.40"],
    "meta.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "10.0.0.5"],
    "v6.test": ["fd00::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "loop.test": ["127.0.0.1"],
    "fixture.test": ["127.0.0.2"],
  };
  const resolver: Resolver = async (host) => {
    resolveCalls.push(host);
    const a = names[host];
    if (!a) throw new Error("ENOTFOUND");
    return a.map((address) => ({ address, family: net.isIP(address) === 6 ? 6 : 4 }));
  };
  const guard = (o: { timeoutMs?: number; resolve?: Resolver } = {}) => createOutboundFetch({ allowlist: allowlist(), resolve: o.resolve ?? resolver, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? "/", "http://x");
    fixtureHits[u.pathname] = (fixtureHits[u.pathname] ?? 0) + 1;
    const to = u.searchParams.get("to");
    switch (u.pathname) {
      case "/ok":
        return void res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      case "/redirect":
        return void res.writeHead(Number(u.searchParams.get("status") ?? 302), { location: to! }).end(BODY_MARKER);
      case "/loop": {
        const n = Number(u.searchParams.get("n") ?? 0);
        return void res.writeHead(302, { location: `/loop?n=${n + 1}` }).end();
      }
      case "/token2":
      case "/reg2":
        return void res.writeHead(200, { "content-type": "application/json" }).end('{"access_token":"t","client_id":"c","client_secret":"s"}');
      case "/huge": {
        // 100 MB, no content-length: the cap has to hold while streaming.
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(256 * 1024, 32);
        const total = 100 * 1024 * 1024;
        const write = () => {
          while (hugeSent < total) {
            hugeSent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", write);
          }
          res.end();
        };
        res.on("close", () => res.removeAllListeners("drain"));
        return write();
      }
      case "/huge-declared":
        res.writeHead(200, { "content-type": "application/json", "content-length": String(100 * 1024 * 1024) });
        return void res.write(Buffer.alloc(1024, 32));
      case "/gzip-bomb": {
        // 64 MB of JSON-ish zeros in ~64 KB: nothing may inflate it.
        bomb ??= gzipSync(Buffer.alloc(64 * 1024 * 1024, 48), { level: 9 });
        return void res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(bomb.length) }).end(bomb);
      }
      case "/drip": {
        res.writeHead(200, { "content-type": "application/json" });
        res.write("[");
        const t = setInterval(() => res.write(" "), 100);
        return void res.on("close", () => clearInterval(t));
      }
      case "/hang":
        return void res.on("close", () => {});
      case "/html":
        return void res.writeHead(200, { "content-type": "text/html" }).end(JSON.stringify({ resource: `${FIX()}/mcp`, authorization_servers: [FIX()], keys: [], note: BODY_MARKER }));
      case "/deep":
        return void res.writeHead(200, { "content-type": "application/json" }).end("[".repeat(400_000) + "]".repeat(400_000));
      case "/mcp-prm":
        // An MCP endpoint whose metadata lives at a URL that answers with HTML.
        return void res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${FIX()}/html"` }).end(BODY_MARKER);
      case "/mcp-deep":
        return void res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${FIX()}/deep"` }).end(BODY_MARKER);
      case "/mcp-huge":
        return void res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${FIX()}/huge"` }).end(BODY_MARKER);
      case "/mcp-bomb":
        return void res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${FIX()}/gzip-bomb"` }).end(BODY_MARKER);
      case "/mcp-meta":
        return void res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="http://169.254.169.254/latest/meta-data"` }).end(BODY_MARKER);
      default:
        return void res.writeHead(404, { "content-type": "text/plain" }).end(BODY_MARKER);
    }
  };

  beforeAll(async () => {
    if (IN_NETNS) {
      const ifaces = Object.keys(os.networkInterfaces());
      expect(ifaces).toEqual(["lo"]);
      console.log("ssrf-netns: only lo is up; running the corpus inside the namespace");
    }
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      this.on("connectionAttempt", (ip: string, port: number) => attempts.push({ ip, port }));
      return (origConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof origConnect;
    fixture = createServer(handler);
    await new Promise<void>((r) => fixture.listen(0, "127.0.0.2", r));
    P = (fixture.address() as AddressInfo).port;
    // The canary listens on 127.0.0.1 at the same port: a rebinding to it would land here.
    canary = createServer((_req, res) => {
      canaryHits++;
      res.writeHead(200, { "content-type": "application/json" }).end('{"canary":true}');
    });
    await new Promise<void>((r, j) => canary.once("error", j).listen(P, "127.0.0.1", r));
  });

  afterAll(async () => {
    net.Socket.prototype.connect = origConnect;
    for (const s of [fixture, canary]) {
      s?.closeAllConnections();
      await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    }
  });

  const blockedAttempts = () => attempts.filter((a) => isBlockedAddress(a.ip.replace(/^::ffff:/, "")) && !(a.ip === "127.0.0.2" && a.port === P));

  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      return err instanceof OutboundError ? err.code : `${(err as Error).name}: ${(err as Error).message}`;
    }
    return "allowed";
  }

  const server = (url: string, extra: Partial<McpServer> = {}) => ({ id: "srv_x", slug: "corpus", url, authMode: "none", headerName: null, tokenSecretId: null, clientId: null, clientSecretId: null, scopes: [], resource: null, tokenUrl: null, tokenEndpointAuthMethod: null, ...extra }) as unknown as McpServer;
  const tokenFetch = (tokenUrl: string, fetcher = guard()) =>
    sharedCredentials({} as never, { id: "env_x", organizationId: "org_x" }, server(`${FIX()}/mcp`, { authMode: "oauth_client_credentials", clientId: "c", tokenUrl, tokenEndpointAuthMethod: "none" }), fetcher).headers();
  const register = (registerUrl: string, fetcher = guard()) => registerClient(fetcher, { registerUrl, redirectUri: "https://latchkey.example/oauth/callback", mode: "oauth_client_credentials", authMethod: "client_secret_basic", scopes: [], clientName: "corpus" });
  const upstreamCall = async (url: string, signal = AbortSignal.timeout(5_000), resolve: Resolver = resolver) => {
    const agent = await pinnedDispatcher(url, { allowlist: allowlist(), resolve });
    try {
      return await new UpstreamClient(server(url), agent, { headers: async () => ({}), rejected: () => {} }).rpc("tools/list", {}, signal);
    } finally {
      await agent.close().catch(() => {});
    }
  };
  let jwt = "";
  let verifier: ReturnType<typeof createIdpVerifier>;
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair("RS256");
    jwt = await new SignJWT({ sub: "u1" }).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuer("https://idp.example").setAudience("latchkey").setExpirationTime("5m").sign(privateKey);
  });
  const jwks = (jwks_url: string, fetcher = guard()) => (verifier = createIdpVerifier(fetcher)).verify(jwt, { issuer: "https://idp.example", jwks_url, audience: "latchkey", user_claim: "sub" } as never);
  const policy = () => parseAllowlist(allowlist().join(","));

  // ------------------------------------------------------------------ S1
  const LITERALS = [
    "127.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "0.0.0.0",
    "[::]",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "169.254.169.254",
    "[fd00::1]",
    "[fe80::1]",
    "100.64.0.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.0.1",
    "192.168.255.254",
  ];
  const SCHEMES = ["file:///etc/passwd", "gopher://example.com:70/_GET", "ftp://example.com/x", "data:application/json,{}", "ws://example.com/mcp", "wss://example.com/mcp", "http://example.com/mcp", `http://${"mcp.example.com"}:${8080}/mcp`];
  const S1_URLS = [...LITERALS.flatMap((h) => [`https://${h}/mcp`, `https://${h}:${P || 443}/x`]), ...SCHEMES];

  describe("S1 literal addresses and schemes: refused before any DNS query or connection", () => {
    it("on every path", async () => {
      const before = attempts.length;
      resolveCalls = [];
      for (const url of S1_URLS) {
        expect(() => checkOutboundUrl(url, allowlist()), url).toThrow(OutboundError);
        expect(["scheme", "blocked_address", "bad_url"], url).toContain(await codeOf(guard()(url)));
        expect(await codeOf(discoverMcpServer(url, guard())), url).toMatch(/^(scheme|blocked_address|bad_url)$/);
        expect(await codeOf(register(url)), url).toMatch(/RegistrationError/);
        expect(await codeOf(tokenFetch(url)), url).toMatch(/UpstreamError/);
        expect(["scheme", "blocked_address", "bad_url"], url).toContain(await codeOf(pinnedDispatcher(url, { allowlist: allowlist(), resolve: resolver })));
        const d = await deliver(url, "{}", {}, { policy: policy() });
        expect(d.statusCode, url).toBeNull();
        expect(d.error, url).toMatch(/^refused/);
        expect(await jwks(url), url).toBeNull();
      }
      expect(resolveCalls).toEqual([]);
      expect(attempts.slice(before)).toEqual([]);
    });

    it("the parser's odd IPv4 spellings all land in the blocked set", () => {
      for (const h of ["127.1", "0x7f000001", "2130706433", "0177.0.0.1"]) expect(new URL(`https://${h}/`).hostname).toBe("127.0.0.1");
      for (const h of LITERALS) expect(isBlockedAddress(new URL(`https://${h}/`).hostname.replace(/^\[|\]$/g, "")), h).toBe(true);
    });
  });

  // ------------------------------------------------------------------ S2
  describe("S2 host names that resolve to private addresses: refused at connect time, without echoing the address", () => {
    it("on every path", async () => {
      const before = attempts.length;
      const messages: string[] = [];
      for (const host of ["internal.test", "meta.test", "mixed.test", "v6.test", "mapped.test", "loop.test"]) {
        const url = `https://${host}/mcp`;
        for (const p of [guard()(url), pinnedDispatcher(url, { allowlist: allowlist(), resolve: resolver })]) {
          try {
            await p;
            throw new Error(`${url} was allowed`);
          } catch (err) {
            expect(err, url).toBeInstanceOf(OutboundError);
            expect((err as OutboundError).code, url).toBe("blocked_address");
            messages.push((err as Error).message);
          }
        }
        expect(await codeOf(register(url)), url).toMatch(/RegistrationError/);
        expect(await codeOf(tokenFetch(url)), url).toMatch(/UpstreamError/);
        expect(await jwks(url)).toBeNull();
      }
      // Webhooks resolve with the system resolver inside the socket's lookup: give it the same answers.
      const spy = vi.spyOn(dns, "lookup").mockImplementation(((host: string, _o: unknown, cb: (e: Error | null, a: { address: string; family: number }[]) => void) => {
        const a = names[host];
        if (!a) return cb(Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" }), []);
        cb(null, a.map((address) => ({ address, family: net.isIP(address) })));
      }) as never);
      try {
        for (const host of ["internal.test", "meta.test", "v6.test", "mapped.test", "loop.test"]) {
          const d = await deliver(`https://${host}/hook`, "{}", {}, { policy: policy() });
          expect(d.statusCode, host).toBeNull();
          expect(d.error, host).toMatch(/refused|private/);
          messages.push(d.error ?? "");
        }
      } finally {
        spy.mockRestore();
      }
      for (const m of messages) for (const ip of INTERNAL_IPS) expect(m).not.toContain(ip);
      expect(blockedAttempts()).toEqual([]);
      // mixed.test is refused as a whole, so nothing connected anywhere.
      expect(attempts.slice(before).filter((a) => a.ip === "93.184.216.34")).toEqual([]);
      expect(canaryHits).toBe(0);
    });
  });

  // ------------------------------------------------------------------ S3
  describe("S3 DNS rebinding: resolved once per connection and pinned", () => {
    // An allowlisted name answers the fixture (127.0.0.2) first and the canary (127.0.0.1) on every later query.
    const rebinding = () => {
      let n = 0;
      const calls = { n: 0 };
      const resolve: Resolver = async () => {
        calls.n++;
        return [{ address: n++ === 0 ? "127.0.0.2" : "127.0.0.1", family: 4 }];
      };
      return { resolve, calls };
    };

    it("the guarded fetch connects to the address it checked, however the name answers next", async () => {
      const { resolve, calls } = rebinding();
      const r = await guard({ resolve })(`http://fixture.test:${P}/ok`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ ok: true });
      expect(calls.n).toBe(1);
      expect(canaryHits).toBe(0);
    });

    // Outside the namespace this would try a real public address: only run where nothing can leave.
    it.skipIf(!IN_NETNS)("a public first answer then a private one: the connection goes to the checked public address, never the canary", async () => {
      let n = 0;
      const resolve: Resolver = async () => [{ address: n++ === 0 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
      const before = attempts.length;
      expect(await codeOf(guard({ resolve, timeoutMs: 3_000 })(`https://rebind.test:${P}/ok`))).toMatch(/network|timeout/);
      expect(n).toBe(1);
      // One attempt, to the checked address; it fails with ENETUNREACH inside the namespace (and
      // that failure must not escape as an uncaught exception: vitest fails the run if it does).
      expect(attempts.slice(before).map((a) => a.ip)).toEqual(["93.184.216.34"]);
      expect(canaryHits).toBe(0);
    });

    it("the upstream MCP dispatcher resolves once and pins every keep-alive connection", async () => {
      const { resolve, calls } = rebinding();
      const agent = await pinnedDispatcher(`http://fixture.test:${P}/mcp`, { allowlist: allowlist(), resolve, connections: 4 });
      try {
        const { request } = await import("undici");
        const rs = await Promise.all(Array.from({ length: 8 }, () => request(`http://fixture.test:${P}/ok`, { dispatcher: agent }).then(async (r) => (await r.body.text(), r.statusCode))));
        expect(rs.every((s) => s === 200)).toBe(true);
      } finally {
        await agent.close();
      }
      expect(calls.n).toBe(1);
      expect(canaryHits).toBe(0);
    });
  });

  // ------------------------------------------------------------------ S4
  describe("S4 redirects: every hop checked, a cap on hops, no redirects for token and registration POSTs", () => {
    it("302 and 307 to the metadata address, to the canary and to plain http are refused", async () => {
      const before = fixtureHits["/redirect"] ?? 0;
      for (const [status, to, code] of [
        [302, "https://169.254.169.254/latest/meta-data/", "blocked_address"],
        [307, "https://169.254.169.254/latest/meta-data/", "blocked_address"],
        [302, "http://169.254.169.254/latest/meta-data/", "scheme"],
        [302, `http://127.0.0.1:${P}/`, "scheme"],
        [307, `https://127.0.0.1:${P}/`, "blocked_address"],
        [302, "https://meta.test/latest", "blocked_address"],
        [307, "http://mcp.example.com/mcp", "scheme"],
        [302, "file:///etc/passwd", "scheme"],
      ] as const) {
        expect(await codeOf(guard()(`${FIX()}/redirect?status=${status}&to=${encodeURIComponent(to)}`)), `${status} → ${to}`).toBe(code);
        expect(await jwks(`${FIX()}/redirect?status=${status}&to=${encodeURIComponent(to)}`)).toBeNull();
      }
      expect(fixtureHits["/redirect"]! - before).toBe(16);
      expect(canaryHits).toBe(0);
    });

    it("hops are capped", async () => {
      fixtureHits["/loop"] = 0;
      expect(await codeOf(guard()(`${FIX()}/loop`))).toBe("too_many_redirects");
      expect(fixtureHits["/loop"]).toBe(6);
    });

    it("token endpoint, registration and the discovery probe do not follow redirects at all (not even to an allowed URL)", async () => {
      fixtureHits["/token2"] = 0;
      fixtureHits["/reg2"] = 0;
      expect(await codeOf(tokenFetch(`${FIX()}/redirect?status=307&to=${encodeURIComponent(`${FIX()}/token2`)}`))).toMatch(/UpstreamError/);
      expect(await codeOf(register(`${FIX()}/redirect?status=307&to=${encodeURIComponent(`${FIX()}/reg2`)}`))).toMatch(/RegistrationError/);
      expect(fixtureHits["/token2"]).toBe(0);
      expect(fixtureHits["/reg2"]).toBe(0);
      const d = await discoverMcpServer(`${FIX()}/redirect?status=307&to=${encodeURIComponent(`http://127.0.0.1:${P}/mcp`)}`, guard());
      expect(d.requires_auth).toBe(false);
      expect(d.tried[0]!.outcome).toMatch(/too_many_redirects|redirects are not allowed/);
      expect(canaryHits).toBe(0);
    });

    it("upstream MCP calls and webhook deliveries never follow a redirect to the canary", async () => {
      const to = encodeURIComponent(`http://127.0.0.1:${P}/mcp`);
      expect(await codeOf(upstreamCall(`${FIX()}/redirect?status=307&to=${to}`))).toMatch(/UpstreamError/);
      const d = await deliver(`${FIX()}/redirect?status=307&to=${to}`, "{}", {}, { policy: policy() });
      expect(d.statusCode).toBe(307);
      expect(canaryHits).toBe(0);
    });
  });

  // ------------------------------------------------------------------ S5
  describe("S5 limits on what is fetched: size, gzip bombs, slow bodies, JSON only, nesting; errors never echo the body", () => {
    it("a 100 MB body (streamed or declared) stops at the 1 MB cap and the rest is not read", async () => {
      hugeSent = 0;
      expect(await codeOf(guard()(`${FIX()}/huge`))).toBe("too_large");
      await new Promise((r) => setTimeout(r, 200));
      expect(hugeSent).toBeLessThan(20 * 1024 * 1024);
      expect(await codeOf(guard()(`${FIX()}/huge-declared`))).toBe("too_large");
      expect(await jwks(`${FIX()}/huge`)).toBeNull();
      expect(await codeOf(upstreamCall(`${FIX()}/huge`))).toMatch(/UpstreamError/);
      const d = await deliver(`${FIX()}/huge`, "{}", {}, { policy: policy() });
      expect(d.responseSnippet?.length ?? 0).toBeLessThanOrEqual(500);
    });

    it("a gzip bomb is never inflated: the guard hands back the compressed bytes, which no JSON reader accepts", async () => {
      const r = await guard()(`${FIX()}/gzip-bomb`);
      const buf = Buffer.from(await r.arrayBuffer());
      expect(buf.length).toBeLessThan(1024 * 1024);
      expect(buf[0]).toBe(0x1f);
      const d = await discoverMcpServer(`${FIX()}/mcp-bomb`, guard());
      expect(d.authorization_servers).toEqual([]);
      expect(d.tried.find((t) => t.url.endsWith("/gzip-bomb"))?.outcome).toMatch(/not JSON/);
      expect(await jwks(`${FIX()}/gzip-bomb`)).toBeNull();
    });

    it("a drip-fed body and a server that never answers hit the total timeout", async () => {
      for (const p of ["/drip", "/hang"]) {
        const t0 = Date.now();
        expect(await codeOf(guard({ timeoutMs: 800 })(`${FIX()}${p}`)), p).toBe("timeout");
        expect(Date.now() - t0).toBeLessThan(3_000);
      }
      expect(await codeOf(upstreamCall(`${FIX()}/drip`, AbortSignal.timeout(800)))).toMatch(/did not answer in time/);
      const d = await deliver(`${FIX()}/drip`, "{}", {}, { policy: policy(), signal: AbortSignal.timeout(800) });
      expect(d.error).toMatch(/timed out/);
    });

    it("metadata must be JSON by content type; deeply nested JSON does not break discovery", async () => {
      const html = await discoverMcpServer(`${FIX()}/mcp-prm`, guard());
      expect(html.requires_auth).toBe(true);
      expect(html.authorization_servers).toEqual([]);
      expect(html.tried.find((t) => t.url.endsWith("/html"))?.outcome).toMatch(/not JSON/);
      const deep = await discoverMcpServer(`${FIX()}/mcp-deep`, guard());
      expect(deep.authorization_servers).toEqual([]);
      expect(deep.errors.length).toBeGreaterThan(0);
      const huge = await discoverMcpServer(`${FIX()}/mcp-huge`, guard());
      expect(huge.tried.find((t) => t.url.endsWith("/huge"))?.outcome).toMatch(/too_large/);
      expect(await jwks(`${FIX()}/deep`)).toBeNull();
      expect(await jwks(`${FIX()}/html`)).toBeNull();
      // A resource_metadata URL pointing at the metadata service is refused like any other.
      const meta = await discoverMcpServer(`${FIX()}/mcp-meta`, guard());
      expect(meta.tried.find((t) => t.url.includes("169.254.169.254"))?.outcome).toMatch(/^scheme/);
      for (const r of [html, deep, huge, meta]) expect(JSON.stringify(r)).not.toContain(BODY_MARKER);
    });

    it("no error on any path repeats the fetched body", async () => {
      const messages: string[] = [];
      const collect = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (err) {
          messages.push(String((err as Error).message));
        }
      };
      for (const p of ["/nope", "/html", "/redirect?status=302&to=file:///x"]) {
        await collect(tokenFetch(`${FIX()}${p}`));
        await collect(register(`${FIX()}${p}`));
        await collect(upstreamCall(`${FIX()}${p}`));
        messages.push(JSON.stringify(await discoverMcpServer(`${FIX()}${p}`, guard())));
        messages.push((await deliver(`${FIX()}${p}`, "{}", {}, { policy: policy() })).error ?? "");
      }
      expect(messages.length).toBeGreaterThan(10);
      for (const m of messages) expect(m).not.toContain(BODY_MARKER);
    });
  });

  describe("the whole run", () => {
    it("made zero connection attempts to a blocked address (beyond the allowlisted fixture) and the canary saw nothing", () => {
      expect(attempts.length).toBeGreaterThan(0);
      expect(blockedAttempts()).toEqual([]);
      expect(canaryHits).toBe(0);
      void verifier;
    });
  });
}
