import type { Agent } from "undici";
import { request } from "undici";
import type { McpServer } from "@/db/schema";

/**
 * A JSON-RPC client for one upstream MCP server (Streamable HTTP), reused across calls:
 * keep-alive connections pinned to the address the outbound guard checked, one session
 * (initialize once, re-initialize when the server forgets it with a 404), and credentials
 * from the server's own auth settings, never the caller's Latchkey token (DESIGN §6). Bodies
 * are forwarded as JSON-RPC; no SDK client or server is built per call.
 */

export class UpstreamError extends Error {
  constructor(
    readonly code: "upstream_timeout" | "upstream_error",
    message: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

export type UpstreamCredentials = {
  /** Headers that authenticate this call (none, a static token, or a fresh OAuth token). */
  headers(): Promise<Record<string, string>>;
  /** The upstream refused the credential: drop any cached token so the next call gets a new one. */
  rejected(): void;
};

const PROTOCOL = "2025-11-25";
const MAX_BYTES = 4 * 1024 * 1024;
export const UPSTREAM_TIMEOUT_MS = 30_000;

type RpcResult = Record<string, unknown>;

/** The JSON-RPC response with our id, from a JSON body or an SSE stream. */
export function pickResponse(contentType: string, text: string, id: number): { result?: RpcResult; error?: { code: number; message: string } } | null {
  const messages: unknown[] = [];
  if (contentType.includes("text/event-stream")) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      if (!data) continue;
      try {
        messages.push(JSON.parse(data));
      } catch {
        // a non-JSON event is not ours
      }
    }
  } else {
    try {
      const body: unknown = JSON.parse(text);
      if (Array.isArray(body)) messages.push(...body);
      else messages.push(body);
    } catch {
      return null;
    }
  }
  for (const m of messages) {
    if (m && typeof m === "object" && (m as { id?: unknown }).id === id) return m as { result?: RpcResult; error?: { code: number; message: string } };
  }
  return null;
}

export class UpstreamClient {
  private sessionId: string | null | undefined;
  private initializing: Promise<void> | null = null;
  private nextId = 1;

  constructor(
    private readonly server: Pick<McpServer, "id" | "url" | "slug">,
    private readonly agent: Agent,
    private readonly credentials: UpstreamCredentials,
  ) {}

  close() {
    this.agent.close().catch(() => {});
  }

  private async post(body: unknown, signal: AbortSignal, withSession: boolean) {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": PROTOCOL,
      ...(await this.credentials.headers()),
    };
    if (withSession && this.sessionId) headers["mcp-session-id"] = this.sessionId;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(this.server.url, { method: "POST", headers, body: JSON.stringify(body), dispatcher: this.agent, signal });
    } catch (err) {
      if (signal.aborted) throw new UpstreamError("upstream_timeout", `${this.server.slug} did not answer in time.`);
      throw new UpstreamError("upstream_error", `${this.server.slug} could not be reached${err instanceof Error && "code" in err ? ` (${String((err as { code?: unknown }).code)})` : ""}.`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const c of res.body) {
        total += c.byteLength;
        if (total > MAX_BYTES) {
          res.body.destroy();
          throw new UpstreamError("upstream_error", `${this.server.slug} answered with more than ${MAX_BYTES} bytes.`);
        }
        chunks.push(Buffer.from(c));
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (signal.aborted) throw new UpstreamError("upstream_timeout", `${this.server.slug} did not answer in time.`);
      throw new UpstreamError("upstream_error", `${this.server.slug} broke off its answer.`);
    }
    const ct = res.headers["content-type"];
    const sid = res.headers["mcp-session-id"];
    return { status: res.statusCode, contentType: typeof ct === "string" ? ct : "", sessionId: typeof sid === "string" ? sid : null, text: Buffer.concat(chunks).toString("utf8") };
  }

  private async initialize(signal: AbortSignal) {
    const id = this.nextId++;
    const r = await this.post({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "latchkey", version: "0.1.0" } } }, signal, false);
    if (r.status === 401 || r.status === 403) {
      this.credentials.rejected();
      throw new UpstreamError("upstream_error", `${this.server.slug} refused Latchkey's credentials (HTTP ${r.status}).`);
    }
    if (r.status >= 400) throw new UpstreamError("upstream_error", `${this.server.slug} refused to initialize (HTTP ${r.status}).`);
    const msg = pickResponse(r.contentType, r.text, id);
    if (!msg?.result) throw new UpstreamError("upstream_error", `${this.server.slug} did not answer initialize.`);
    this.sessionId = r.sessionId;
    await this.post({ jsonrpc: "2.0", method: "notifications/initialized" }, signal, true);
  }

  private async ensureSession(signal: AbortSignal) {
    if (this.sessionId !== undefined) return;
    this.initializing ??= this.initialize(signal).finally(() => {
      this.initializing = null;
    });
    await this.initializing;
  }

  /**
   * One request. Retried once only when the upstream provably did not run it: the session
   * was unknown (404) or the credential was refused (401). Tool calls are never retried on
   * a timeout or a 5xx, where they may have run.
   */
  async rpc(method: string, params: Record<string, unknown>, callSignal?: AbortSignal, timeoutMs = UPSTREAM_TIMEOUT_MS): Promise<RpcResult> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callSignal ? AbortSignal.any([callSignal, timeout]) : timeout;
    for (let attempt = 0; ; attempt++) {
      await this.ensureSession(signal);
      const id = this.nextId++;
      const r = await this.post({ jsonrpc: "2.0", id, method, params }, signal, true);
      if (attempt === 0 && r.status === 404 && this.sessionId) {
        this.sessionId = undefined;
        continue;
      }
      if (attempt === 0 && r.status === 401) {
        this.credentials.rejected();
        this.sessionId = undefined;
        continue;
      }
      if (r.status >= 400) throw new UpstreamError("upstream_error", `${this.server.slug} answered HTTP ${r.status}.`);
      const msg = pickResponse(r.contentType, r.text, id);
      if (!msg) throw new UpstreamError("upstream_error", `${this.server.slug} sent no answer to ${method}.`);
      if (msg.error) throw new UpstreamError("upstream_error", `${this.server.slug}: ${String(msg.error.message).slice(0, 500)}`);
      return msg.result ?? {};
    }
  }
}
