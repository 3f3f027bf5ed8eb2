import { createHash, randomBytes } from "node:crypto";
import type { LinkOauthState, LinkSession } from "@/db/schema";
import { consumeOauthState, insertOauthState, pruneOauthStates } from "@/db/queries/link";
import { effectiveConfig, oauthClientSecret, type EffectiveConfig } from "@/lib/connectors/configs";
import type { ConnectorDef } from "@/lib/connectors/types";
import type { Credential } from "@/lib/connections/credentials";
import { tokenRequest, type TokenResponse } from "@/lib/connections/oauth-client";
import { baseUrlFor, parseScopes, providerHttpFor, saveOAuthConnection } from "@/lib/connections/service";
import { base62, hashToken, safeEqual } from "@/lib/crypto/tokens";
import { seal, unseal } from "@/lib/crypto/vault";
import { AppError } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { endUserActor, environmentOf, limitPerSession, requireAllowedConnector, requireLinkSession, type Caller } from "@/lib/link/session";
import { log } from "@/lib/log";
import { grantedScopes, isServerKey, isSharedCodeServer, requireSessionServer, serverTokenRequest, startServerOAuth, unsealServerVerifier } from "@/lib/mcp-servers/oauth";
import { assertSandboxAllowed, sandboxConfig } from "@/lib/sandbox/hosted";
import type { Runtime } from "@/lib/runtime";
import type { LinkCallbackError } from "@/lib/schemas/link";

type Rt = Pick<Runtime, "db" | "keyring">;

/** RFC 9700 / ASVS V10.4.3: an authorization in flight lives 10 minutes at most. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;

/** The one redirect URI of every OAuth app registered for Latchkey (README: "Your own OAuth app"). */
export const oauthRedirectUri = (baseUrl: string) => `${baseUrl.replace(/\/$/, "")}/oauth/callback`;

const b64url = (buf: Buffer) => buf.toString("base64url");
export const pkceChallenge = (verifier: string) => b64url(createHash("sha256").update(verifier, "ascii").digest());

const verifierAad = (env: { id: string; organizationId: string }, rowId: string) => ({ org: env.organizationId, env: env.id, table: "link_oauth_states", row: rowId, field: "code_verifier" });

/** Every scope the connector's tools can use, plus the ones it always asks for, unless the environment chose its own list. */
export function requestedScopes(cfg: EffectiveConfig): string[] {
  const def = cfg.connector;
  if (def.auth.kind !== "oauth2") return [];
  const chosen = cfg.scopes ?? def.tools.flatMap((t) => t.scopes);
  return [...new Set([...def.auth.baseScopes, ...chosen])];
}

/** Authorization endpoints are https, or http on a loopback host (sandboxes, tests); nothing else is ever a redirect target. */
function checkedEndpoint(raw: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new AppError({ code: "conflict", message: `The ${what} is not a valid URL.` });
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(u.hostname);
  if (!(u.protocol === "https:" || (u.protocol === "http:" && loopback)) || u.username || u.password) {
    throw new AppError({ code: "conflict", message: `The ${what} must be an https URL.` });
  }
  return u;
}

/**
 * Begins an authorization for one connector: a random `state` (stored hashed, bound to this
 * link session, single use, 10 minutes), PKCE S256 where the provider supports it (verifier
 * sealed server-side), and the exact redirect URI. Returns the provider URL to send the browser to.
 */
