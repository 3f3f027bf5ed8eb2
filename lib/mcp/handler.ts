import { randomUUID } from "node:crypto";
import { log } from "@/lib/log";
import { withSpan } from "@/lib/tracing";
import { decodeMcpHeaderValue, isJsonContentType, originAllowed, prefersEventStream } from "@/lib/mcp/http-headers";
import {
  errorBody,
  HEADER_MISMATCH,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  isPlainObject,
  isProblem,
  isValidId,
  METHOD_NOT_FOUND,
  parseBody,
  REQUEST_CANCELLED,
  resultBody,
  SESSION_NOT_FOUND,
  TRANSPORT_ERROR,
  UNSUPPORTED_PROTOCOL_VERSION,
  type JsonRpcId,
  type RpcMessage,
} from "@/lib/mcp/json-rpc";
import { mintSessionId, verifySessionId, type SessionClaims } from "@/lib/mcp/session-id";
import {
  LEGACY_VERSIONS,
  MODERN_VERSIONS,
  McpHttpError,
  McpPlainHttpError,
  type McpEndpoint,
  type McpHttpRequest,
  type McpHttpResponse,
} from "@/lib/mcp/types";

/**
 * The MCP Streamable HTTP server for both protocol eras, over a framework-free request shape
 * (DESIGN §4, §8). Stateless: legacy sessions live in their own signed ids and in the caller's
 * store of ended sessions, so any replica answers any request.
 *
 * - Legacy (2025-03-26, 2025-06-18, 2025-11-25): `initialize` mints an `Mcp-Session-Id`; later
 *   POSTs carry it; DELETE ends it; GET is 405 (no standalone stream). JSON or a one-event SSE
 *   stream, as the client's Accept prefers.
 * - Modern (2026-07-28): POST only, no sessions; every request carries its version in `_meta`
 *   and mirrors method and name in `Mcp-Method`/`Mcp-Name`, checked against the body.
 *
 * It never throws; every refusal is a JSON-RPC error body.
 */

export const MAX_JSON_DEPTH = 64;

const MODERN = new Set<string>(MODERN_VERSIONS);
/** 2025-03-26 is still served: it is what a request without MCP-Protocol-Version is assumed to be. */
const LEGACY = new Set<string>([...LEGACY_VERSIONS, "2025-03-26"]);
const LATEST_LEGACY: string = LEGACY_VERSIONS[LEGACY_VERSIONS.length - 1]!;
const SUPPORTED_VERSIONS: string[] = [...MODERN_VERSIONS, ...[...LEGACY_VERSIONS].reverse(), "2025-03-26"];
/** SSE priming events (an id and no data) arrived with 2025-11-25. */
const PRIMING_VERSION = "2025-11-25";

const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
const SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo";

/**
 * Cache hints on modern list results (SEP-2549). The tool list depends on the pack and user, so
 * it is private; it changes only when someone edits the pack, and we have no list_changed
 * channel, so a short freshness keeps edits visible within a minute.
 */
const TOOLS_TTL_MS = 60_000;
const DISCOVER_TTL_MS = 300_000;

const LEGACY_CAPABILITIES = { tools: { listChanged: false } };
const MODERN_CAPABILITIES = { tools: {} };

const EXPOSE_HEADERS = "Mcp-Session-Id, MCP-Protocol-Version";
const ALLOW_LEGACY = "POST, DELETE, OPTIONS";
const ALLOW_MODERN = "POST, OPTIONS";
const DEFAULT_ALLOWED_HEADERS =
  "content-type, accept, authorization, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id";

type Call = { req: McpHttpRequest; ep: McpEndpoint; cors: string | null };
type Session = { sid: string; claims: SessionClaims };
type Outcome = { status: number; body: string; headers?: Record<string, string> };

function baseHeaders(cors: string | null): Record<string, string> {
  return cors === null
    ? { "cache-control": "no-store", "access-control-expose-headers": EXPOSE_HEADERS }
    : {
        "cache-control": "no-store",
        "access-control-expose-headers": EXPOSE_HEADERS,
        "access-control-allow-origin": cors,
        vary: "Origin",
      };
}

function json(status: number, body: string, cors: string | null): McpHttpResponse {
  const headers = baseHeaders(cors);
  headers["content-type"] = "application/json";
  return { status, headers, body };
}

