// fetch wrappers for the REST API. Every body the suite receives is checked for stack traces.
import { expect } from "vitest";

export type ApiResponse<T = any> = {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: T;
};

export type RequestOptions = {
  method?: string;
  /** The API key, sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** Sent as JSON (content-type application/json) unless `raw` is given. */
  json?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
  redirect?: RequestRedirect;
};

/** What a leaked stack trace looks like: V8 frames or file:line references. */
export const STACK_PATTERNS: RegExp[] = [/ {4}at /, /\n\s*at [\w.<>$]+ \(/, /\.(?:ts|tsx|js|mjs|cjs):\d+/];

export function leaksStack(text: string): RegExp | null {
  return STACK_PATTERNS.find((re) => re.test(text)) ?? null;
}

export async function request<T = any>(baseUrl: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${baseUrl}${path}`, {
    method: opts.method ?? "GET",
    headers,
    ...(body !== undefined ? { body } : {}),
    redirect: opts.redirect ?? "manual",
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const leaked = leaksStack(text);
  expect(leaked, `response of ${opts.method ?? "GET"} ${path} (${res.status}) contains a stack trace:\n${text.slice(0, 2000)}`).toBeNull();
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** A client bound to one server. */
export function client(baseUrl: string) {
  return {
    get: <T = any>(path: string, opts: Omit<RequestOptions, "method"> = {}) => request<T>(baseUrl, path, { ...opts, method: "GET" }),
    post: <T = any>(path: string, opts: Omit<RequestOptions, "method"> = {}) => request<T>(baseUrl, path, { ...opts, method: "POST" }),
    del: <T = any>(path: string, opts: Omit<RequestOptions, "method"> = {}) => request<T>(baseUrl, path, { ...opts, method: "DELETE" }),
    req: <T = any>(path: string, opts: RequestOptions = {}) => request<T>(baseUrl, path, opts),
  };
}

/** The error body without its per-request id, for comparing two errors' shapes and texts. */
export function withoutRequestId(body: any) {
  if (!body?.error) return body;
  const { request_id: _ignored, ...rest } = body.error;
  return { error: rest };
}

/** A well-formed id of the given prefix that no database holds. */
export function unknownId(prefix: string): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  let s = "";
  for (let i = 0; i < 22; i++) s += alphabet[Math.floor(Math.random() * 36)];
  return `${prefix}_${s}`;
}
