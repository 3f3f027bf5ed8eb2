import { createHash, randomBytes } from "node:crypto";
import { json } from "@/lib/sandbox/router";
import type { SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// A provider's OAuth 2.0 authorization server, as the simulated providers serve it: the
// authorization endpoint (approving at once, or behind a consent page), and the token
// endpoint for authorization_code and refresh_token. It enforces what real servers enforce
// and what RFC 9700 asks of them: registered clients and exact redirect URIs (when
// configured), PKCE S256 only (a verifier without a challenge is refused, a wrong verifier
// still burns the code), single-use codes that live 10 minutes (a replay revokes what the
// code issued), rotating refresh tokens (a reused one revokes its family).

export type SandboxOAuthOptions = {
  /** Registered OAuth apps. When given, unknown clients, wrong secrets and unregistered redirect URIs are refused. */
  clients?: Record<string, { secret?: string; redirectUris?: string[] }>;
  /** Show a consent page (Authorize / Cancel) instead of approving at once, like a first-time grant. */
  consent?: boolean;
  /** Send RFC 9207 `iss` (the sandbox's own origin) with the authorization response. */
  issuerParameter?: boolean;
  /** Refuse authorization requests without PKCE. */
  requirePkce?: boolean;
  accessTokenTtlSeconds?: number;
  /**
   * A refresh token this server never issued but that has its prefix is taken as a live grant
   * (a new family). For a server whose memory does not survive restarts (lib/sandbox/hosted.ts),
   * so the connections it issued keep refreshing after one.
   */
  adoptUnknownRefreshTokens?: boolean;
};

export type SandboxOAuthShape = {
  /** Provider name on the consent page. */
  provider: string;
  paths: { authorize: string; token: string };
  tokenPrefix: { access: string; refresh: string };
};

type Code = { clientId: string; redirectUri: string; challenge: string | null; scope: string; expiresAt: number; used: boolean; family: string | null };
type Family = { revoked: boolean; current: string; scope: string; access: Set<string> };

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CODE_TTL_MS = 10 * 60 * 1000;
const rand = (n = 24) => randomBytes(n).toString("base64url");
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class SandboxOAuthServer {
  private codes = new Map<string, Code>();
  private families = new Map<string, Family>();
  private accessTokens = new Map<string, { family: string; expiresAt: number }>();
  private refreshTokens = new Map<string, string>();

  constructor(
    private readonly shape: SandboxOAuthShape,
    private readonly opts: SandboxOAuthOptions = {},
  ) {}

  /** The answer for an OAuth path, or null when the request is for the API. */
  handle(req: SandboxRequest): SandboxResponse | null {
    if (req.path === this.shape.paths.authorize && (req.method === "GET" || req.method === "POST")) return this.authorize(req);
    if (req.path === this.shape.paths.token && req.method === "POST") return this.token(req);
    return null;
  }

  /** An access token this server issued that is no longer good (expired, or its grant revoked). Unknown tokens are not its business. */
  rejects(token: string): boolean {
    const t = this.accessTokens.get(token);
    if (!t) return false;
    return t.expiresAt <= Date.now() || Boolean(this.families.get(t.family)?.revoked);
  }

  /** The user revoked the app at the provider: every token issued so far stops working. */
  revokeAll(): void {
    for (const f of this.families.values()) f.revoked = true;
  }

  /** Tokens for a grant the user approved out of band (the sandbox's "create a connection" shortcut, no browser). */
  grant(scope: string) {
    return this.issue(rand(12), scope);
  }

  /** RFC 7009: revokes the grant (family) an access or refresh token belongs to. Unknown tokens: nothing to do. */
  revoke(token: string): void {
    const familyId = this.accessTokens.get(token)?.family ?? this.refreshTokens.get(token);
    const family = familyId ? this.families.get(familyId) : undefined;
    if (family) family.revoked = true;
  }

  /** Time passes: every access token issued so far has expired (refresh tokens still work). */
  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.expiresAt = 0;
  }

  reset(): void {
    this.codes.clear();
    this.families.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  private authorize(req: SandboxRequest): SandboxResponse {
    const p = req.method === "POST" && req.body && typeof req.body === "object" ? new URLSearchParams(req.body as Record<string, string>) : req.query;
    const clientId = p.get("client_id") ?? "";
    const redirectUri = p.get("redirect_uri") ?? "";
    const client = this.opts.clients ? this.opts.clients[clientId] : { redirectUris: undefined };
    // Errors about the client or the redirect URI are shown here, never sent to an unverified redirect URI.
    if (!clientId || !client) return page(400, "Unknown application", `<p>The application identifier is not registered with ${esc(this.shape.provider)}.</p>`);
    let target: URL;
    try {
      target = new URL(redirectUri);
      if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error("scheme");
    } catch {
      return page(400, "Invalid redirect URI", "<p>The redirect_uri parameter is missing or not an http(s) URL.</p>");
    }
    if (client.redirectUris && !client.redirectUris.includes(redirectUri)) {
      return page(400, "Redirect URI mismatch", "<p>The redirect_uri is not registered for this application.</p>");
    }
    const state = p.get("state");
    const issuer = `http://${req.headers.host ?? "127.0.0.1"}`;
    const back = (params: Record<string, string>): SandboxResponse => {
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (state !== null) target.searchParams.set("state", state);
      if (this.opts.issuerParameter) target.searchParams.set("iss", issuer);
      return { status: 302, headers: { location: target.toString(), "cache-control": "no-store" } };
    };
    if ((p.get("response_type") ?? "code") !== "code") return back({ error: "unsupported_response_type" });
    const challenge = p.get("code_challenge");
    if (challenge !== null && p.get("code_challenge_method") !== "S256") return back({ error: "invalid_request", error_description: "code_challenge_method must be S256" });
    if (challenge !== null && !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return back({ error: "invalid_request", error_description: "malformed code_challenge" });
    if (challenge === null && this.opts.requirePkce) return back({ error: "invalid_request", error_description: "PKCE is required" });

    const decision = p.get("decision");
    if (this.opts.consent && decision === null) return this.consentPage(p);
    if (decision === "deny") return back({ error: "access_denied", error_description: "The user denied the request" });

    const code = rand();
    this.codes.set(code, { clientId, redirectUri, challenge, scope: p.get("scope") ?? "", expiresAt: Date.now() + CODE_TTL_MS, used: false, family: null });
    return back({ code });
  }

  private consentPage(p: URLSearchParams): SandboxResponse {
    const hidden = [...p.entries()].map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join("");
    const scope = p.get("scope");
    return page(
      200,
      `Authorize application`,
      `<p>An application wants to access your ${esc(this.shape.provider)} account${scope ? ` with the scopes <code>${esc(scope)}</code>` : ""}.</p>
<form method="post" action="${esc(this.shape.paths.authorize)}">${hidden}
<button type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>`,
    );
  }

  private token(req: SandboxRequest): SandboxResponse {
    const body = new URLSearchParams(req.body && typeof req.body === "object" ? (req.body as Record<string, string>) : {});
    let clientId = body.get("client_id");
    let secret = body.get("client_secret");
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      clientId = decodeURIComponent(decoded.slice(0, i));
      secret = decodeURIComponent(decoded.slice(i + 1));
    }
    if (!clientId) return json(401, { error: "invalid_client", error_description: "client authentication failed" });
    if (this.opts.clients) {
      const client = this.opts.clients[clientId];
      if (!client || (client.secret !== undefined && client.secret !== secret)) return json(401, { error: "invalid_client", error_description: "client authentication failed" });
    }
    const grant = body.get("grant_type");
    if (grant === "authorization_code") return this.exchangeCode(clientId, body);
    if (grant === "refresh_token") return this.refresh(clientId, body);
    return json(400, { error: "unsupported_grant_type" });
  }

  private exchangeCode(clientId: string, body: URLSearchParams): SandboxResponse {
    const invalid = (why: string) => json(400, { error: "invalid_grant", error_description: why });
    const code = this.codes.get(body.get("code") ?? "");
    if (!code) return invalid("The code is incorrect or expired.");
    if (code.used) {
      // A replayed code: whatever it issued is revoked (RFC 6749 §4.1.2).
      if (code.family) this.families.get(code.family)!.revoked = true;
      return invalid("The code was already used.");
    }
    // Burned by any attempt, right or wrong: a verifier cannot be guessed against the same code.
    code.used = true;
    if (code.expiresAt <= Date.now()) return invalid("The code is incorrect or expired.");
    if (code.clientId !== clientId) return invalid("The code was issued to another client.");
    if (body.get("redirect_uri") !== code.redirectUri) return invalid("The redirect_uri does not match the authorization request.");
    const verifier = body.get("code_verifier");
    if (code.challenge === null) {
      if (verifier !== null) return invalid("code_verifier sent for an authorization without code_challenge.");
    } else {
      if (verifier === null || !VERIFIER.test(verifier)) return invalid("A valid code_verifier is required.");
      if (createHash("sha256").update(verifier, "ascii").digest("base64url") !== code.challenge) return invalid("The code_verifier does not match the code_challenge.");
    }
    const family = rand(12);
    code.family = family;
    return json(200, this.issue(family, code.scope), { "cache-control": "no-store" });
  }

  private refresh(_clientId: string, body: URLSearchParams): SandboxResponse {
    const presented = body.get("refresh_token") ?? "";
    if (this.opts.adoptUnknownRefreshTokens && !this.refreshTokens.has(presented) && presented.startsWith(this.shape.tokenPrefix.refresh)) {
      const adopted = rand(12);
      this.families.set(adopted, { revoked: false, current: presented, scope: body.get("scope") ?? "", access: new Set() });
      this.refreshTokens.set(presented, adopted);
    }
    const familyId = this.refreshTokens.get(presented);
    const family = familyId ? this.families.get(familyId) : undefined;
    if (!familyId || !family || family.revoked) return json(400, { error: "invalid_grant", error_description: "The refresh token is invalid or revoked." });
    if (family.current !== presented) {
      family.revoked = true;
      return json(400, { error: "invalid_grant", error_description: "The refresh token was already used." });
    }
    return json(200, this.issue(familyId, family.scope), { "cache-control": "no-store" });
  }

  private issue(familyId: string, scope: string) {
    const ttl = this.opts.accessTokenTtlSeconds ?? 28_800;
    const access = `${this.shape.tokenPrefix.access}${rand(27)}`;
    const refresh = `${this.shape.tokenPrefix.refresh}${rand(48)}`;
    const family = this.families.get(familyId) ?? { revoked: false, current: refresh, scope, access: new Set<string>() };
    family.current = refresh;
    family.access.add(access);
    this.families.set(familyId, family);
    this.accessTokens.set(access, { family: familyId, expiresAt: Date.now() + ttl * 1000 });
    this.refreshTokens.set(refresh, familyId);
    return { access_token: access, token_type: "bearer", expires_in: ttl, refresh_token: refresh, refresh_token_expires_in: 15_897_600, ...(scope ? { scope } : {}) };
  }
}

function page(status: number, title: string, body: string): SandboxResponse {
  return {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`,
  };
}
