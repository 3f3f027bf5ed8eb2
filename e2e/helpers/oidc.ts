import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";

/**
 * A real OAuth 2.0 / OIDC authorization server (panva/oidc-provider) on 127.0.0.1, configured
 * as in shared/MCP-TESTING.md appendix A: PKCE S256 only, rotating refresh tokens, RFC 8707
 * resource-bound JWT access tokens, DCR. Records every token grant so tests can count refreshes.
 */
export type LocalAuthServer = {
  issuer: string;
  resource: string;
  grants: { grantType: string; refreshToken?: string; accessToken?: string }[];
  /** Registers a confidential client (client_secret_post) allowed to refresh. */
  registerClient(redirectUri?: string, authMethod?: "client_secret_post" | "client_secret_basic"): Promise<{ client_id: string; client_secret: string; redirect_uri: string }>;
  /** Runs the authorization-code flow without a browser (dev interactions) and returns the tokens; `login` becomes the `sub` (default alice). */
  authorize(client: { client_id: string; client_secret: string; redirect_uri: string }, scope?: string, login?: string): Promise<{ access_token: string; refresh_token: string; expires_in: number; scope?: string }>;
  /** Verifies an access token the way a resource server would (signature, issuer, audience, expiry). */
  verify(token: string): Promise<boolean>;
  close(): Promise<void>;
};

export async function startAuthServer(
  opts: {
    accessTokenTtl?: number;
    resource?: string;
    /** login → email claim; default: the login itself */ emails?: Record<string, string>;
    /** Allow the client_credentials grant (machine clients, e.g. a gateway's shared upstream credential). */ clientCredentials?: boolean;
  } = {},
): Promise<LocalAuthServer> {
  const { default: Provider, errors } = (await import("oidc-provider")) as unknown as {
    default: new (issuer: string, config: Record<string, unknown>) => { listen: (p: number, h: string) => Server; on: (ev: string, fn: (...a: unknown[]) => void) => void };
    errors: { InvalidTarget: new () => Error };
  };
  const net = await import("node:net");
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const issuer = `http://127.0.0.1:${port}`;
  const resource = opts.resource ?? "https://api.sandbox.test/";
  const ttl = opts.accessTokenTtl ?? 300;
  const provider = new Provider(issuer, {
    scopes: ["openid", "offline_access", "email", "repo", "read:user", "api:read", "api:write"],
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    // Put the email claim in the ID token too (dashboard SSO reads it from there).
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: opts.emails?.[id] ?? id, email_verified: true }),
    }),
    clientDefaults: { grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "client_secret_post" },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed: (g: string) => boolean }) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    ttl: { AccessToken: ttl, RefreshToken: 86400, AuthorizationCode: 600 },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: opts.clientCredentials ?? false },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf ?? resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, res: string) => {
          if (res !== resource) throw new errors.InvalidTarget();
          return { audience: resource, scope: "repo read:user api:read api:write", accessTokenFormat: "jwt", accessTokenTTL: ttl, jwt: { sign: { alg: "RS256" } } };
        },
      },
    },
  });
  const grants: LocalAuthServer["grants"] = [];
  provider.on("grant.success", (ctx: unknown) => {
    const c = ctx as { oidc: { params: { grant_type: string } }; body: { refresh_token?: string; access_token?: string } };
    grants.push({ grantType: c.oidc.params.grant_type, refreshToken: c.body?.refresh_token, accessToken: c.body?.access_token });
  });
  const server = provider.listen(port, "127.0.0.1");
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));

  const registerClient: LocalAuthServer["registerClient"] = async (redirectUri = "http://127.0.0.1:9/callback", authMethod = "client_secret_post") => {
    const res = await fetch(`${issuer}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [redirectUri], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: authMethod }),
    });
    const j = (await res.json()) as { client_id: string; client_secret: string };
    return { client_id: j.client_id, client_secret: j.client_secret, redirect_uri: redirectUri };
  };

  const authorize: LocalAuthServer["authorize"] = async (client, scope = "openid repo read:user", login = "alice") => {
    const jar = new Map<string, string>();
    const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const keep = (res: Response) => {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const i = pair!.indexOf("=");
        jar.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
    };
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const authUrl = new URL(`${issuer}/auth`);
    for (const [k, v] of Object.entries({ client_id: client.client_id, redirect_uri: client.redirect_uri, response_type: "code", scope, code_challenge: challenge, code_challenge_method: "S256", resource, state: "s1", prompt: "consent" })) {
      authUrl.searchParams.set(k, v);
    }
    let url = authUrl.toString();
    let code: string | null = null;
    for (let hop = 0; hop < 20 && !code; hop++) {
      const res = await fetch(url, { redirect: "manual", headers: { cookie: cookieHeader() } });
      keep(res);
      if (res.status >= 300 && res.status < 400) {
        const loc = new URL(res.headers.get("location")!, url).toString();
        if (loc.startsWith(client.redirect_uri)) {
          code = new URL(loc).searchParams.get("code");
          break;
        }
        url = loc;
        continue;
      }
      const html = await res.text();
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      const action = /action="([^"]+)"/.exec(html)?.[1];
      if (!prompt || !action) throw new Error(`unexpected interaction page (HTTP ${res.status})`);
      const form: Record<string, string> = prompt === "login" ? { prompt, login, password: "x" } : { prompt };
      const post = await fetch(new URL(action, url), { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader() }, body: new URLSearchParams(form).toString() });
      keep(post);
      url = new URL(post.headers.get("location")!, url).toString();
    }
    if (!code) throw new Error("no authorization code");
    const tok = await fetch(`${issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: client.redirect_uri, client_id: client.client_id, client_secret: client.client_secret, code_verifier: verifier, resource }).toString(),
    });
    const t = (await tok.json()) as { access_token: string; refresh_token: string; expires_in: number; scope?: string; error?: string };
    if (!t.access_token) throw new Error(`token exchange failed: ${JSON.stringify(t)}`);
    return t;
  };

  return {
    issuer,
    resource,
    grants,
    registerClient,
    authorize,
    verify: async (token) => {
      try {
        await jwtVerify(token, jwks, { issuer, audience: resource });
        return true;
      } catch {
        return false;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
