import { AppError, isAppError } from "@/lib/errors";
import { log } from "@/lib/log";

export function json(data: unknown, init: { status?: number; requestId?: string; headers?: Record<string, string> } = {}) {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("cache-control", "no-store");
  if (init.requestId) headers.set("x-request-id", init.requestId);
  return new Response(JSON.stringify(data), { status: init.status ?? 200, headers });
}

/**
 * The only place an error becomes an HTTP answer (status, headers, body), for the Web and the
 * Node mounts alike. Unknown errors: logged, shown as a generic 500. Every 401 carries a
 * Bearer challenge.
 */
export function errorParts(err: unknown, requestId: string): { status: number; headers: Record<string, string>; body: string } {
  let appErr: AppError;
  if (isAppError(err)) {
    appErr = err;
  } else {
    log.error("unhandled error", { requestId, err });
    appErr = new AppError({ code: "internal_error", message: "Something went wrong on our side. Quote the request id if you contact support." });
  }
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-request-id": requestId };
  if (appErr.retryAfter !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(appErr.retryAfter)));
  if (appErr.status === 401) headers["www-authenticate"] = `Bearer realm="latchkey", error="invalid_token"`;
  return { status: appErr.status, headers, body: JSON.stringify(appErr.toBody(requestId)) };
}

export function errorResponse(err: unknown, requestId: string): Response {
  const r = errorParts(err, requestId);
  return new Response(r.body, { status: r.status, headers: r.headers });
}
