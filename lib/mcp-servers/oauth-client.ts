import { createHash } from "node:crypto";
import type { McpDiscoveryResult } from "@/db/schema";
import { OAuthGrantError, OAuthTransportError, type TokenResponse } from "@/lib/connections/oauth-client";
import { unsafeEndpointUrl, unsafeUrlMessage } from "@/lib/mcp-servers/oauth-urls";
import type { OutboundFetch } from "@/lib/net/outbound-guard";

/**
 * Latchkey's upstream OAuth client, without storage: the authorization request and the token
 * request for an MCP server's AS. The Link flow (oauth.ts) and the conformance driver
 * (e2e/conformance/upstream-oauth-driver.ts) both run exactly this.
 */
export type ClientFields = { name: string; authUrl: string | null; tokenUrl: string | null; clientId: string | null; scopes: string[]; resource: string | null; tokenEndpointAuthMethod: string | null };

export class EndpointRefused extends Error {
  override name = "EndpointRefused";
}

/** Endpoints are checked again right before use (O10): rows written before the check existed, or edited by hand. */
export function checkedEndpoint(raw: string | null, what: string): URL {
  const bad = raw ? unsafeEndpointUrl(raw) : "not_a_url";
  if (!raw || bad) throw new EndpointRefused(`The MCP server's ${what} ${bad ? unsafeUrlMessage[bad] : "is missing"}.`);
  return new URL(raw);
}

/**
 * O4: an authorization server that does not list S256 is refused before any redirect; MCP
 * clients must refuse when code_challenge_methods_supported is absent too. Servers configured
 * by hand (no discovered AS metadata) get S256 anyway, and an AS without PKCE refuses the code.
 */
export function pkceRefusal(server: { name: string; discoveryResult: McpDiscoveryResult | null }): string | null {
  const d = server.discoveryResult;
  if (!d?.issuer) return null;
  if (!d.code_challenge_methods_supported.includes("S256")) {
    return `${server.name}'s authorization server does not support PKCE with S256${d.code_challenge_methods_supported.length ? "" : " (its metadata lists no code_challenge_methods_supported)"}, so Latchkey will not start an authorization there.`;
  }
  return null;
}

export const pkceChallengeS256 = (verifier: string) => createHash("sha256").update(verifier, "ascii").digest("base64url");

/** The authorization request: PKCE S256 always, and `resource` exactly as the server's metadata publishes it (RFC 8707). */
export function authorizationUrl(c: ClientFields, input: { redirectUri: string; state: string; verifier: string }): string {
  const u = checkedEndpoint(c.authUrl, "authorization endpoint");
  if (!c.clientId) throw new EndpointRefused(`${c.name} has no OAuth client yet.`);
  const q = u.searchParams;
  q.set("response_type", "code");
  q.set("client_id", c.clientId);
  q.set("redirect_uri", input.redirectUri);
  if (c.scopes.length) q.set("scope", c.scopes.join(" "));
  q.set("state", input.state);
  q.set("code_challenge", pkceChallengeS256(input.verifier));
  q.set("code_challenge_method", "S256");
  if (c.resource) q.set("resource", c.resource);
  return u.toString();
}

const GRANT_ERRORS = new Set(["invalid_grant", "invalid_refresh_token", "token_revoked", "invalid_client", "unauthorized_client"]);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

/**
 * A token request with the client's authentication (basic, post or none) and `resource`. No
 * redirects, 1 MB cap. Errors are the connectors' classes, so the refresh machinery (lease,
 * compare-and-swap, reauth_required) treats servers and connectors alike.
 */
export async function tokenRequestFor(c: ClientFields, secret: string | null, params: Record<string, string>, fetcher: OutboundFetch): Promise<TokenResponse> {
  const url = checkedEndpoint(c.tokenUrl, "token endpoint");
  if (!c.clientId) throw new OAuthTransportError(`${c.name} has no OAuth client.`);
  const form = new URLSearchParams(params);
  if (c.resource) form.set("resource", c.resource);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  const method = c.tokenEndpointAuthMethod ?? (secret ? "client_secret_basic" : "none");
  if (method === "client_secret_basic" && secret) headers.authorization = basic(c.clientId, secret);
  else {
    form.set("client_id", c.clientId);
    if (secret && method !== "none") form.set("client_secret", secret);
  }
  let res: Response;
  try {
    res = await fetcher(url, { method: "POST", headers, body: form.toString(), redirect: "error", timeoutMs: 15_000, maxBytes: 1024 * 1024 });
  } catch {
    throw new OAuthTransportError(`could not reach the token endpoint of ${c.name}`);
  }
  let json: Record<string, unknown>;
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    throw new OAuthTransportError(`the token endpoint of ${c.name} answered HTTP ${res.status} without JSON`);
  }
  if (typeof json.error === "string") {
    if (GRANT_ERRORS.has(json.error)) throw new OAuthGrantError(json.error);
    throw new OAuthTransportError(`the token endpoint of ${c.name} answered ${json.error.slice(0, 100)}`);
  }
  if (res.status >= 300 || typeof json.access_token !== "string") throw new OAuthTransportError(`the token endpoint of ${c.name} answered HTTP ${res.status}`);
  return json as TokenResponse;
}
