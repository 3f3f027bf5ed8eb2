/**
 * Failures of a tool call that the agent can read and act on. They travel as data (an MCP
 * result with isError), not as exceptions to the client.
 */
export const toolFailureCodes = [
  "invalid_arguments",
  "authentication_required",
  "reauth_required",
  "insufficient_scope",
  "not_found",
  "invalid_request",
  "rate_limited",
  "upstream_timeout",
  "upstream_error",
  "connector_disabled",
  "blocked_by_policy",
  "audit_unavailable",
] as const;
export type ToolFailureCode = (typeof toolFailureCodes)[number];

export type ToolFailure = {
  code: ToolFailureCode;
  message: string;
  retry_after?: number;
  missing_scopes?: string[];
  issues?: { path: string; message: string }[];
  provider_status?: number;
};

export class ToolError extends Error {
  constructor(readonly failure: ToolFailure) {
    super(failure.message);
    this.name = "ToolError";
  }
}

/** The provider rejected the credential itself (HTTP 401 or its equivalent). */
export class ProviderAuthError extends Error {
  constructor(readonly status: number) {
    super("The provider rejected the credential");
    this.name = "ProviderAuthError";
  }
}

export const toolError = (code: ToolFailureCode, message: string, extra: Partial<ToolFailure> = {}) =>
  new ToolError({ code, message, ...extra });
