import { request as undiciRequest } from "undici";
import type { EffectiveConfig } from "@/lib/connectors/configs";

export type TokenResponse = {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string | string[];
  token_type?: string;
  [k: string]: unknown;
};

/** The authorization server refused the grant (RFC 6749 §5.2): the user must reconnect. */
export class OAuthGrantError extends Error {
  constructor(readonly error: string) {
    super(`The authorization server refused the grant (${error})`);
    this.name = "OAuthGrantError";
  }
}
/** Anything else: network, 5xx, malformed answer. Worth retrying later. */
export class OAuthTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OAuthTransportError";
  }
}

const GRANT_ERRORS = new Set(["invalid_grant", "invalid_refresh_token", "token_revoked", "invalid_client", "unauthorized_client"]);

/**
 * A token-endpoint request with the connector's client authentication. POSTs never follow
 * redirects; the answer is capped at 1 MB and must be JSON.
 */
export async function tokenRequest(cfg: EffectiveConfig, clientSecret: string | null, params: Record<string, string>): Promise<TokenResponse> {
  if (cfg.connector.auth.kind !== "oauth2") throw new Error("not an OAuth connector");
  const clientId = cfg.oauthClientId;
  if (!clientId) throw new OAuthTransportError(`No OAuth app is configured for ${cfg.connector.name} in this environment.`);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  const body = new URLSearchParams(params);
  clientAuth(cfg, clientSecret, body, headers);
  let status: number;
  let text: string;
  try {
    const res = await undiciRequest(cfg.oauthTokenUrl, { method: "POST", headers, body: body.toString(), signal: AbortSignal.timeout(15_000) });
    status = res.statusCode;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > 1024 * 1024) throw new OAuthTransportError("token response too large");
      chunks.push(c as Buffer);
    }
    text = Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    if (err instanceof OAuthTransportError) throw err;
    throw new OAuthTransportError(`could not reach the token endpoint of ${cfg.connector.name}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new OAuthTransportError(`the token endpoint of ${cfg.connector.name} answered HTTP ${status} without JSON`);
  }
  const error = typeof json.error === "string" ? json.error : json.ok === false ? String(json.error ?? "invalid_grant") : null;
  if (error) {
    if (GRANT_ERRORS.has(error)) throw new OAuthGrantError(error);
    throw new OAuthTransportError(`the token endpoint of ${cfg.connector.name} answered ${error}`);
  }
  if (status >= 300 || typeof json.access_token !== "string") {
    throw new OAuthTransportError(`the token endpoint of ${cfg.connector.name} answered HTTP ${status}`);
  }
  return json as TokenResponse;
}

/**
 * Client authentication as the connector's token endpoint expects it: HTTP Basic
 * (client_secret_basic) or in the form body (client_secret_post, or a public client).
 */
function clientAuth(cfg: EffectiveConfig, clientSecret: string | null, body: URLSearchParams, headers: Record<string, string>) {
  const clientId = cfg.oauthClientId!;
  if (clientSecret && cfg.connector.auth.kind === "oauth2" && cfg.connector.auth.tokenAuthMethod === "client_secret_basic") {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`;
  } else {
    body.set("client_id", clientId);
    if (clientSecret) body.set("client_secret", clientSecret);
  }
}

/** RFC 7009 revocation, best effort: a provider that fails to revoke does not stop a delete. */
export async function revokeToken(cfg: EffectiveConfig, clientSecret: string | null, token: string, hint: "refresh_token" | "access_token"): Promise<boolean> {
  if (!cfg.oauthRevokeUrl || !cfg.oauthClientId) return false;
  const body = new URLSearchParams({ token, token_type_hint: hint });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  clientAuth(cfg, clientSecret, body, headers);
  try {
    const res = await undiciRequest(cfg.oauthRevokeUrl, { method: "POST", headers, body: body.toString(), signal: AbortSignal.timeout(10_000) });
    const text = await res.body.text();
    // Slack-style endpoints answer 200 with {"ok":false}.
    return res.statusCode < 300 && !/"ok"\s*:\s*false/.test(text);
  } catch {
    return false;
  }
}