export async function startOAuth(rt: Rt, input: { session: LinkSession; connector: string; baseUrl: string; sandbox?: boolean | undefined }): Promise<{ authorize_url: string }> {
  await limitPerSession(rt, "link_oauth_start", input.session);
  // A registered MCP server (per-user authorization code) connects through the same flow.
  if (isServerKey(input.connector)) {
    const env = await environmentOf(rt.db, input.session.environmentId);
    return startServerOAuth(rt, { session: input.session, env, serverId: input.connector, redirectUri: oauthRedirectUri(input.baseUrl), ttlMs: OAUTH_STATE_TTL_MS });
  }
  const def = await requireAllowedConnector(rt.db, input.session, input.connector, { sandbox: Boolean(input.sandbox) });
  if (def.auth.kind !== "oauth2") throw new AppError({ code: "validation_error", message: `${def.name} connects with a form, not OAuth.` });
  const env = await environmentOf(rt.db, input.session.environmentId);
  // "Sandbox account": the same flow against Latchkey's own sandbox authorization server (its
  // consent screen is served by this app), test environments only.
  if (input.sandbox) assertSandboxAllowed(env);
  const configured = await effectiveConfig(rt.db, input.session.environmentId, def.slug);
  const cfg = input.sandbox ? sandboxConfig(configured, env.id, { publicOrigin: input.baseUrl }) : configured;
  if (!cfg.oauthClientId || !cfg.oauthAuthorizeUrl) throw new AppError({ code: "conflict", message: `${def.name} is not set up for connecting yet.` });
  const authorize = input.sandbox ? new URL(cfg.oauthAuthorizeUrl) : checkedEndpoint(cfg.oauthAuthorizeUrl, "authorization URL");

  const state = base62(randomBytes(32), 43);
  const verifier = def.auth.pkce ? b64url(randomBytes(32)) : null;
  const redirectUri = oauthRedirectUri(input.baseUrl);
  const scopes = requestedScopes(cfg);
  const id = createId("linkOauthState");
  await pruneOauthStates(rt.db, env.id, input.session.id);
  await insertOauthState(rt.db, {
    id,
    environmentId: env.id,
    linkSessionId: input.session.id,
    connector: def.slug,
    stateHash: hashToken(state),
    codeVerifier: verifier ? seal(rt, verifier, verifierAad(env, id)) : null,
    redirectUri,
    expectedIssuer: authorize.origin,
    requestedScopes: scopes,
    sandbox: Boolean(input.sandbox),
    expiresAt: new Date(Date.now() + OAUTH_STATE_TTL_MS),
  });

  const q = authorize.searchParams;
  q.set("response_type", "code");
  q.set("client_id", cfg.oauthClientId);
  q.set("redirect_uri", redirectUri);
  if (scopes.length) q.set("scope", scopes.join(def.auth.scopeSeparator));
  q.set("state", state);
  if (verifier) {
    q.set("code_challenge", pkceChallenge(verifier));
    q.set("code_challenge_method", "S256");
  }
  for (const [k, v] of Object.entries(def.auth.authorizeParams ?? {})) q.set(k, v);
  return { authorize_url: authorize.toString() };
}

export type CallbackOutcome = { connector: string | null; error: LinkCallbackError | null; connectionId?: string; environmentId?: string };

/**
 * The provider sent the browser back. Checked before anything reaches the token endpoint:
 * the link-session cookie, then `state` (consumed on first use, and only found when it
 * belongs to this very session), its age, and `iss` when the provider sends one (RFC 9207).
 * Then the code is exchanged with the stored PKCE verifier and the connection saved — in
 * place when the user already has one for this connector (same id, back to active).
 */
