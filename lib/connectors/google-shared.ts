import { retryAfterSeconds } from "@/lib/connectors/http";
import type { ToolFailure } from "@/lib/connectors/errors";
import type { OAuth2Auth, ProviderAnswer } from "@/lib/connectors/types";

// Shared by the Google connectors (Calendar, Gmail): Google's OAuth 2.0 web-server flow
// (https://developers.google.com/identity/protocols/oauth2/web-server) and its API error format
// (https://cloud.google.com/apis/design/errors, plus the legacy `errors[]` array Calendar and
// Gmail still send: https://developers.google.com/calendar/api/guides/errors).

/** A fresh copy per connector, so one connector's tweaks never leak into the other's. */
export function googleOAuth(): OAuth2Auth {
  return {
    kind: "oauth2",
    authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    revokeUrl: "https://oauth2.googleapis.com/revoke",
    pkce: true,
    scopeSeparator: " ",
    // `email` lets the sign-in identify the account; tool scopes are added on top.
    baseScopes: ["openid", "email"],
    tokenAuthMethod: "client_secret_post",
    // offline + consent: Google only returns a refresh token when asked for offline access, and
    // only on a consent screen; include_granted_scopes keeps earlier grants (incremental auth).
    authorizeParams: { access_type: "offline", prompt: "consent", include_granted_scopes: "true" },
  };
}

export type GoogleErrorItem = { reason?: string; domain?: string; message?: string; location?: string; locationType?: string };
export type GoogleErrorBody = {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: GoogleErrorItem[];
    details?: { "@type"?: string; reason?: string; domain?: string; metadata?: Record<string, string> }[];
  };
};

/** The parts of a Google error body that classify it (tolerant of HTML or empty bodies). */
export function readGoogleError(body: unknown): { message: string | null; status: string | null; reasons: string[]; domains: string[] } {
  const err = body && typeof body === "object" ? (body as GoogleErrorBody).error : undefined;
  if (!err || typeof err !== "object") return { message: null, status: null, reasons: [], domains: [] };
  const items = Array.isArray(err.errors) ? err.errors : [];
  const details = Array.isArray(err.details) ? err.details : [];
  const reasons = [...items.map((e) => e?.reason), ...details.map((d) => d?.reason)].filter((r): r is string => typeof r === "string" && r.length > 0);
  const domains = items.map((e) => e?.domain).filter((d): d is string => typeof d === "string" && d.length > 0);
  const message = typeof err.message === "string" && err.message ? err.message : typeof items[0]?.message === "string" ? items[0].message : null;
  return { message: message?.slice(0, 300) ?? null, status: typeof err.status === "string" ? err.status : null, reasons, domains };
}

const SCOPE_REASONS = new Set(["insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"]);
const RATE_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED"]);

function header(h: ProviderAnswer["headers"], name: string): string {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

/**
 * Google's error classification for one product (`name` is used in messages):
 * 401 → reauth_required (expired, revoked or malformed token — refresh or reconnect);
 * 403 insufficientPermissions / PERMISSION_DENIED about scopes → insufficient_scope;
 * 403 rateLimitExceeded, userRateLimitExceeded (and the quota reasons) or 429 → rate_limited;
 * any other 403 → invalid_request with Google's message (e.g. "You need to have writer access
 * to this calendar."); 404 / 410 → not_found; 400 → invalid_request with Google's message.
 */
export function googleInterpret(name: string) {
  return (answer: ProviderAnswer): ToolFailure | null => {
    const s = answer.status;
    if (s < 400 || s >= 500) return null;
    const e = readGoogleError(answer.body);
    const said = e.message ? `: ${e.message}` : ".";
    if (s === 401) return { code: "reauth_required", message: `${name} rejected the credential${said}`, provider_status: s };
    if (s === 429 || (s === 403 && (e.reasons.some((r) => RATE_REASONS.has(r)) || e.domains.includes("usageLimits")))) {
      const retry = retryAfterSeconds(answer.headers);
      return {
        code: "rate_limited",
        message: `${name} is rate limiting this connection${said}`,
        ...(retry !== undefined ? { retry_after: retry } : {}),
        provider_status: s,
      };
    }
    if (s === 403) {
      const wwwAuth = header(answer.headers, "www-authenticate");
      const aboutScopes =
        e.reasons.some((r) => SCOPE_REASONS.has(r)) ||
        /insufficient_scope/.test(wwwAuth) ||
        (e.status === "PERMISSION_DENIED" && /scope/i.test(e.message ?? ""));
      if (aboutScopes) {
        // missing_scopes is filled in by ProviderHttp (the tool's scopes the connection lacks).
        return { code: "insufficient_scope", message: `The connection lacks a ${name} permission this tool needs${said} Reconnect and grant it.`, provider_status: s };
      }
      return { code: "invalid_request", message: `${name} refused the request${said}`, provider_status: s };
    }
    if (s === 404 || s === 410) return { code: "not_found", message: `${name} found nothing there${said}`, provider_status: s };
    return { code: "invalid_request", message: `${name} rejected the request${said}`, provider_status: s };
  };
}
