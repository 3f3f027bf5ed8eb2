import { AppError, isAppError } from "@/lib/errors";
import { log } from "@/lib/log";

export function json(data: unknown, init: { status?: number; requestId?: string; headers?: Record<string, string> } = {}) {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  headers.set("cache-control", "no-store");
  if (init.requestId) headers.set("x-request-id", init.requestId);
  return new Response(JSON.stringify(data), { status: init.status ?? 200, headers });
}

/** The only place an error becomes an HTTP response. Unknown errors: logged, shown as a generic 500. */
export function errorResponse(err: unknown, requestId: string): Response {
  let appErr: AppError;
  if (isAppError(err)) {
    appErr = err;
  } else {
    log.error("unhandled error", { requestId, err });
    appErr = new AppError({ code: "internal_error", message: "Something went wrong on our side. Quote the request id if you contact support." });
  }
  const headers: Record<string, string> = {};
  if (appErr.retryAfter !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(appErr.retryAfter)));
  if (appErr.status === 401 && (appErr.code === "invalid_api_key" || appErr.code === "environment_mismatch")) {
    headers["www-authenticate"] = `Bearer realm="latchkey", error="invalid_token"`;
  }
  return json(appErr.toBody(requestId), { status: appErr.status, requestId, headers });
}
