import type { Agent } from "undici";
import { request } from "undici";
import type { McpServer } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { insufficientScopeChallenge, MAX_AUTHORIZATIONS } from "@/lib/mcp-servers/scopes";
import { DEFAULT_GUARD, GuardError, guardFor, type UpstreamGuard } from "@/lib/mcp-servers/upstream-guard";

/**
 * A JSON-RPC client for one upstream MCP server (Streamable HTTP), reused across calls:
 * keep-alive connections pinned to the address the outbound guard checked, and credentials
 * from the server's own auth settings, never the caller's Latchkey token (DESIGN §6). Bodies
 * are forwarded as JSON-RPC; no SDK client or server is built per call.
 *
 * Both protocol eras (MCP-TESTING §1.1, §1.2): it first asks `server/discover` (modern,
 * 2026-07-28, stateless: version and capabilities in every request's `_meta`, method and name
 * mirrored in headers); a server that does not answer it gets `initialize` (legacy, one
 * `Mcp-Session-Id` reused for every call, re-initialized once when the server forgets it with
 * a 404). The era found is remembered for the life of the client.
 *
 * Resilience (checks F4, F5): a per-call timeout that aborts the HTTP request (and, in a legacy
 * session, tells the upstream with `notifications/cancelled`); retries with backoff only for
 * idempotent reads (discover, initialize, tools/list), never for tools/call; a circuit breaker
 * and a concurrency cap per upstream (upstream-guard.ts). Error messages name the server and
 * the status only: no upstream headers, and any credential value is scrubbed from them.
 */

/** `tool_definition_changed` is raised before any I/O, by the trust check (tools.ts). */
export type UpstreamErrorCode = "upstream_timeout" | "upstream_error" | "upstream_unavailable" | "upstream_busy" | "tool_definition_changed" | "audit_unavailable" | "insufficient_scope";

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    /** The upstream misbehaved (unreachable, 5xx, timeout, garbage): counts toward its breaker; a read may be retried. */
    readonly transient = false,
    /** The upstream refused the request at the HTTP level with a JSON-RPC error (e.g. 400 -32021): a gateway passes it on as such. */
    readonly refusal?: { status: number; code: number; message: string; data?: Record<string, unknown> },
    /** insufficient_scope: the scopes the upstream's 403 challenge asked for. */
    readonly requiredScopes?: string[],
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
  /**
   * The upstream wants more scopes (403 insufficient_scope). True when a wider token can be had
   * without a person (client credentials): the next headers() carry it. Absent or false: the
   * refusal goes to the caller, who must have someone authorize again.
   */
  stepUp?(challenged: string[]): boolean;
};

export const LEGACY_PROTOCOL = "2025-11-25";
export const MODERN_PROTOCOL = "2026-07-28";
const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
const CLIENT_INFO = { name: "latchkey", version: "0.1.0" };

const MAX_BYTES = 4 * 1024 * 1024;
/** Reads that change nothing upstream, so a retry after a transient failure is safe. */
const IDEMPOTENT = new Set(["server/discover", "initialize", "tools/list", "resources/list", "prompts/list"]);
const READ_RETRIES = 2;
const RETRY_BASE_MS = 100;

export type Era = "modern" | "legacy";

export type UpstreamClientOptions = {
  timeoutMs?: number;
  guard?: UpstreamGuard;
  /** Skip negotiation (a server known to speak one era). */
  era?: Era;
};

type RpcResult = Record<string, unknown>;
type RpcMessage = { result?: RpcResult; error?: { code: number; message: string } };

/** The JSON-RPC response with our id, from a JSON body or an SSE stream. */
export function pickResponse(contentType: string, text: string, id: number): RpcMessage | null {
  const messages: unknown[] = [];
  if (contentType.includes("text/event-stream")) {
    for (const data of sseData(text)) {
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
    if (m && typeof m === "object" && (m as { id?: unknown }).id === id) return m as RpcMessage;
  }
  return null;
}

/** The data of each complete SSE event (an event ends at a blank line). */
function sseData(text: string): string[] {
  const out: string[] = [];
  const events = text.split(/\r?\n\r?\n/);
  // The last piece has no blank line after it: an event still arriving, or a truncated one.
  events.pop();
  for (const event of events) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""))
      .join("\n");
    if (data) out.push(data);
  }
  return out;
}

