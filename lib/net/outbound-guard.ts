import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { getEnv } from "@/lib/env";

/**
 * The one way to fetch a URL that a user (operator, team, IdP settings…) supplied (DESIGN §7).
 * https only; the name is resolved once, every address checked, and the connection pinned to
 * the checked address (so a second DNS answer cannot swap in a private one); private, loopback,
 * link-local and metadata ranges refused; redirects followed here, each hop checked again;
 * time and size capped. Hosts on the operator's allowlist (LATCHKEY_OUTBOUND_ALLOWLIST) may use
 * plain http and private addresses: that is how tests reach their local servers.
 */

export type OutboundErrorCode = "bad_url" | "scheme" | "credentials_in_url" | "blocked_address" | "dns" | "too_many_redirects" | "too_large" | "timeout" | "network";

export class OutboundError extends Error {
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

type BlockedHook = (info: { host: string; reason: "blocked_address" }) => void;
const ON_BLOCKED = Symbol.for("latchkey.outbound.onBlocked");

/** Who hears about refused private addresses (alerts); a setter so the guard depends on nothing. */
export function setOutboundBlockedHook(fn: BlockedHook | undefined) {
  (globalThis as { [ON_BLOCKED]?: BlockedHook })[ON_BLOCKED] = fn;
}

/** Tells the listener a private address was refused; for checkers with their own rules (webhooks) too. */
export function reportBlockedAddress(host: string) {
  try {
    (globalThis as { [ON_BLOCKED]?: BlockedHook })[ON_BLOCKED]?.({ host, reason: "blocked_address" });
  } catch {
    // a listener never changes the refusal
  }
}

function blockedAddress(host: string, message: string): OutboundError {
  reportBlockedAddress(host);
  return new OutboundError("blocked_address", message);
}

// Everything that is not the public internet. IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked
// against the IPv4 rules by BlockList itself.
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT (also Alibaba's metadata 100.100.100.200)
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];
const BLOCKED_V6: [string, number][] = [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96], // NAT64: would reach IPv4 space through a translator
  ["64:ff9b:1::", 48],
  ["100::", 64], // discard
  ["2001::", 32], // Teredo
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address
  ["fc00::", 7], // unique local (AWS metadata fd00:ec2::254 is here)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, "ipv6");

/** Whether an IP address is outside the public internet (or not an IP address at all). */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? "ipv4" : "ipv6");
}

export type ResolvedAddress = { address: string; family: 4 | 6 };
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) => {
  const rows = await dnsLookup(hostname, { all: true, verbatim: true });
  return rows.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

const bare = (hostname: string) => (hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname);
const effectivePort = (u: URL) => u.port || (u.protocol === "https:" ? "443" : "80");

/** An allowlist entry is `host` (any port) or `host:port`; IPv6 in brackets. */
export function isAllowlisted(u: URL, allowlist: readonly string[]): boolean {
  const host = u.hostname.toLowerCase();
  const hostPort = `${host}:${effectivePort(u)}`;
  return allowlist.some((e) => e === host || e === hostPort);
}

/**
 * What can be decided without the network: a parseable http(s) URL, https unless allowlisted,
 * no credentials in it, and, for an IP literal, a public address. Also used to validate
 * settings when they are saved.
 */
export function checkOutboundUrl(raw: string | URL, allowlist: readonly string[]): { url: URL; allowlisted: boolean } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new OutboundError("bad_url", "not a valid URL");
  }
  const allowlisted = isAllowlisted(u, allowlist);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && allowlisted)) throw new OutboundError("scheme", "only https URLs are allowed");
  if (u.username || u.password) throw new OutboundError("credentials_in_url", "URLs with credentials are not allowed");
  const host = bare(u.hostname);
  if (!allowlisted && isIP(host) && isBlockedAddress(host)) throw blockedAddress(host, "the address is private, loopback, link-local or reserved");
  return { url: u, allowlisted };
}

export type OutboundOptions = {
  allowlist?: readonly string[];
  /** DNS resolution; tests inject one. */
  resolve?: Resolver;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
};

export type OutboundInit = {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** `follow` (default): each hop is checked like the first. `manual`: 3xx answers are returned as they are. */
  redirect?: "follow" | "manual" | "error";
  timeoutMs?: number;
  maxBytes?: number;
};

export type OutboundFetch = (url: string | URL, init?: OutboundInit) => Promise<Response>;

const DEFAULTS = { timeoutMs: 10_000, maxBytes: 1024 * 1024, maxRedirects: 5 };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NO_BODY = new Set([204, 205, 304]);

/** Resolves the host once and checks every address it has; the first is the one we connect to. */
async function pin(u: URL, allowlisted: boolean, resolve: Resolver): Promise<ResolvedAddress> {
  const host = bare(u.hostname);
  const literal = isIP(host);
  if (literal) return { address: host, family: literal === 6 ? 6 : 4 };
  let addrs: ResolvedAddress[];
  try {
    addrs = await resolve(host);
  } catch {
    throw new OutboundError("dns", `could not resolve ${host}`);
  }
  if (addrs.length === 0) throw new OutboundError("dns", `could not resolve ${host}`);
  // All of them, not just the first: a name with one public and one private answer is refused.
  if (!allowlisted && addrs.some((a) => isBlockedAddress(a.address))) {
    throw blockedAddress(host, `${host} resolves to a private, loopback, link-local or reserved address`);
  }
  return addrs[0]!;
}