export async function completeOAuth(
  rt: Rt,
  input: { cookieSecret: string | null; query: { state?: string | undefined; code?: string | undefined; iss?: string | undefined; error?: string | undefined } } & Caller,
): Promise<CallbackOutcome> {
  const fail = (error: LinkCallbackError, connector: string | null = null): CallbackOutcome => ({ connector, error });
  if (!input.query.state) return fail("invalid_state");
  let session: LinkSession;
  try {
    session = await requireLinkSession(rt, input.cookieSecret);
  } catch {
    return fail("session_missing");
  }
  const row = await consumeOauthState(rt.db, session.environmentId, session.id, hashToken(input.query.state));
  if (!row) return fail("invalid_state");
  if (row.expiresAt.getTime() <= Date.now()) return fail("invalid_state", row.connector);
  if (input.query.iss !== undefined && !safeEqual(input.query.iss, row.expectedIssuer)) {
    log.warn("oauth callback issuer mismatch", { connector: row.connector, environment: session.environmentId });
    return fail("issuer_mismatch", row.connector);
  }
  if (input.query.error) return fail(input.query.error === "access_denied" ? "access_denied" : "provider_error", row.connector);
  if (!input.query.code) return fail("provider_error", row.connector);

  const env = await environmentOf(rt.db, session.environmentId);
  if (isServerKey(row.connector)) return completeServerOAuth(rt, { session, env, row, code: input.query.code, ip: input.ip ?? null, requestId: input.requestId ?? null });
  let def: ConnectorDef;
  try {
    def = await requireAllowedConnector(rt.db, session, row.connector, { sandbox: row.sandbox });
  } catch {
    return fail("not_available", row.connector);
  }
  if (row.sandbox && env.kind !== "test") return fail("not_available", row.connector);
  const configured = await effectiveConfig(rt.db, env.id, def.slug);
  const cfg = row.sandbox ? sandboxConfig(configured, env.id) : configured;
  const verifier = row.codeVerifier ? unseal(rt, row.codeVerifier, verifierAad(env, row.id)) : null;
  let tokens: TokenResponse;
  try {
    const secret = await oauthClientSecret(rt, env, cfg);
    tokens = await tokenRequest(cfg, secret, {
      grant_type: "authorization_code",
      code: input.query.code,
      redirect_uri: row.redirectUri,
      ...(verifier ? { code_verifier: verifier } : {}),
    });
  } catch (err) {
    log.warn("oauth code exchange failed", { connector: def.slug, environment: env.id, reason: (err as Error).name, message: (err as Error).message });
    return fail("exchange_failed", def.slug);
  }
  const { access_token, refresh_token, expires_in, scope, token_type, ...rest } = tokens;
  const extra = providerExtras(rest);
  const granted = scope !== undefined ? parseScopes(scope) : row.requestedScopes;
  const accountLabel = await readAccountLabel(def, cfg, { type: "oauth2", access_token }, granted);
  const { connection } = await saveOAuthConnection(rt, {
    environment: env,
    owner: { type: "registered_user", id: session.registeredUserId },
    connector: def.slug,
    tokens: {
      access_token,
      ...(typeof refresh_token === "string" ? { refresh_token } : {}),
      ...(typeof expires_in === "number" ? { expires_in } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(typeof token_type === "string" ? { token_type } : {}),
      ...(Object.keys(extra).length ? { extra } : {}),
    },
    requestedScopes: row.requestedScopes,
    accountLabel,
    sandbox: row.sandbox,
    actor: endUserActor(session),
    requestId: input.requestId ?? null,
    ip: input.ip ?? null,
  });
  return { connector: def.slug, error: null, connectionId: connection.id, environmentId: env.id };
}

/** The callback for a registered MCP server: the code exchanged with PKCE and `resource`, the tokens saved as the user's connection to that server. */
async function completeServerOAuth(
  rt: Rt,
  input: { session: LinkSession; env: Awaited<ReturnType<typeof environmentOf>>; row: LinkOauthState; code: string } & Caller,
): Promise<CallbackOutcome> {
  const { session, env, row } = input;
  let server;
  try {
    server = await requireSessionServer(rt.db, session, row.connector);
  } catch {
    return { connector: row.connector, error: "not_available" };
  }
  let tokens: TokenResponse;
  try {
    const verifier = unsealServerVerifier(rt, env, row);
    tokens = await serverTokenRequest(rt, env, server, { grant_type: "authorization_code", code: input.code, redirect_uri: row.redirectUri, ...(verifier ? { code_verifier: verifier } : {}) });
  } catch (err) {
    log.warn("oauth code exchange failed", { server: server.id, environment: env.id, reason: (err as Error).name, message: (err as Error).message });
    return { connector: server.id, error: "exchange_failed" };
  }
  const { connection } = await saveOAuthConnection(rt, {
    environment: env,
    // A shared server's connection serves the whole environment; the person who connected is in the audit row.
    owner: isSharedCodeServer(server) ? { type: "environment", id: env.id } : { type: "registered_user", id: session.registeredUserId },
    connector: server.id,
    tokens: {
      access_token: tokens.access_token,
      ...(typeof tokens.refresh_token === "string" ? { refresh_token: tokens.refresh_token } : {}),
      ...(typeof tokens.expires_in === "number" ? { expires_in: tokens.expires_in } : {}),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
      ...(typeof tokens.token_type === "string" ? { token_type: tokens.token_type } : {}),
    },
    requestedScopes: grantedScopes(tokens, row.requestedScopes),
    accountLabel: null,
    actor: endUserActor(session),
    requestId: input.requestId ?? null,
    ip: input.ip ?? null,
  });
  return { connector: server.id, error: null, connectionId: connection.id, environmentId: env.id };
}

/**
 * Non-secret extras a provider returns with the tokens (Slack's team, Notion's workspace).
 * Token-like keys are dropped at any depth: Slack nests a user token under `authed_user`.
 */
function providerExtras(rest: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (/token|secret|code|password|verifier/i.test(k)) continue;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      if (depth < 3) out[k] = providerExtras(v as Record<string, unknown>, depth + 1);
    } else if (v === null || ["string", "number", "boolean"].includes(typeof v)) {
      out[k] = v;
    }
  }
  return out;
}

async function readAccountLabel(def: ConnectorDef, cfg: EffectiveConfig, cred: Credential, granted: string[]): Promise<string | null> {
  if (!def.accountLabel) return null;
  try {
    const http = providerHttpFor(def, baseUrlFor(def, cfg.baseUrl, cred), cred, granted);
    return await def.accountLabel({ http, connection: { id: "", grantedScopes: granted, accountLabel: null }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    // The connection is good even when the label cannot be read now.
    log.warn("could not read account label", { connector: def.slug, reason: (err as Error).name });
    return null;
  }
}