/** Header values must be visible ASCII; anything else goes as the spec's base64 sentinel. */
export function encodeMcpHeaderValue(v: string): string {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(v) && !v.startsWith("=?base64?")) return v;
  return `=?base64?${Buffer.from(v, "utf8").toString("base64")}?=`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

type Posted = { status: number; contentType: string; sessionId: string | null; wwwAuthenticate: string | null; message: RpcMessage | null; text: string };

export class UpstreamClient {
  private sessionId: string | null | undefined;
  private era: Era | undefined;
  private negotiating: Promise<void> | null = null;
  private nextId = 1;
  private readonly guard: UpstreamGuard;
  private readonly timeoutMs: number;
  /** Credential values sent lately: scrubbed from any message that reaches a caller. */
  private secrets: string[] = [];

  constructor(
    private readonly server: Pick<McpServer, "id" | "url" | "slug">,
    private readonly agent: Agent,
    private readonly credentials: UpstreamCredentials,
    options: UpstreamClientOptions = {},
  ) {
    const env = getEnv();
    this.guard = options.guard ?? guardFor(server.id, server.slug, { ...DEFAULT_GUARD, maxConcurrent: env.LATCHKEY_UPSTREAM_CONCURRENCY });
    this.timeoutMs = options.timeoutMs ?? env.LATCHKEY_UPSTREAM_TIMEOUT_MS;
    this.era = options.era;
  }

  /** The era in use, once known. */
  get protocolEra(): Era | undefined {
    return this.era;
  }

  close() {
    const sid = this.sessionId;
    // Ending a legacy session is polite and optional; do not wait for it.
    if (this.era === "legacy" && sid) {
      void this.authHeaders()
        .then((auth) => request(this.server.url, { method: "DELETE", headers: { ...auth, "mcp-session-id": sid, "mcp-protocol-version": LEGACY_PROTOCOL }, dispatcher: this.agent, signal: AbortSignal.timeout(2_000) }))
        .then((r) => r.body.dump())
        .catch(() => {})
        .finally(() => this.agent.close().catch(() => {}));
      return;
    }
    this.agent.close().catch(() => {});
  }

  private scrub(message: string): string {
    let out = message;
    for (const s of this.secrets) if (s.length >= 6) out = out.split(s).join("[redacted]");
    return out.slice(0, 500);
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const h = await this.credentials.headers();
    this.secrets = Object.values(h).flatMap((v) => [v, v.replace(/^Bearer\s+/i, "")]);
    return h;
  }

  private fail(code: UpstreamErrorCode, message: string, transient: boolean, refusal?: UpstreamError["refusal"]): UpstreamError {
    return new UpstreamError(code, this.scrub(message), transient, refusal);
  }

