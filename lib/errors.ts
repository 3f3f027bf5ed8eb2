/**
 * One error type with a closed set of codes. Services throw AppError; each surface (REST
 * wrapper, server action helper, MCP) turns it into its own shape. Anything that is not an
 * AppError is logged with its cause and shown as a generic internal_error.
 */
export const errorStatus = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_api_key: 401,
  environment_mismatch: 401,
  forbidden: 403,
  unauthorized_tool: 403,
  sandbox_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  link_token_expired: 410,
  link_token_used: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_error: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
  sealed: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export type FieldIssue = { path: string; message: string; code?: string };

export type AppErrorOptions = {
  code: ErrorCode;
  message: string;
  /** Field-level problems for validation_error. */
  issues?: FieldIssue[];
  /** Seconds, for rate_limited / service_unavailable. */
  retryAfter?: number;
  /** Extra public fields merged into the error body. Never put secrets here. */
  details?: Record<string, unknown>;
  cause?: unknown;
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues?: FieldIssue[];
  readonly retryAfter?: number;
  readonly details?: Record<string, unknown>;

  constructor(opts: AppErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = opts.code;
    if (opts.issues) this.issues = opts.issues;
    if (opts.retryAfter !== undefined) this.retryAfter = opts.retryAfter;
    if (opts.details) this.details = opts.details;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toBody(requestId?: string) {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues ? { issues: this.issues } : {}),
        ...(this.details ?? {}),
        ...(requestId ? { request_id: requestId } : {}),
      },
    };
  }
}

export const notFound = (what: string) => new AppError({ code: "not_found", message: `${what} not found.` });

export const forbidden = (message = "You do not have permission to do that.") =>
  new AppError({ code: "forbidden", message });

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError || (e instanceof Error && e.name === "AppError" && "code" in e);
}

/** zod issues → our field paths ("entries.0.tools"). */
export function issuesFromZod(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string }>): FieldIssue[] {
  return issues.map((i) => ({
    path: i.path.map(String).join("."),
    message: i.message,
    ...(i.code ? { code: i.code } : {}),
  }));
}

export function validationError(issues: FieldIssue[], message = "The request is invalid.") {
  return new AppError({ code: "validation_error", message, issues });
}
