import { Agent, errors as undiciErrors, request as undiciRequest } from "undici";
import type { ConnectorDef, ProviderAnswer } from "@/lib/connectors/types";
import { ProviderAuthError, ToolError, toolError } from "@/lib/connectors/errors";

/** One keep-alive pool for all provider calls (DESIGN §8: undici, never global fetch). */
const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 128, headersTimeout: 0, bodyTimeout: 0 });

export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

export type QueryValue = string | number | boolean | undefined | null | string[];
export type HttpRequest = {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to the connector's base URL (leading slash), or absolute when `absolute` is set. */
  path: string;
  absolute?: boolean;
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: Record<string, string | undefined>;
  headers?: Record<string, string>;
};
export type HttpResponse<T = unknown> = { status: number; headers: Record<string, string | string[] | undefined>; body: T };

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function retryAfterSeconds(h: Record<string, string | string[] | undefined>): number | undefined {
  const v = header(h, "retry-after");
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : undefined;
}

/** A short, safe summary of what the provider said: its own message field, never our headers. */
export function providerMessage(body: unknown): string | undefined {
  if (typeof body === "string") return body.slice(0, 300) || undefined;
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  const pick = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const nested = Array.isArray(b.errors) ? (b.errors[0] as Record<string, unknown> | undefined) : undefined;
  const errObj = b.error && typeof b.error === "object" ? (b.error as Record<string, unknown>) : undefined;
  const msg =
    pick(b.message) ??
    pick(b.error_description) ??
    pick(errObj?.message) ??
    pick(b.error) ??
    pick(nested?.message) ??
    (Array.isArray(b.errorMessages) ? pick(b.errorMessages[0]) : undefined);
  return msg?.slice(0, 300);
}

export function parseLinkHeader(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (value ?? "").split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m) out[m[2]!] = m[1]!;
  }
  return out;
}

export type ProviderHttpOptions = {
  connector: Pick<ConnectorDef, "slug" | "name" | "interpret" | "missingScopes" | "defaultHeaders">;
  baseUrl: string;
  authHeaders: Record<string, string>;
  grantedScopes: string[];
  toolScopes: string[];
  signal?: AbortSignal;
  timeoutMs?: number;
};

/**
 * The one HTTP client every connector tool uses: injects the credential, times out, caps the
 * response size, and maps provider errors to tool failures (401 → ProviderAuthError so the
 * caller can refresh and retry; 403 → insufficient_scope with what is missing; 429 → the
 * provider's Retry-After; 5xx → upstream_error).
 */
export class ProviderHttp {
  constructor(private readonly opts: ProviderHttpOptions) {}

  get baseUrl() {
    return this.opts.baseUrl;
  }

  url(req: Pick<HttpRequest, "path" | "absolute" | "query">): string {
    const u = req.absolute ? new URL(req.path) : new URL(this.opts.baseUrl.replace(/\/$/, "") + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) u.searchParams.append(k, item);
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    const name = this.opts.connector.name;
    const headers: Record<string, string> = { accept: "application/json", "user-agent": "Latchkey/0.1", ...this.opts.connector.defaultHeaders, ...req.headers, ...this.opts.authHeaders };
    let body: string | undefined;
    if (req.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.json);
    } else if (req.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(Object.entries(req.form).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    }
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout;
    let res: Awaited<ReturnType<typeof undiciRequest>>;
    try {
      res = await undiciRequest(this.url(req), { method: req.method ?? "GET", headers, body, signal, dispatcher: agent, maxRedirections: 0 } as never);
    } catch (err) {
      if (timeout.aborted || (err as Error).name === "TimeoutError" || err instanceof undiciErrors.HeadersTimeoutError) {
        throw toolError("upstream_timeout", `${name} did not answer in time.`);
      }
      if (this.opts.signal?.aborted) throw toolError("upstream_timeout", "The call was cancelled.");
      throw toolError("upstream_error", `Could not reach ${name}.`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_RESPONSE_BYTES) {
          res.body.destroy();
          throw toolError("upstream_error", `${name} sent a response larger than ${MAX_RESPONSE_BYTES} bytes.`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof ToolError) throw err;
      throw toolError(timeout.aborted ? "upstream_timeout" : "upstream_error", `${name} ${timeout.aborted ? "did not answer in time" : "closed the connection"}.`);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    const ctype = header(res.headers, "content-type") ?? "";
    let parsed: unknown = text;
    if (text && /json/i.test(ctype)) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw toolError("upstream_error", `${name} sent malformed JSON.`);
      }
    } else if (!text) {
      parsed = null;
    }
    const answer: ProviderAnswer = { status: res.statusCode, headers: res.headers, body: parsed };
    this.check(answer);
    return answer as HttpResponse<T>;
  }

  private check(answer: ProviderAnswer) {
    const name = this.opts.connector.name;
    const special = this.opts.connector.interpret?.(answer);
    if (special) {
      if (special.code === "reauth_required") throw new ProviderAuthError(answer.status);
      if (special.code === "insufficient_scope" && !special.missing_scopes) {
        special.missing_scopes = this.missing(answer);
      }
      throw new ToolError(special);
    }
    const s = answer.status;
    if (s >= 200 && s < 300) return;
    const said = providerMessage(answer.body);
    const suffix = said ? `: ${said}` : ".";
    if (s === 401) throw new ProviderAuthError(s);
    if (s === 403) {
      const missing = this.missing(answer);
      if (missing.length) {
        throw toolError("insufficient_scope", `The connection lacks the scope(s) ${missing.join(", ")} this tool needs. Reconnect with them granted.`, { missing_scopes: missing, provider_status: s });
      }
      throw toolError("invalid_request", `${name} refused the request${suffix}`, { provider_status: s });
    }
    if (s === 404 || s === 410) throw toolError("not_found", `${name} found nothing there${suffix}`, { provider_status: s });
    if (s === 429) {
      const retry = retryAfterSeconds(answer.headers);
      throw toolError("rate_limited", `${name} is rate limiting this connection${retry !== undefined ? `; retry after ${retry} s` : ""}.`, {
        ...(retry !== undefined ? { retry_after: retry } : {}),
        provider_status: s,
      });
    }
    if (s >= 500) throw toolError("upstream_error", `${name} had an error (HTTP ${s}).`, { provider_status: s });
    throw toolError("invalid_request", `${name} rejected the request (HTTP ${s})${suffix}`, { provider_status: s });
  }

  private missing(answer: ProviderAnswer): string[] {
    const said = this.opts.connector.missingScopes?.(answer);
    if (said?.length) return said;
    const granted = new Set(this.opts.grantedScopes);
    return this.opts.toolScopes.filter((s) => !granted.has(s));
  }

  get = <T = unknown>(path: string, query?: HttpRequest["query"]) => this.request<T>({ method: "GET", path, ...(query ? { query } : {}) });
  post = <T = unknown>(path: string, json?: unknown) => this.request<T>({ method: "POST", path, json });
  patch = <T = unknown>(path: string, json?: unknown) => this.request<T>({ method: "PATCH", path, json });
  put = <T = unknown>(path: string, json?: unknown) => this.request<T>({ method: "PUT", path, json });
  delete = <T = unknown>(path: string) => this.request<T>({ method: "DELETE", path });
}