function empty(status: number, cors: string | null, allow?: string): McpHttpResponse {
  const headers = baseHeaders(cors);
  if (allow !== undefined) headers.allow = allow;
  return { status, headers, body: "" };
}

/** 200 answers go as SSE when the client prefers it; refusals stay plain JSON. */
function deliver(call: Call, out: Outcome, primed: boolean): McpHttpResponse {
  if (out.headers) {
    // A backend's own HTTP error (McpPlainHttpError): its headers, ours (type, CORS) over them.
    const res = json(out.status, out.body, call.cors);
    return { ...res, headers: { ...out.headers, ...res.headers } };
  }
  if (out.status !== 200 || !prefersEventStream(call.req.headers.accept)) return json(out.status, out.body, call.cors);
  const headers = baseHeaders(call.cors);
  headers["content-type"] = "text/event-stream";
  headers["x-accel-buffering"] = "no";
  const message = `event: message\ndata: ${out.body}\n\n`;
  return { status: 200, headers, body: primed ? `id: ${randomUUID()}\ndata:\n\n${message}` : message };
}

function header(req: McpHttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : v.trim();
}

/** An oversized body; the adapters detect it, the caller answers with this. */
export function tooLargeResponse(): McpHttpResponse {
  return json(413, errorBody(undefined, INVALID_REQUEST, "Invalid Request: the body is too large"), null);
}

/** Answers one HTTP request to an MCP endpoint. Never throws. */
export async function handleMcp(req: McpHttpRequest, ep: McpEndpoint): Promise<McpHttpResponse> {
  let cors: string | null = null;
  try {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!originAllowed(origin, req.headers.host, ep.allowedOrigins)) {
        return json(403, errorBody(undefined, TRANSPORT_ERROR, "Forbidden: requests from this Origin are not allowed"), null);
      }
      cors = origin;
    }
    const call: Call = { req, ep, cors };
    switch (req.method) {
      case "POST":
        return await post(call);
      case "DELETE":
        return await terminate(call);
      case "OPTIONS":
        return preflight(call);
      default:
        // GET included: we offer no standalone SSE stream, which the legacy spec allows.
        return empty(405, cors, ALLOW_LEGACY);
    }
  } catch (err) {
    log.error("mcp request failed", { err });
    return json(500, errorBody(undefined, INTERNAL_ERROR, "Internal error"), cors);
  }
}

function isHeaderList(v: string): boolean {
  if (v.length === 0 || v.length > 1000) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 44 || c === 32;
    if (!ok) return false;
  }
  return true;
}

function preflight(call: Call): McpHttpResponse {
  const res = empty(204, call.cors, ALLOW_LEGACY);
  if (call.cors !== null) {
    const requested = call.req.headers["access-control-request-headers"];
    res.headers["access-control-allow-methods"] = ALLOW_LEGACY;
    // Echoing the request keeps `Mcp-Param-*` headers (named per tool) working for allowed origins.
    res.headers["access-control-allow-headers"] = requested !== undefined && isHeaderList(requested) ? requested : DEFAULT_ALLOWED_HEADERS;
    res.headers["access-control-max-age"] = "600";
  }
  return res;
}

function unsupportedVersion(call: Call, id: JsonRpcId | undefined, requested: string): McpHttpResponse {
  const body = errorBody(id, UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", {
    supported: SUPPORTED_VERSIONS,
    requested: requested.slice(0, 100),
  });
  return json(400, body, call.cors);
}

function headerMismatch(call: Call, id: JsonRpcId | undefined, message: string): McpHttpResponse {
  return json(400, errorBody(id, HEADER_MISMATCH, `Header mismatch: ${message}`), call.cors);
}

async function session(call: Call, id: JsonRpcId | undefined): Promise<Session | McpHttpResponse> {
  const sid = call.req.headers["mcp-session-id"];
  if (sid === undefined || sid.length === 0) {
    return json(400, errorBody(id, TRANSPORT_ERROR, "Bad Request: the Mcp-Session-Id header is required; send initialize first"), call.cors);
  }
  const notFound = () => json(404, errorBody(id, SESSION_NOT_FOUND, "Session not found; send initialize to start a new one"), call.cors);
  // The signature is checked first, so forged ids never reach the store.
  const claims = verifySessionId(sid, call.ep.sessionSecret, call.ep.binding);
  if (claims === null) return notFound();
  let ended: boolean;
  try {
    ended = await call.ep.sessions.isTerminated(sid);
  } catch (err) {
    return storeUnavailable(call, id, err);
  }
  return ended ? notFound() : { sid, claims };
}

