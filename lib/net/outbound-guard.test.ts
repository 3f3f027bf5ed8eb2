import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import { checkOutboundUrl, createOutboundFetch, isBlockedAddress, OutboundError, pinnedDispatcher } from "@/lib/net/outbound-guard";

let server: Server;
let port = 0;
const seen: { path: string; host: string | undefined; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: req.url ?? "", host: req.headers.host, authorization: req.headers.authorization });
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/ok") return void res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    if (url.pathname === "/redirect") return void res.writeHead(302, { location: url.searchParams.get("to")! }).end();
    if (url.pathname === "/big") {
      // No content-length: the cap has to hold while streaming.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 97);
      let n = 0;
      const write = () => {
        while (n++ < 64) if (!res.write(chunk)) return void res.once("drain", write);
        res.end();
      };
      return write();
    }
    if (url.pathname === "/slow") return void setTimeout(() => res.writeHead(200).end("late"), 2000);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OutboundError);
    return (err as OutboundError).code;
  }
  throw new Error("the fetch was allowed");
}

describe("outbound guard: addresses", () => {
  it("refuses private, loopback, link-local, metadata, unique-local and mapped addresses; allows public ones", () => {
    for (const ip of ["10.0.0.1", "10.255.255.255", "127.0.0.1", "169.254.169.254", "172.16.5.4", "192.168.1.1", "100.100.100.200", "0.0.0.0", "::1", "::", "fc00::1", "fd00:ec2::254", "fe80::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "ff02::1", "not-an-ip"]) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) expect(isBlockedAddress(ip), ip).toBe(false);
  });

  it("refuses http, credentials in the URL and private IP literals before any connection", async () => {
    const f = createOutboundFetch({ resolve: async () => [{ address: "93.184.216.34", family: 4 }] });
    expect(await refusal(f("https://10.0.0.8/jwks"))).toBe("blocked_address");
    expect(await refusal(f("https://169.254.169.254/latest/meta-data/"))).toBe("blocked_address");
    expect(await refusal(f("https://[::1]/"))).toBe("blocked_address");
    expect(await refusal(f("https://[fc00::1]/"))).toBe("blocked_address");
    expect(await refusal(f("https://[::ffff:169.254.169.254]/"))).toBe("blocked_address");
    expect(await refusal(f("http://example.com/jwks"))).toBe("scheme");
    expect(await refusal(f("ftp://example.com/"))).toBe("scheme");
    expect(await refusal(f("https://user:pw@example.com/"))).toBe("credentials_in_url");
    expect(await refusal(f("not a url"))).toBe("bad_url");
  });

  it("refuses a name that resolves to a private address, even when another of its answers is public", async () => {
    const f = createOutboundFetch({
      resolve: async (host) => (host === "evil.test" ? [{ address: "10.1.2.3", family: 4 }] : [{ address: "93.184.216.34", family: 4 }, { address: "fd00::5", family: 6 }]),
    });
    expect(await refusal(f("https://evil.test/"))).toBe("blocked_address");
    expect(await refusal(f("https://mixed.test/"))).toBe("blocked_address");
    const noDns = createOutboundFetch({ resolve: async () => [] });
    expect(await refusal(noDns("https://nowhere.test/"))).toBe("dns");
  });

  it("the allowlist (host or host:port) admits http and loopback for exactly those hosts", () => {
    expect(checkOutboundUrl(`http://127.0.0.1:${port}/x`, [`127.0.0.1:${port}`]).allowlisted).toBe(true);
    expect(checkOutboundUrl(`http://localhost:8080/x`, ["localhost"]).allowlisted).toBe(true);
    expect(() => checkOutboundUrl(`http://127.0.0.1:${port + 1}/x`, [`127.0.0.1:${port}`])).toThrow(OutboundError);
    expect(() => checkOutboundUrl(`https://127.0.0.1/x`, ["localhost"])).toThrow(OutboundError);
    expect(parseEnv({ LATCHKEY_OUTBOUND_ALLOWLIST: " 127.0.0.1:8080, LocalHost ,[::1]:9" }).LATCHKEY_OUTBOUND_ALLOWLIST).toEqual(["127.0.0.1:8080", "localhost", "[::1]:9"]);
    expect(parseEnv({}).LATCHKEY_OUTBOUND_ALLOWLIST).toEqual([]);
    expect(() => parseEnv({ LATCHKEY_OUTBOUND_ALLOWLIST: "http://x/" })).toThrow(/LATCHKEY_OUTBOUND_ALLOWLIST/);
  });
});

describe("outbound guard: requests", () => {
  it("connects to the address resolved once, whatever the name (pinned lookup)", async () => {
    // "pinned.test" exists in no DNS: the request can only succeed through the pinned address.
    const f = createOutboundFetch({ allowlist: [`pinned.test:${port}`], resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    const res = await f(`http://pinned.test:${port}/ok`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen.at(-1)!.host).toBe(`pinned.test:${port}`);
  });

  it("follows redirects, checking every hop: a redirect to a private or non-allowlisted address is refused", async () => {
    const f = createOutboundFetch({ allowlist: [`127.0.0.1:${port}`] });
    const ok = await f(`http://127.0.0.1:${port}/redirect?to=/ok`);
    expect(ok.status).toBe(200);
    const before = seen.length;
    expect(await refusal(f(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent("http://169.254.169.254/latest/meta-data/")}`))).toBe("scheme");
    expect(await refusal(f(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent("https://10.0.0.1/")}`))).toBe("blocked_address");
    // Loopback but another port: not on the allowlist, so refused as well.
    expect(await refusal(f(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(`https://127.0.0.1:${port + 1}/`)}`))).toBe("blocked_address");
    // Only the redirecting server was contacted, never the targets.
    expect(seen.slice(before).every((s) => s.path.startsWith("/redirect"))).toBe(true);
    expect(await refusal(f(`http://127.0.0.1:${port}/redirect?to=/redirect%3Fto%3D%2Fredirect%253Fto%253D%252Fok`, { redirect: "error" }))).toBe("too_many_redirects");
    const manual = await f(`http://127.0.0.1:${port}/redirect?to=/ok`, { redirect: "manual" });
    expect(manual.status).toBe(302);
  });

  it("drops Authorization when a redirect changes origin", async () => {
    const f = createOutboundFetch({ allowlist: ["127.0.0.1", "localhost"] });
    await f(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(`http://localhost:${port}/ok`)}`, { headers: { Authorization: "Bearer secret" } });
    expect(seen.at(-2)!.authorization).toBe("Bearer secret");
    expect(seen.at(-1)!.authorization).toBeUndefined();
  });

  it("caps the response size while streaming, and the time", async () => {
    const f = createOutboundFetch({ allowlist: [`127.0.0.1:${port}`], maxBytes: 256 * 1024 });
    expect(await refusal(f(`http://127.0.0.1:${port}/big`))).toBe("too_large");
    expect(await refusal(f(`http://127.0.0.1:${port}/slow`, { timeoutMs: 200 }))).toBe("timeout");
  });
});

describe("pinnedDispatcher (upstream MCP servers' keep-alive connections)", () => {
  it("refuses what the fetch refuses: private literals, names with any private answer, plain http off the allowlist", async () => {
    await expect(pinnedDispatcher("https://10.0.0.1/mcp", { allowlist: [] })).rejects.toMatchObject({ code: "blocked_address" });
    await expect(pinnedDispatcher("https://mixed.example/mcp", { allowlist: [], resolve: async () => [{ address: "93.184.216.34", family: 4 }, { address: "169.254.169.254", family: 4 }] })).rejects.toMatchObject({ code: "blocked_address" });
    await expect(pinnedDispatcher("http://public.example/mcp", { allowlist: [] })).rejects.toBeInstanceOf(OutboundError);
    const agent = await pinnedDispatcher(`http://127.0.0.1:${port}/mcp`, { allowlist: [`127.0.0.1:${port}`] });
    await agent.close();
  });
});