  /** One POST; reads JSON or SSE up to our response, then stops reading. */
  private async post(body: { id?: number; method: string; params?: Record<string, unknown> }, signal: AbortSignal, era: Era, withSession: boolean): Promise<Posted> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": era === "modern" ? MODERN_PROTOCOL : LEGACY_PROTOCOL,
      ...(await this.authHeaders()),
    };
    if (era === "modern") {
      headers["mcp-method"] = body.method;
      const name = body.params?.name ?? (body.method === "resources/read" ? body.params?.uri : undefined);
      if (typeof name === "string" && ["tools/call", "prompts/get", "resources/read"].includes(body.method)) headers["mcp-name"] = encodeMcpHeaderValue(name);
    } else if (withSession && this.sessionId) headers["mcp-session-id"] = this.sessionId;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(this.server.url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", ...body }), dispatcher: this.agent, signal });
    } catch (err) {
      if (signal.aborted) throw this.fail("upstream_timeout", `${this.server.slug} did not answer in time.`, true);
      const code = err && typeof err === "object" && "code" in err ? ` (${String((err as { code?: unknown }).code)})` : "";
      throw this.fail("upstream_error", `${this.server.slug} could not be reached${code}.`, true);
    }
    const ct = res.headers["content-type"];
    const contentType = typeof ct === "string" ? ct : "";
    const sid = res.headers["mcp-session-id"];
    const sse = contentType.includes("text/event-stream");
    const chunks: Buffer[] = [];
    let total = 0;
    let message: RpcMessage | null = null;
    try {
      for await (const c of res.body) {
        total += c.byteLength;
        if (total > MAX_BYTES) {
          res.body.destroy();
          throw this.fail("upstream_error", `${this.server.slug} answered with more than ${MAX_BYTES} bytes.`, true);
        }
        chunks.push(Buffer.from(c));
        // An SSE stream may stay open after our answer (notifications, keep-alives): stop at the answer.
        if (sse && body.id !== undefined) {
          message = pickResponse(contentType, Buffer.concat(chunks).toString("utf8"), body.id);
          if (message) {
            res.body.destroy();
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (signal.aborted) throw this.fail("upstream_timeout", `${this.server.slug} did not answer in time.`, true);
      throw this.fail("upstream_error", `${this.server.slug} broke off its answer.`, true);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (!message && body.id !== undefined) message = pickResponse(contentType, text, body.id);
    const challenge = res.headers["www-authenticate"];
    return { status: res.statusCode, contentType, sessionId: typeof sid === "string" ? sid : null, wwwAuthenticate: typeof challenge === "string" ? challenge : Array.isArray(challenge) ? challenge.join(", ") : null, message, text };
  }

  /** Refusals with a status, shared by both eras. */
  private checkStatus(r: Posted, what: string) {
    // A valid token without the scope this request needs: not a rejected credential (no refresh helps).
    const challenged = insufficientScopeChallenge(r.status, r.wwwAuthenticate);
    if (challenged) {
      throw new UpstreamError("insufficient_scope", this.scrub(`${this.server.slug} needs more permission${challenged.length ? ` (${challenged.join(" ")})` : ""} than Latchkey's credential grants.`), false, undefined, challenged);
    }
    if (r.status === 401 || r.status === 403) {
      this.credentials.rejected();
      throw this.fail("upstream_error", `${this.server.slug} refused Latchkey's credentials (HTTP ${r.status}).`, false);
    }
    if (r.status >= 500) throw this.fail("upstream_error", `${this.server.slug} failed ${what} (HTTP ${r.status}).`, true);
    if (r.status === 429) throw this.fail("upstream_error", `${this.server.slug} is rate limiting Latchkey (HTTP 429).`, true);
  }

  private modernMeta(params: Record<string, unknown> = {}): Record<string, unknown> {
    const meta = params._meta && typeof params._meta === "object" ? (params._meta as Record<string, unknown>) : {};
    return { ...params, _meta: { ...meta, [PROTOCOL_VERSION_KEY]: MODERN_PROTOCOL, [CLIENT_CAPABILITIES_KEY]: {}, [CLIENT_INFO_KEY]: CLIENT_INFO } };
  }

  /** Modern first; a server that does not answer server/discover speaks the legacy era. */
  private async negotiate(signal: AbortSignal) {
    if (this.era === "legacy") return this.initialize(signal);
    if (this.era === "modern") return;
    const id = this.nextId++;
    const r = await this.post({ id, method: "server/discover", params: this.modernMeta() }, signal, "modern", false);
    this.checkStatus(r, "server/discover");
    const versions = r.message?.result?.supportedVersions;
    if (r.status === 200 && r.message?.result && (!Array.isArray(versions) || versions.includes(MODERN_PROTOCOL))) {
      this.era = "modern";
      return;
    }
    await this.initialize(signal);
    this.era = "legacy";
  }

  private async initialize(signal: AbortSignal) {
    const id = this.nextId++;
    const r = await this.post({ id, method: "initialize", params: { protocolVersion: LEGACY_PROTOCOL, capabilities: {}, clientInfo: CLIENT_INFO } }, signal, "legacy", false);
    this.checkStatus(r, "initialize");
    if (r.status >= 400) throw this.fail("upstream_error", `${this.server.slug} refused to initialize (HTTP ${r.status}).`, false);
    if (!r.message?.result) throw this.fail("upstream_error", `${this.server.slug} did not answer initialize.`, true);
    this.sessionId = r.sessionId;
    await this.post({ method: "notifications/initialized" }, signal, "legacy", true);
  }

  private async ready(signal: AbortSignal) {
    if (this.era === "modern" || (this.era === "legacy" && this.sessionId !== undefined)) return;
    this.negotiating ??= this.withReadRetries("initialize", signal, () => this.negotiate(signal)).finally(() => {
      this.negotiating = null;
    });
    await this.negotiating;
  }

  private async withReadRetries<T>(method: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retry = IDEMPOTENT.has(method) && err instanceof UpstreamError && err.transient && err.code !== "upstream_timeout" && attempt < READ_RETRIES && !signal.aborted;
        if (!retry) throw err;
        await sleep(RETRY_BASE_MS * 3 ** attempt, signal);
      }
    }
  }

  /** Tells a legacy upstream the call was abandoned, so it can stop the work (a modern one learns it from the closed stream). */
  private cancelUpstream(requestId: number, reason: string) {
    if (this.era !== "legacy" || !this.sessionId) return;
    void this.post({ method: "notifications/cancelled", params: { requestId, reason } }, AbortSignal.timeout(2_000), "legacy", true).catch(() => {});
  }

  /**
   * One request, under the upstream's breaker and cap. Retried only when the upstream provably
   * did not run it (the session was unknown: 404; the credential was refused: 401), or when it
   * is an idempotent read that failed in transit. A tools/call that timed out or got a 5xx is
   * never repeated: it may have run.
   */
  async rpc(method: string, params: Record<string, unknown>, callSignal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<RpcResult> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callSignal ? AbortSignal.any([callSignal, timeout]) : timeout;
    try {
      return await this.guard.run(
        () => this.withReadRetries(method, signal, () => this.once(method, params, signal)),
        (err) => err instanceof UpstreamError && err.transient,
        signal,
      );
    } catch (err) {
      if (err instanceof GuardError) throw new UpstreamError(err.code, err.message);
      throw err;
    }
  }

  private async once(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<RpcResult> {
    // A 403 insufficient_scope means the upstream did not run the request: safe to repeat with a wider token.
    for (let stepUps = 0; ; stepUps++) {
      try {
        return await this.attempt(method, params, signal);
      } catch (err) {
        const wider = err instanceof UpstreamError && err.code === "insufficient_scope" && stepUps < MAX_AUTHORIZATIONS - 1 && this.credentials.stepUp?.(err.requiredScopes ?? []) === true;
        if (!wider) throw err;
        // The session was opened with the narrower token.
        if (this.era === "legacy") this.sessionId = undefined;
      }
    }
  }

  private async attempt(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<RpcResult> {
    for (let attempt = 0; ; attempt++) {
      await this.ready(signal);
      const era = this.era!;
      const id = this.nextId++;
      let r: Posted;
      try {
        r = await this.post({ id, method, params: era === "modern" ? this.modernMeta(params) : params }, signal, era, true);
      } catch (err) {
        if (signal.aborted) this.cancelUpstream(id, "timeout or client cancellation");
        throw err;
      }
      if (attempt === 0 && era === "legacy" && r.status === 404 && this.sessionId) {
        this.sessionId = undefined;
        continue;
      }
      if (attempt === 0 && r.status === 401) {
        this.credentials.rejected();
        if (era === "legacy") this.sessionId = undefined;
        continue;
      }
      this.checkStatus(r, method);
      if (r.status >= 400 && !r.message) throw this.fail("upstream_error", `${this.server.slug} answered HTTP ${r.status}.`, false);
      const msg = r.message;
      if (!msg) throw this.fail("upstream_error", `${this.server.slug} sent no answer to ${method}.`, true);
      if (msg.error) {
        const e = msg.error as { code: unknown; message: unknown; data?: unknown };
        const refusal =
          r.status >= 400 && r.status < 500 && typeof e.code === "number"
            ? { status: r.status, code: e.code, message: this.scrub(String(e.message)), ...(e.data && typeof e.data === "object" && !Array.isArray(e.data) ? { data: e.data as Record<string, unknown> } : {}) }
            : undefined;
        throw this.fail("upstream_error", `${this.server.slug}: ${String(e.message)}`, false, refusal);
      }
      return msg.result ?? {};
    }
  }
}
