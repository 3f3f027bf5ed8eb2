/**
 * JSON-RPC 2.0 framing for the MCP core: a cheap nesting pre-scan, one-message validation by
 * hand (this runs on every call; a schema library would cost more than the rest of the path),
 * and response encoders that build strings directly.
 */

export type JsonRpcId = string | number;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Implementation-defined (-32000..-32019): refused at the transport (Origin, missing session header). */
export const TRANSPORT_ERROR = -32000;
/** Implementation-defined: the session id is unknown, forged, expired, ended or bound elsewhere. */
export const SESSION_NOT_FOUND = -32001;
/** 2026-07-28 HeaderMismatch. */
export const HEADER_MISMATCH = -32020;
/** 2026-07-28 UnsupportedProtocolVersionError. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;
/** What LSP and several MCP SDKs answer for a request the client cancelled. */
export const REQUEST_CANCELLED = -32800;

/** JSON-RPC 2.0 batches were removed from MCP in 2025-06-18, so a body is one message. */
export type RpcMessage =
  | { kind: "request"; id: JsonRpcId; method: string; params: Record<string, unknown> | undefined }
  | { kind: "notification"; method: string; params: Record<string, unknown> | undefined }
  | { kind: "response"; id: JsonRpcId | null };

export type RpcProblem = { code: number; message: string; id: JsonRpcId | undefined };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isValidId(v: unknown): v is JsonRpcId {
  return typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v));
}

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * True when `text` opens more than `max` arrays/objects at once. One pass, no allocation: the
 * point is to refuse a 10^4-deep body before JSON.parse builds it and before anything walks it
 * recursively (JSON.stringify of such a value overflows the stack). String contents are skipped
 * with indexOf, so brackets inside strings never count. Malformed JSON may be miscounted; the
 * parser rejects it right after.
 */
export function exceedsDepth(text: string, max: number): boolean {
  // A value nested past `max` needs more than `max` opening characters.
  if (text.length <= max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Jump to the closing quote: the first one preceded by an even run of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return false;
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Validates one parsed JSON value as an MCP JSON-RPC message (request, notification or response). */
export function toMessage(value: unknown): RpcMessage | RpcProblem {
  if (Array.isArray(value)) {
    return { code: INVALID_REQUEST, message: "Invalid Request: batches are not supported; send one JSON-RPC message per request", id: undefined };
  }
  if (!isPlainObject(value)) return { code: INVALID_REQUEST, message: "Invalid Request: the body must be a JSON-RPC object", id: undefined };
  const rawId = value.id;
  const hasId = rawId !== undefined;
  const id = isValidId(rawId) ? rawId : undefined;
  if (value.jsonrpc !== "2.0") return { code: INVALID_REQUEST, message: 'Invalid Request: "jsonrpc" must be "2.0"', id };
  if (hasId && id === undefined && !(rawId === null && value.method === undefined && value.error !== undefined)) {
    return { code: INVALID_REQUEST, message: "Invalid Request: id must be a string or a safe integer", id: undefined };
  }
  const method = value.method;
  if (method !== undefined) {
    if (typeof method !== "string") return { code: INVALID_REQUEST, message: "Invalid Request: method must be a string", id };
    const params = value.params;
    if (params !== undefined && !isPlainObject(params)) return { code: INVALID_REQUEST, message: "Invalid Request: params must be an object", id };
    return id === undefined ? { kind: "notification", method, params } : { kind: "request", id, method, params };
  }
  const hasResult = value.result !== undefined;
  const hasError = value.error !== undefined;
  if (hasId && hasResult !== hasError) return { kind: "response", id: id ?? null };
  return { code: INVALID_REQUEST, message: "Invalid Request: not a JSON-RPC request, notification or response", id };
}

export function isProblem(m: RpcMessage | RpcProblem): m is RpcProblem {
  return (m as RpcProblem).code !== undefined;
}

/** Parses a request body; every failure is a JSON-RPC problem, never a throw. */
export function parseBody(body: string | null, maxDepth: number): RpcMessage | RpcProblem {
  if (body === null || body.length === 0) return { code: PARSE_ERROR, message: "Parse error: the body is empty", id: undefined };
  if (exceedsDepth(body, maxDepth)) {
    return { code: INVALID_REQUEST, message: `Invalid Request: JSON nested deeper than ${maxDepth} levels`, id: undefined };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { code: PARSE_ERROR, message: "Parse error: the body is not valid JSON", id: undefined };
  }
  return toMessage(value);
}

function encodeId(id: JsonRpcId): string {
  return typeof id === "number" ? String(id) : JSON.stringify(id);
}

/** `resultJson` is already-serialized JSON. */
export function resultBody(id: JsonRpcId, resultJson: string): string {
  return `{"jsonrpc":"2.0","id":${encodeId(id)},"result":${resultJson}}`;
}

/**
 * An error response. MCP's schema has no null id, so an error about a message whose id is
 * unknown carries none (the transport spec allows that).
 */
export function errorBody(id: JsonRpcId | undefined, code: number, message: string, data?: Record<string, unknown>): string {
  const error = JSON.stringify(data === undefined ? { code, message } : { code, message, data });
  return id === undefined ? `{"jsonrpc":"2.0","error":${error}}` : `{"jsonrpc":"2.0","id":${encodeId(id)},"error":${error}}`;
}
