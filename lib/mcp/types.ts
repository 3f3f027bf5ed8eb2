/**
 * The MCP data plane's contract (DESIGN §4, §8). The protocol core (`handleMcp`) is
 * framework-free: it takes a minimal request shape that both a Web `Request` (App Router
 * route handlers) and Node's `IncomingMessage` (the production server's direct mount) adapt to,
 * and talks to whatever serves the tools through `McpBackend`.
 */

export type McpHttpRequest = {
  method: string;
  /** Path and query, e.g. `/mcp/i/abc?x=1`. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The raw body (already size-capped by the adapter), or null. */
  body: string | null;
  /**
   * Aborts when the client goes away before the answer is written. In the modern era closing
   * the response stream is how a client cancels a request, so a tool call in flight is stopped.
   */
  signal?: AbortSignal;
};

export type McpHttpResponse = {
  status: number;
  headers: Record<string, string>;
  /** JSON or SSE text; empty for 202/204/405. */
  body: string;
};

/** A tool as `tools/list` shows it. */
export type McpTool = {
  name: string;
  title?: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
};

export type McpContent = { type: "text"; text: string };

export type McpCallResult = {
  content: McpContent[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/**
 * Thrown by a backend to answer with an HTTP status and a JSON-RPC error instead of a result
 * (e.g. 403 `unauthorized_tool`: the tool is not in the pack).
 */
export class McpHttpError extends Error {
  constructor(
    readonly status: number,
    readonly rpc: { code: number; message: string; data?: Record<string, unknown> },
  ) {
    super(rpc.message);
    this.name = "McpHttpError";
  }
}

/**
 * Thrown by a backend to answer a request with a plain HTTP error of its own (status, JSON
 * body, extra headers) instead of a JSON-RPC message: for gateways whose clients expect one,
 * such as a 401 that names the accounts the user must connect.
 */
export class McpPlainHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
    this.name = "McpPlainHttpError";
  }
}

export interface McpBackend {
  serverInfo: { name: string; title?: string; version: string };
  instructions?: string;
  listTools(): Promise<McpTool[]>;
  callTool(name: string, args: Record<string, unknown>, ctx: { signal: AbortSignal; requestId: string | number }): Promise<McpCallResult>;
}

/** Legacy-era sessions: minted and checked by the core; termination is remembered by the caller's store. */
export interface McpSessionStore {
  isTerminated(sessionId: string): Promise<boolean>;
  terminate(sessionId: string): Promise<void>;
}

export type McpEndpoint = {
  backend: McpBackend;
  /**
   * What a session is bound to: environment, principal and tool set (e.g. `env:principal:pack:user`).
   * A session id minted for one binding is refused (404) under another (check T3).
   */
  binding: string;
  /** HMAC key for session ids (32+ bytes). Same on every replica, so any replica serves any session. */
  sessionSecret: Uint8Array;
  sessions: McpSessionStore;
  /**
   * Origins allowed to call (CORS/DNS-rebinding). A request with an Origin header not in this
   * list gets 403; requests without Origin (server-side agents) are allowed.
   */
  allowedOrigins: string[];
};

export const LEGACY_VERSIONS = ["2025-06-18", "2025-11-25"] as const;
export const MODERN_VERSIONS = ["2026-07-28"] as const;