function storeUnavailable(call: Call, id: JsonRpcId | undefined, err: unknown): McpHttpResponse {
  log.error("mcp session store failed", { err });
  const res = json(503, errorBody(id, INTERNAL_ERROR, "Service unavailable; retry shortly"), call.cors);
  res.headers["retry-after"] = "1";
  return res;
}

async function terminate(call: Call): Promise<McpHttpResponse> {
  const pv = header(call.req, "mcp-protocol-version");
  if (pv !== undefined) {
    if (MODERN.has(pv)) return empty(405, call.cors, ALLOW_MODERN);
    if (!LEGACY.has(pv)) return unsupportedVersion(call, undefined, pv);
  }
  const s = await session(call, undefined);
  if (!("sid" in s)) return s;
  try {
    await call.ep.sessions.terminate(s.sid);
  } catch (err) {
    return storeUnavailable(call, undefined, err);
  }
  return empty(200, call.cors);
}

function envelopeVersion(params: Record<string, unknown> | undefined): string | undefined {
  const meta = params?._meta;
  if (!isPlainObject(meta)) return undefined;
  const v = meta[PROTOCOL_VERSION_KEY];
  return typeof v === "string" ? v : undefined;
}

/**
 * Picks the era. The body's `_meta` version claim decides, with MCP-Protocol-Version as a
 * cross-check; without a claim the header decides; with neither it is a legacy client (an
 * `initialize`, or a pre-2025-06-18 client that never sent the header). A dual-era client
 * probing with a modern request therefore always gets either a modern answer or a recognised
 * modern error (-32020, -32022), never a legacy refusal it would mistake for a legacy server.
 */
async function post(call: Call): Promise<McpHttpResponse> {
  if (!isJsonContentType(call.req.headers["content-type"])) {
    return json(415, errorBody(undefined, TRANSPORT_ERROR, "Unsupported Media Type: Content-Type must be application/json"), call.cors);
  }
  const m = parseBody(call.req.body, MAX_JSON_DEPTH);
  if (isProblem(m)) return json(400, errorBody(m.id, m.code, m.message), call.cors);
  const id = m.kind === "request" ? m.id : undefined;
  const headerPv = header(call.req, "mcp-protocol-version");
  const claim = m.kind === "response" ? undefined : envelopeVersion(m.params);

  if (claim !== undefined && !LEGACY.has(claim)) {
    if (headerPv === undefined) {
      // Notifications are exempt from the header requirement (2026-07-28 defines none over HTTP).
      if (m.kind === "request") return headerMismatch(call, id, "the MCP-Protocol-Version header is required");
    } else if (headerPv !== claim) {
      return headerMismatch(call, id, "MCP-Protocol-Version does not match params._meta");
    }
    if (!MODERN.has(claim)) return unsupportedVersion(call, id, claim);
    return modern(call, m, claim);
  }
  if (headerPv !== undefined) {
    if (MODERN.has(headerPv)) return modern(call, m, headerPv);
    if (!LEGACY.has(headerPv)) return unsupportedVersion(call, id, headerPv);
    if (claim !== undefined && claim !== headerPv) return headerMismatch(call, id, "MCP-Protocol-Version does not match params._meta");
  }
  return legacy(call, m, headerPv);
}

// ---------------------------------------------------------------------------------------------
// Legacy era

/** In-flight legacy tool calls on this replica, so `notifications/cancelled` can stop them. */
const inFlight = new Map<string, AbortController>();

const inFlightKey = (sid: string, id: JsonRpcId) => `${sid}\n${typeof id === "number" ? "n" : "s"}${id}`;

