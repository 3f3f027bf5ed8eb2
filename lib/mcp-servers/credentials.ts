import type { Environment, McpServer } from "@/db/schema";
import type { UpstreamCredentials } from "@/lib/mcp-servers/upstream";
import { widenScopes } from "@/lib/mcp-servers/scopes";
import { UpstreamError } from "@/lib/mcp-servers/upstream";
import { guardedFetch, type OutboundFetch } from "@/lib/net/outbound-guard";
import type { Runtime } from "@/lib/runtime";
import { readSecret } from "@/lib/secrets/service";

type Env = Pick<Environment, "id" | "organizationId">;
/** A token this close to expiry is renewed before use. */
const EXPIRY_SKEW_MS = 30_000;

/** Form-encoding of a client id/secret for HTTP Basic (RFC 6749 §2.3.1). */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

/**
 * The credential a shared-mode server uses. Secrets are read (one query) when first needed
 * and kept with the client, which is rebuilt when the server row changes; OAuth tokens are
 * cached until shortly before they expire and fetched single-flight.
 */
export function sharedCredentials(
  rt: Pick<Runtime, "db" | "keyring">,
  env: Env,
  server: McpServer,
  fetcher: OutboundFetch = guardedFetch,
  /** Client credentials asked for more scopes after a 403 challenge: the server's settings should keep them. */
  onScopesWidened?: (scopes: string[]) => void,
): UpstreamCredentials {
  let secret: Promise<string> | null = null;
  const secretOf = (id: string | null) => {
    if (!id) return Promise.resolve("");
    secret ??= readSecret(rt, env, id).catch((err: unknown) => {
      secret = null;
      throw err;
    });
    return secret;
  };

  if (server.authMode === "none") return { headers: async () => ({}), rejected: () => {} };
  if (server.authMode === "token") {
    const header = (server.headerName ?? "Authorization").toLowerCase();
    return {
      headers: async () => {
        const v = await secretOf(server.tokenSecretId);
        return { [header]: header === "authorization" ? `Bearer ${v}` : v };
      },
      rejected: () => {},
    };
  }
  if (server.authMode === "oauth_client_credentials") {
    let token: { value: string; renewAt: number } | null = null;
    let inflight: Promise<string> | null = null;
    let scopes = server.scopes;
    const fetchToken = async () => {
      if (!server.tokenUrl || !server.clientId) throw new UpstreamError("upstream_error", `${server.slug} has no token endpoint or client id.`);
      const form = new URLSearchParams({ grant_type: "client_credentials" });
      // RFC 8707: exactly the resource the server's metadata publishes, so the token's audience is that server.
      if (server.resource) form.set("resource", server.resource);
      if (scopes.length) form.set("scope", scopes.join(" "));
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
      const clientSecret = await secretOf(server.clientSecretId);
      if (server.tokenEndpointAuthMethod === "client_secret_post") {
        form.set("client_id", server.clientId);
        form.set("client_secret", clientSecret);
      } else if (server.tokenEndpointAuthMethod === "none") {
        form.set("client_id", server.clientId);
      } else {
        headers.authorization = basic(server.clientId, clientSecret);
      }
      let res: Response;
      try {
        res = await fetcher(server.tokenUrl, { method: "POST", headers, body: form.toString(), redirect: "error" });
      } catch {
        throw new UpstreamError("upstream_error", `${server.slug}'s token endpoint could not be reached.`);
      }
      const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
      if (res.status !== 200 || typeof body.access_token !== "string") {
        throw new UpstreamError("upstream_error", `${server.slug}'s authorization server refused the client credentials${typeof body.error === "string" ? ` (${body.error.slice(0, 100)})` : ` (HTTP ${res.status})`}.`);
      }
      const ttl = typeof body.expires_in === "number" ? body.expires_in * 1000 : 300_000;
      // A short-lived token is renewed halfway through its life rather than on every request.
      token = { value: body.access_token, renewAt: Date.now() + ttl - Math.min(EXPIRY_SKEW_MS, ttl / 2) };
      return body.access_token;
    };
    return {
      headers: async () => {
        if (token && token.renewAt > Date.now()) return { authorization: `Bearer ${token.value}` };
        inflight ??= fetchToken().finally(() => {
          inflight = null;
        });
        return { authorization: `Bearer ${await inflight}` };
      },
      rejected: () => {
        token = null;
      },
      // No person is needed to grant a client more scopes: ask the AS again with the union.
      stepUp: (challenged) => {
        const wider = widenScopes(scopes, challenged);
        if (!wider) return false;
        scopes = wider;
        token = null;
        onScopesWidened?.(wider);
        return true;
      },
    };
  }
  // Authorization code uses connections (oauth-credentials.ts); nothing shared to send here.
  return {
    headers: async () => {
      throw new UpstreamError("upstream_error", `${server.slug} authenticates with connections (oauth_authorization_code).`);
    },
    rejected: () => {},
  };
}
