import type { McpServerAuthMode } from "@/db/schema";
import { OutboundError, type OutboundFetch } from "@/lib/net/outbound-guard";

export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post" | "none";

/**
 * DESIGN §6: the first of client_secret_basic, client_secret_post, none that the server
 * lists. RFC 8414 says an absent list means client_secret_basic. Null: nothing we can use
 * (private_key_jwt only, say), which the operator must hear about.
 */
export function chooseTokenEndpointAuthMethod(supported: readonly string[]): TokenEndpointAuthMethod | null {
  if (supported.length === 0) return "client_secret_basic";
  for (const m of ["client_secret_basic", "client_secret_post", "none"] as const) if (supported.includes(m)) return m;
  return null;
}

/** MCP 2026-07-28 asks DCR clients for application_type; a loopback redirect makes a native client. */
export function applicationTypeFor(redirectUri: string): "native" | "web" {
  const host = new URL(redirectUri).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" ? "native" : "web";
}

export type RegisteredClient = { client_id: string; client_secret: string | null; token_endpoint_auth_method: TokenEndpointAuthMethod };

export class RegistrationError extends Error {
  override name = "RegistrationError";
}

/** RFC 7591 registration of Latchkey as a client of the server's authorization server. */
export async function registerClient(
  fetcher: OutboundFetch,
  input: { registerUrl: string; redirectUri: string; mode: Extract<McpServerAuthMode, "oauth_client_credentials" | "oauth_authorization_code">; authMethod: TokenEndpointAuthMethod; scopes: string[]; clientName: string },
): Promise<RegisteredClient> {
  const body: Record<string, unknown> = {
    client_name: input.clientName,
    application_type: applicationTypeFor(input.redirectUri),
    token_endpoint_auth_method: input.authMethod,
    redirect_uris: [input.redirectUri],
    ...(input.mode === "oauth_client_credentials"
      ? { grant_types: ["client_credentials"], response_types: [] }
      : { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] }),
    ...(input.scopes.length ? { scope: input.scopes.join(" ") } : {}),
  };
  let res: Response;
  try {
    res = await fetcher(input.registerUrl, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body), redirect: "error" });
  } catch (err) {
    throw new RegistrationError(err instanceof OutboundError ? `the registration endpoint could not be reached (${err.message})` : "the registration endpoint could not be reached");
  }
  let json: Record<string, unknown> = {};
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    // handled below by the missing client_id
  }
  if (res.status !== 201 && res.status !== 200) {
    // RFC 7591 §3.2.2 errors are safe to show; nothing of ours is in them.
    const why = typeof json.error === "string" ? `${json.error}${typeof json.error_description === "string" ? `: ${json.error_description}` : ""}` : `HTTP ${res.status}`;
    throw new RegistrationError(`the authorization server refused the registration (${why.slice(0, 300)})`);
  }
  if (typeof json.client_id !== "string" || !json.client_id) throw new RegistrationError("the registration response has no client_id");
  const method = typeof json.token_endpoint_auth_method === "string" ? json.token_endpoint_auth_method : input.authMethod;
  if (method !== "client_secret_basic" && method !== "client_secret_post" && method !== "none") throw new RegistrationError(`the server registered the client with ${method}, which Latchkey does not use`);
  const secret = typeof json.client_secret === "string" && json.client_secret ? json.client_secret : null;
  if (method !== "none" && !secret) throw new RegistrationError("the registration response has no client_secret for a confidential client");
  return { client_id: json.client_id, client_secret: secret, token_endpoint_auth_method: method };
}