/** A dispatcher whose every connection goes to `addr`, whatever the name would resolve to now. */
function pinnedAgent(addr: ResolvedAddress, opts: { connections?: number; keepAlive?: boolean } = {}): Agent {
  // The answer is given asynchronously, as a real lookup would: answered synchronously, a
  // connect that fails at once (ENETUNREACH) is reported on a socket nobody listens to yet,
  // which is an uncaught exception that would take the process down.
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    process.nextTick(() => {
      if (opts?.all) cb(null, [{ address: addr.address, family: addr.family }]);
      else cb(null, addr.address, addr.family);
    });
  }) as unknown as LookupFunction;
  if (opts.keepAlive) return new Agent({ connect: { lookup }, connections: opts.connections ?? 16, keepAliveTimeout: 30_000 });
  return new Agent({ connect: { lookup }, connections: 1, pipelining: 0 });
}

/**
 * A keep-alive dispatcher for repeated calls to one user-supplied origin (an upstream MCP
 * server): the URL is checked and the name resolved once, and every connection goes to that
 * checked address. The caller sends no redirects through it and closes it when done.
 */
export async function pinnedDispatcher(raw: string, options: { allowlist?: readonly string[]; resolve?: Resolver; connections?: number } = {}): Promise<Agent> {
  const { url, allowlisted } = checkOutboundUrl(raw, options.allowlist ?? getEnv().LATCHKEY_OUTBOUND_ALLOWLIST);
  const addr = await pin(url, allowlisted, options.resolve ?? systemResolver);
  return pinnedAgent(addr, { keepAlive: true, ...(options.connections ? { connections: options.connections } : {}) });
}

function toHeaderRecord(h: OutboundInit["headers"]): Record<string, string> {
  if (!h) return {};
  if (h instanceof Headers) return Object.fromEntries(h.entries());
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

type Body = AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown; on(event: "error", fn: () => void): unknown };

/** Stops reading a body we do not want; its abort error has nobody to tell. */
function discard(body: Body) {
  body.on("error", () => {});
  body.destroy();
}

async function readCapped(body: Body, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      discard(body);
      throw new OutboundError("too_large", `the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export function createOutboundFetch(options: OutboundOptions = {}): OutboundFetch {
  const allowlist = options.allowlist ?? [];
  const resolve = options.resolve ?? systemResolver;
  return async (input, init = {}) => {
    const timeoutMs = init.timeoutMs ?? options.timeoutMs ?? DEFAULTS.timeoutMs;
    const maxBytes = init.maxBytes ?? options.maxBytes ?? DEFAULTS.maxBytes;
    const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let method = (init.method ?? "GET").toUpperCase();
    let body = init.body;
    let headers = toHeaderRecord(init.headers);
    let current = checkOutboundUrl(input, allowlist);

    for (let hop = 0; ; hop++) {
      const addr = await pin(current.url, current.allowlisted, resolve);
      const agent = pinnedAgent(addr);
      try {
        let res: Awaited<ReturnType<typeof request>>;
        try {
          res = await request(current.url, { method: method as "GET", headers, ...(body !== undefined ? { body } : {}), dispatcher: agent, signal });
        } catch (err) {
          if (timeout.aborted) throw new OutboundError("timeout", `no answer within ${timeoutMs} ms`);
          if (signal.aborted) throw err;
          throw new OutboundError("network", `could not reach ${current.url.host}`);
        }
        const location = res.headers.location;
        if (REDIRECTS.has(res.statusCode) && typeof location === "string" && init.redirect !== "manual") {
          discard(res.body);
          if (init.redirect === "error") throw new OutboundError("too_many_redirects", "redirects are not allowed here");
          if (hop >= maxRedirects) throw new OutboundError("too_many_redirects", `more than ${maxRedirects} redirects`);
          const next = checkOutboundUrl(new URL(location, current.url), allowlist);
          if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method !== "GET" && method !== "HEAD")) {
            method = "GET";
            body = undefined;
            const { "content-type": _ct, "content-length": _cl, ...rest } = headers;
            headers = rest;
          }
          // Credentials meant for one origin are not handed to another.
          if (next.url.origin !== current.url.origin) {
            const { authorization: _a, cookie: _c, ...rest } = headers;
            headers = rest;
          }
          current = next;
          continue;
        }
        let buf: Buffer;
        try {
          const declared = Number(res.headers["content-length"]);
          if (Number.isFinite(declared) && declared > maxBytes) {
            discard(res.body);
            throw new OutboundError("too_large", `the response is larger than ${maxBytes} bytes`);
          }
          buf = await readCapped(res.body, maxBytes);
        } catch (err) {
          if (err instanceof OutboundError) throw err;
          if (timeout.aborted) throw new OutboundError("timeout", `no answer within ${timeoutMs} ms`);
          throw err;
        }
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
        }
        return new Response(NO_BODY.has(res.statusCode) || method === "HEAD" ? null : new Uint8Array(buf), { status: res.statusCode, headers: out });
      } finally {
        agent.destroy().catch(() => {});
      }
    }
  };
}

let shared: OutboundFetch | undefined;

/** The process-wide guarded fetch, with the operator's allowlist. */
export function guardedFetch(url: string | URL, init?: OutboundInit): Promise<Response> {
  shared ??= createOutboundFetch({ allowlist: getEnv().LATCHKEY_OUTBOUND_ALLOWLIST });
  return shared(url, init);
}

export function outboundAllowlist(): readonly string[] {
  return getEnv().LATCHKEY_OUTBOUND_ALLOWLIST;
}