async function legacy(call: Call, m: RpcMessage, headerPv: string | undefined): Promise<McpHttpResponse> {
  if (m.kind === "request" && m.method === "initialize") return initialize(call, m.id, m.params);
  const s = await session(call, m.kind === "request" ? m.id : undefined);
  if (!("sid" in s)) return s;
  if (m.kind === "response") return empty(202, call.cors);
  if (m.kind === "notification") {
    if (m.method === "notifications/cancelled") {
      const requestId = m.params?.requestId;
      // Keyed by the verified session id, so one session cannot cancel another's calls.
      if (isValidId(requestId)) inFlight.get(inFlightKey(s.sid, requestId))?.abort();
    }
    return empty(202, call.cors);
  }
  // Without the header the version is inferred from the session (the spec's 2025-03-26
  // default applies only when nothing tells us better).
  const primed = (headerPv ?? s.claims.protocolVersion) === PRIMING_VERSION;
  switch (m.method) {
    case "ping":
      return deliver(call, { status: 200, body: resultBody(m.id, "{}") }, primed);
    case "tools/list":
      return deliver(call, await listTools(call, m.id, false), primed);
    case "tools/call": {
      const key = inFlightKey(s.sid, m.id);
      const controller = new AbortController();
      inFlight.set(key, controller);
      try {
        // A dropped connection is not a cancellation in this era; only notifications/cancelled is.
        return deliver(call, await callTool(call, m.id, m.params, controller.signal, false), primed);
      } finally {
        if (inFlight.get(key) === controller) inFlight.delete(key);
      }
    }
    default:
      return deliver(call, { status: 200, body: errorBody(m.id, METHOD_NOT_FOUND, "Method not found") }, primed);
  }
}

