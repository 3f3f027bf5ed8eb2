/**
 * Header rules of the Streamable HTTP transport: content negotiation, the Origin check and the
 * 2026-07-28 header value encoding. Plain loops over short strings, no regular expressions.
 */

/** What the SDKs send; answered without parsing. */
const COMMON_ACCEPT = "application/json, text/event-stream";

function qValue(params: string): number {
  // params looks like ";q=0.5;level=1"; only q matters.
  let i = 0;
  while (i < params.length) {
    const semi = params.indexOf(";", i + 1);
    const part = params.slice(i + 1, semi < 0 ? params.length : semi).trim();
    if (part.length > 2 && (part.charCodeAt(0) | 32) === 113 /* q */ && part.charCodeAt(1) === 61 /* = */) {
      const q = Number(part.slice(2));
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
    if (semi < 0) break;
    i = semi;
  }
  return 1;
}

/**
 * True when the client wants the answer as an SSE stream: it lists only text/event-stream, or
 * ranks it above JSON. Equal preference gets JSON, which is cheaper for both ends.
 */
export function prefersEventStream(accept: string | undefined): boolean {
  if (accept === undefined || accept === COMMON_ACCEPT) return false;
  let json = -1;
  let sse = -1;
  let appWild = -1;
  let textWild = -1;
  let anyWild = -1;
  for (const range of accept.split(",")) {
    const semi = range.indexOf(";");
    const type = (semi < 0 ? range : range.slice(0, semi)).trim().toLowerCase();
    const q = semi < 0 ? 1 : qValue(range.slice(semi));
    if (type === "application/json") json = Math.max(json, q);
    else if (type === "text/event-stream") sse = Math.max(sse, q);
    else if (type === "application/*") appWild = Math.max(appWild, q);
    else if (type === "text/*") textWild = Math.max(textWild, q);
    else if (type === "*/*") anyWild = Math.max(anyWild, q);
  }
  // The most specific range that matches decides (RFC 9110 §12.5.1).
  const jsonQ = json >= 0 ? json : appWild >= 0 ? appWild : Math.max(anyWild, 0);
  const sseQ = sse >= 0 ? sse : textWild >= 0 ? textWild : Math.max(anyWild, 0);
  return sseQ > jsonQ;
}

const JSON_MEDIA_TYPE = "application/json";

/**
 * True when a Content-Type names JSON: `application/json`, any case, any parameters. Both
 * official SDKs answer anything else with 415, and so do we: form and `text/plain` bodies are
 * what a browser may send cross-site without a CORS preflight, so refusing them means such a
 * request is never read as JSON-RPC, even when it carries no Origin for the K4 check to see.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === JSON_MEDIA_TYPE) return true;
  const semi = value.indexOf(";");
  const essence = (semi < 0 ? value : value.slice(0, semi)).trim();
  return essence.length === JSON_MEDIA_TYPE.length && essence.toLowerCase() === JSON_MEDIA_TYPE;
}

function isLoopbackHost(host: string): boolean {
  let name: string;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf("]");
    name = end < 0 ? host : host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(":");
    name = colon < 0 ? host : host.slice(0, colon);
  }
  name = name.toLowerCase();
  return name === "localhost" || name === "127.0.0.1" || name === "[::1]";
}

/**
 * DNS-rebinding defence (K4). An Origin must be on the endpoint's list, compared exactly. The
 * request's own origin (from Host) is accepted only when Host is a loopback name: in a
 * rebinding attack the page's Origin and the Host header both carry the attacker's name, so
 * "same origin as Host" would let exactly that attack through. A page served by this app from
 * its public URL is covered by listing that URL in `allowed`.
 */
export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  if (host === undefined || host.length === 0 || !isLoopbackHost(host)) return false;
  return origin === `http://${host}` || origin === `https://${host}`;
}

const SENTINEL_PREFIX = "=?base64?";
const SENTINEL_SUFFIX = "?=";
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The value of an `Mcp-Name`-style header (2026-07-28): plain header-safe ASCII, or the
 * `=?base64?…?=` sentinel around the UTF-8 bytes. Null when malformed. Base64 must be canonical
 * (padded or not) and the bytes valid UTF-8, so exactly one header spelling matches a body value.
 */
export function decodeMcpHeaderValue(raw: string): string | null {
  const v = raw.trim();
  if (v.length >= SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length && v.startsWith(SENTINEL_PREFIX) && v.endsWith(SENTINEL_SUFFIX)) {
    const inner = v.slice(SENTINEL_PREFIX.length, v.length - SENTINEL_SUFFIX.length);
    const bytes = Buffer.from(inner, "base64");
    const canonical = bytes.toString("base64");
    let unpadded = canonical.length;
    while (unpadded > 0 && canonical.charCodeAt(unpadded - 1) === 61 /* = */) unpadded--;
    if (canonical !== inner && canonical.slice(0, unpadded) !== inner) return null;
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return null;
    }
  }
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return null;
  }
  return v;
}
