import dns from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { isBlockedAddress, reportBlockedAddress } from "@/lib/net/outbound-guard";
import { Agent, errors as undiciErrors, request } from "undici";
import { parseRetryAfter } from "@/lib/webhooks/schedule";

// The webhook sender's transport: https only, no private, loopback, link-local or metadata
// address (checked on the URL and again on every DNS answer, with the connection pinned to the
// address that passed), no redirects, time and size limits. Hosts the operator lists in
// LATCHKEY_OUTBOUND_ALLOWLIST skip the https and address rules. Which addresses count as private
// is decided by the shared outbound guard (lib/net/outbound-guard.ts), so there is one list;
// the transport stays here because a webhook answer is truncated, not refused, when large.

/** Private, loopback, link-local (cloud metadata), CGNAT, documentation, multicast or reserved. IPv4-mapped IPv6 counts as its IPv4. */
export function isPrivateAddress(address: string): boolean {
  return isBlockedAddress(address.replace(/^\[|\]$/g, ""));
}

export type OutboundPolicy = { allowlist: ReadonlySet<string> };

/** `LATCHKEY_OUTBOUND_ALLOWLIST`: comma-separated `host` or `host:port` (IPv6 as `[::1]:8080`). */
export function parseAllowlist(spec: string | undefined): OutboundPolicy {
  const allowlist = new Set(
    (spec ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return { allowlist };
}

function isAllowlisted(url: URL, policy: OutboundPolicy): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return policy.allowlist.has(host) || policy.allowlist.has(`${host}:${port}`);
}

export type UrlCheck = { ok: true; url: URL; allowlisted: boolean } | { ok: false; message: string };

/** What can be said about a URL without resolving it. Run when an endpoint is saved and before every attempt. */
export function checkWebhookUrl(raw: string, policy: OutboundPolicy): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, message: "must use https" };
  if (url.username || url.password) return { ok: false, message: "must not contain a user name or password" };
  if (isAllowlisted(url, policy)) return { ok: true, url, allowlisted: true };
  if (url.protocol !== "https:") return { ok: false, message: "must use https" };
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  // The URL parser has already normalised odd IPv4 spellings (2130706433, 0x7f.1) to dotted form.
  if (isIP(host.replace(/^\[|\]$/g, "")) && isPrivateAddress(host)) {
    reportBlockedAddress(host);
    return { ok: false, message: "must not point to a private, loopback, link-local or metadata address" };
  }
  if (host === "localhost" || host.endsWith(".localhost")) {
    reportBlockedAddress(host);
    return { ok: false, message: "must not point to a private, loopback, link-local or metadata address" };
  }
  return { ok: true, url, allowlisted: false };
}

class PrivateAddressError extends Error {
  readonly code = "EPRIVATEADDRESS";
}

/** Resolves once and hands the socket only public addresses: what was checked is what is connected to. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints ?? 0 }, (err, addresses) => {
    if (err) return (callback as (e: Error | null, a: string, f: number) => void)(err, "", 0);
    const allowed = addresses.filter((a) => !isPrivateAddress(a.address));
    if (allowed.length === 0) {
      return (callback as (e: Error | null, a: string, f: number) => void)(new PrivateAddressError(`${hostname} resolves to a private address`), "", 0);
    }
    if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
    else (callback as (e: null, a: string, f: number) => void)(null, allowed[0]!.address, allowed[0]!.family);
  });
};

export const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const SNIPPET_CHARS = 500;

const agents: { guarded?: Agent; allowlisted?: Agent } = {};
function agentFor(allowlisted: boolean): Agent {
  const opts = { headersTimeout: DELIVERY_TIMEOUT_MS, bodyTimeout: DELIVERY_TIMEOUT_MS, keepAliveTimeout: 4_000, connections: 16 };
  if (allowlisted) return (agents.allowlisted ??= new Agent(opts));
  return (agents.guarded ??= new Agent({ ...opts, connect: { lookup: publicOnlyLookup, timeout: DELIVERY_TIMEOUT_MS } }));
}

export type DeliveryResult = {
  statusCode: number | null;
  durationMs: number;
  responseSnippet: string | null;
  /** Why no status code came back (or why the URL was refused); never a secret. */
  error: string | null;
  retryAfterSec: number | null;
};

function describe(err: unknown): string {
  if (err instanceof PrivateAddressError || (err as { code?: string })?.code === "EPRIVATEADDRESS") return "refused: the host resolves to a private address";
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
    return `timed out after ${DELIVERY_TIMEOUT_MS / 1000} s`;
  }
  const name = (err as Error)?.name;
  if (name === "AbortError" || name === "TimeoutError") return `timed out after ${DELIVERY_TIMEOUT_MS / 1000} s`;
  const code = (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "could not resolve the host";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "the connection was reset";
  if (typeof code === "string" && /CERT|TLS|SSL/i.test(code)) return `TLS error (${code})`;
  return typeof code === "string" ? `request failed (${code})` : "request failed";
}

/**
 * One POST of a signed webhook body. Never throws: every outcome is a DeliveryResult. The
 * response is read up to 64 KB (the rest is discarded) and 500 characters are kept.
 */
export async function deliver(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  opts: { policy: OutboundPolicy; signal?: AbortSignal },
): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const checked = checkWebhookUrl(rawUrl, opts.policy);
  if (!checked.ok) return { statusCode: null, durationMs: 0, responseSnippet: null, error: `refused: the URL ${checked.message}`, retryAfterSec: null };
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]) : AbortSignal.timeout(DELIVERY_TIMEOUT_MS);
  try {
    const res = await request(checked.url, {
      method: "POST",
      dispatcher: agentFor(checked.allowlisted),
      headers: { "content-type": "application/json", "user-agent": "Latchkey-Webhooks/1", ...headers },
      body,
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const c = chunk as Buffer;
      chunks.push(size + c.length > MAX_RESPONSE_BYTES ? c.subarray(0, MAX_RESPONSE_BYTES - size) : c);
      size += c.length;
      if (size >= MAX_RESPONSE_BYTES) {
        res.body.destroy();
        break;
      }
    }
    // PostgreSQL text cannot hold NUL: a receiver answering with one must not make the attempt unrecordable.
    const text = Buffer.concat(chunks).toString("utf8").replaceAll("\u0000", "\uFFFD");
    return {
      statusCode: res.statusCode,
      durationMs: elapsed(),
      responseSnippet: text ? text.slice(0, SNIPPET_CHARS) : null,
      error: null,
      retryAfterSec: parseRetryAfter(res.headers["retry-after"]),
    };
  } catch (err) {
    return { statusCode: null, durationMs: elapsed(), responseSnippet: null, error: describe(err), retryAfterSec: null };
  }
}