function initialize(call: Call, id: JsonRpcId, params: Record<string, unknown> | undefined): McpHttpResponse {
  const requested = params?.protocolVersion;
  if (typeof requested !== "string") {
    return deliver(call, { status: 200, body: errorBody(id, INVALID_PARAMS, "Invalid params: protocolVersion must be a string") }, false);
  }
  const version = LEGACY.has(requested) ? requested : LATEST_LEGACY;
  const { serverInfo, instructions } = call.ep.backend;
  const result = JSON.stringify({
    protocolVersion: version,
    capabilities: LEGACY_CAPABILITIES,
    serverInfo,
    ...(instructions ? { instructions } : {}),
  });
  const res = deliver(call, { status: 200, body: resultBody(id, result) }, version === PRIMING_VERSION);
  res.headers["mcp-session-id"] = mintSessionId(call.ep.sessionSecret, call.ep.binding, version);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Modern era

function invalidEnvelope(call: Call, id: JsonRpcId, message: string): McpHttpResponse {
  return json(400, errorBody(id, INVALID_PARAMS, `Invalid params: ${message}`), call.cors);
}

/** Which params field `Mcp-Name` mirrors, per method. */
function nameSource(method: string): "name" | "uri" | undefined {
  switch (method) {
    case "tools/call":
    case "prompts/get":
      return "name";
    case "resources/read":
      return "uri";
    default:
      return undefined;
  }
}

const neverAborted = new AbortController().signal;

async function modern(call: Call, m: RpcMessage, version: string): Promise<McpHttpResponse> {
  if (m.kind === "response") {
    return json(400, errorBody(undefined, INVALID_REQUEST, "Invalid Request: clients do not send responses in this protocol version"), call.cors);
  }
  if (m.kind === "notification") return empty(202, call.cors);
  const { id, method } = m;
  const params = m.params;
  const meta = params?._meta;
  if (!isPlainObject(meta)) return invalidEnvelope(call, id, "params._meta is required");
  const pv = meta[PROTOCOL_VERSION_KEY];
  if (typeof pv !== "string") return invalidEnvelope(call, id, `params._meta["${PROTOCOL_VERSION_KEY}"] is required`);
  if (pv !== version) return headerMismatch(call, id, "MCP-Protocol-Version does not match params._meta");
  if (!isPlainObject(meta[CLIENT_CAPABILITIES_KEY])) return invalidEnvelope(call, id, `params._meta["${CLIENT_CAPABILITIES_KEY}"] must be an object`);
  const info = meta[CLIENT_INFO_KEY];
  if (info !== undefined && !isPlainObject(info)) return invalidEnvelope(call, id, `params._meta["${CLIENT_INFO_KEY}"] must be an object`);

  // The headers exist so intermediaries can route and enforce policy without reading the body;
  // a header that disagrees with the body would let them be steered.
  const methodHeader = header(call.req, "mcp-method");
  if (methodHeader === undefined) return headerMismatch(call, id, "the Mcp-Method header is required");
  if (methodHeader !== method) return headerMismatch(call, id, "Mcp-Method does not match the body's method");
  const field = nameSource(method);
  if (field !== undefined) {
    const bodyName = params?.[field];
    const nameHeader = call.req.headers["mcp-name"];
    if (typeof bodyName === "string") {
      if (nameHeader === undefined) return headerMismatch(call, id, "the Mcp-Name header is required");
      if (decodeMcpHeaderValue(nameHeader) !== bodyName) return headerMismatch(call, id, `Mcp-Name does not match params.${field}`);
    } else if (nameHeader !== undefined) {
      return headerMismatch(call, id, `Mcp-Name is set but params.${field} is not a string`);
    }
  }

  switch (method) {
    case "server/discover":
      return deliver(call, discover(call, id), false);
    case "tools/list":
      return deliver(call, await listTools(call, id, true), false);
    case "tools/call":
      // Closing the response stream is how a modern client cancels.
      return deliver(call, await callTool(call, id, params, call.req.signal ?? neverAborted, true), false);
    default:
      // initialize and ping are among the methods this version removed.
      return json(404, errorBody(id, METHOD_NOT_FOUND, "Method not found"), call.cors);
  }
}

function discover(call: Call, id: JsonRpcId): Outcome {
  const { serverInfo, instructions } = call.ep.backend;
  const result = JSON.stringify({
    resultType: "complete",
    supportedVersions: SUPPORTED_VERSIONS,
    capabilities: MODERN_CAPABILITIES,
    ...(instructions ? { instructions } : {}),
    _meta: { [SERVER_INFO_KEY]: serverInfo },
    ttlMs: DISCOVER_TTL_MS,
    cacheScope: "private",
  });
  return { status: 200, body: resultBody(id, result) };
}

// ---------------------------------------------------------------------------------------------
// Methods shared by both eras

async function listTools(call: Call, id: JsonRpcId, modernEra: boolean): Promise<Outcome> {
  try {
    const tools = await call.ep.backend.listTools();
    const result = modernEra
      ? JSON.stringify({ tools, ttlMs: TOOLS_TTL_MS, cacheScope: "private", resultType: "complete" })
      : JSON.stringify({ tools });
    return { status: 200, body: resultBody(id, result) };
  } catch (err) {
    return backendFailure(err, id, neverAborted, { op: "tools/list" });
  }
}

async function callTool(
  call: Call,
  id: JsonRpcId,
  params: Record<string, unknown> | undefined,
  signal: AbortSignal,
  modernEra: boolean,
): Promise<Outcome> {
  const name = params?.name;
  if (typeof name !== "string") return { status: 200, body: errorBody(id, INVALID_PARAMS, "Invalid params: params.name must be a string") };
  const rawArgs = params?.arguments;
  let args: Record<string, unknown>;
  if (rawArgs === undefined) args = {};
  else if (isPlainObject(rawArgs)) args = rawArgs;
  else return { status: 200, body: errorBody(id, INVALID_PARAMS, "Invalid params: params.arguments must be an object") };
  try {
    const result = await withSpan("mcp.tools/call", { "mcp.tool": name }, () => call.ep.backend.callTool(name, args, { signal, requestId: id }));
    const out = JSON.stringify(modernEra ? { ...result, resultType: "complete" } : result);
    return { status: 200, body: resultBody(id, out) };
  } catch (err) {
    return backendFailure(err, id, signal, { op: "tools/call", tool: name.slice(0, 200) });
  }
}

function backendFailure(err: unknown, id: JsonRpcId, signal: AbortSignal, where: Record<string, string>): Outcome {
  if (err instanceof McpPlainHttpError) {
    const s = err.status;
    return { status: Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500, body: JSON.stringify(err.body), headers: err.headers };
  }
  if (err instanceof McpHttpError) {
    const s = err.status;
    const status = Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500;
    return { status, body: errorBody(id, err.rpc.code, err.rpc.message, err.rpc.data) };
  }
  if (signal.aborted) return { status: 200, body: errorBody(id, REQUEST_CANCELLED, "Request cancelled") };
  // The client learns only that it failed; the log gets where (serializeError keeps no stack).
  log.error("mcp backend failed", { ...where, err });
  return { status: 200, body: errorBody(id, INTERNAL_ERROR, "Internal error") };
}
