import { randomBytes } from "node:crypto";
import type { DbOrTx } from "@/db/client";
import { insertOauthState, pruneOauthStates } from "@/db/queries/link";
import { findMcpServer, listEnvironmentMcpServers } from "@/db/queries/mcp-servers";
import type { Environment, LinkOauthState, LinkSession, McpDiscoveryResult, McpServer } from "@/db/schema";
import { OAuthGrantError, type TokenResponse } from "@/lib/connections/oauth-client";
import { getConnector } from "@/lib/connectors/catalog";
import { authorizationUrl, EndpointRefused, pkceRefusal, tokenRequestFor } from "@/lib/mcp-servers/oauth-client";
import { parseScopes } from "@/lib/connections/service";
import { base62, hashToken } from "@/lib/crypto/tokens";
import { seal, unseal } from "@/lib/crypto/vault";
import { AppError } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { guardedFetch, type OutboundFetch } from "@/lib/net/outbound-guard";
import type { Runtime } from "@/lib/runtime";
import { readSecret } from "@/lib/secrets/service";

export { pkceRefusal };

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring">;

/**
 * A registered MCP server appears wherever a connector slug does (link tokens, Link, OAuth
 * state, connections) under its id: stable across slug renames, and never a catalog slug.
 */
export const isServerKey = (key: string) => /^srv_[0-9a-z]{6,60}$/.test(key);

/** The per-deployment Client ID Metadata Document (MCP 2025-11-25 §CIMD); its URL is the client_id. */
export const CLIENT_METADATA_PATH = "/oauth/client-metadata.json";
export const clientMetadataUrl = (baseUrl: string) => `${baseUrl.replace(/\/$/, "")}${CLIENT_METADATA_PATH}`;
export function clientMetadataDocument(baseUrl: string, documentUrl?: string) {
  const base = baseUrl.replace(/\/$/, "");
  return {
    client_id: documentUrl ?? clientMetadataUrl(base),
    client_name: "Latchkey",
    client_uri: base,
    redirect_uris: [`${base}/oauth/callback`],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    application_type: "web",
  };
}
/** CIMD client ids must be https URLs with a path; a deployment on plain http cannot use one. */
export const canUseClientMetadata = (baseUrl: string) => baseUrl.startsWith("https://");

/**
 * The client_id to use instead of registering: Latchkey's metadata document URL (the operator's
 * LATCHKEY_CLIENT_METADATA_URL, else its own on an https deployment), when the AS advertises
 * CIMD support and no confidential client was asked for.
 */
export function metadataDocumentClientId(d: Pick<McpDiscoveryResult, "client_id_metadata_document_supported"> | null, redirectUri: string, pkce: "public" | "confidential" | undefined, documentUrl?: string): string | null {
  if (!d?.client_id_metadata_document_supported || pkce === "confidential") return null;
  if (documentUrl) return documentUrl;
  const base = new URL(redirectUri).origin;
  return canUseClientMetadata(base) ? clientMetadataUrl(base) : null;
}

/** Per-user authorization code: the servers an end user connects (the rest need nothing from them). */
export const isPerUserServer = (s: Pick<McpServer, "authMode" | "credentialMode">) => s.authMode === "oauth_authorization_code" && s.credentialMode !== "shared";

const verifierAad = (env: Env, rowId: string) => ({ org: env.organizationId, env: env.id, table: "link_oauth_states", row: rowId, field: "code_verifier" });
const b64url = (b: Buffer) => b.toString("base64url");

/** Shared authorization code: one environment-wide connection, made by whoever the operator sends a link naming the server. */
export const isSharedCodeServer = (s: Pick<McpServer, "authMode" | "credentialMode">) => s.authMode === "oauth_authorization_code" && s.credentialMode === "shared";

/**
 * The servers a Link session may connect: per-user authorization-code servers, narrowed by the
 * token's list; a shared one only when the token names it (the operator's "connect" link).
 */
export async function sessionServers(db: DbOrTx, session: Pick<LinkSession, "environmentId" | "connectors">): Promise<McpServer[]> {
  const wanted = session.connectors ? new Set(session.connectors) : null;
  if (wanted && ![...wanted].some(isServerKey)) return [];
  return (await listEnvironmentMcpServers(db, session.environmentId))
    .filter((s) => (isPerUserServer(s) && (!wanted || wanted.has(s.id))) || (isSharedCodeServer(s) && wanted?.has(s.id)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Names of the servers an end user (or an operator's link) can connect, by id: for link and magic-link validation and display. */
export async function serverNames(db: DbOrTx, environmentId: string): Promise<Map<string, string>> {
  return new Map((await listEnvironmentMcpServers(db, environmentId)).filter((s) => s.authMode === "oauth_authorization_code").map((s) => [s.id, s.name]));
}

/**
 * Display names for the keys a link may name: catalog connectors by slug, registered servers
 * by id (looked up once, only when a server id appears). `isServer` says which ids are known.
 */
export async function accountNamer(db: DbOrTx, environmentId: string, keys: readonly string[]): Promise<{ name: (key: string) => string; isServer: (key: string) => boolean }> {
  const servers = keys.some(isServerKey) ? await serverNames(db, environmentId) : new Map<string, string>();
  return { name: (key) => getConnector(key)?.name ?? servers.get(key) ?? key, isServer: (key) => servers.has(key) };
}

export async function requireSessionServer(db: DbOrTx, session: Pick<LinkSession, "environmentId" | "connectors">, id: string): Promise<McpServer> {
  const server = (await sessionServers(db, session)).find((s) => s.id === id);
  if (!server) throw new AppError({ code: "forbidden", message: "This link does not cover that account." });
  return server;
}

/**
 * Begins the end user's authorization at the server's AS, exactly like a connector's (state
 * hashed and bound to the Link session, single use, 10 minutes; PKCE S256 sealed server-side),
 * plus the RFC 8707 `resource` the server's metadata publishes, so the token is for it alone.
 */
export async function startServerOAuth(rt: Rt, input: { session: LinkSession; env: Env; serverId: string; redirectUri: string; ttlMs: number }): Promise<{ authorize_url: string }> {
  const server = await requireSessionServer(rt.db, input.session, input.serverId);
  const refusal = pkceRefusal(server);
  if (refusal) throw new AppError({ code: "conflict", message: refusal });
  if (!server.clientId) throw new AppError({ code: "conflict", message: `${server.name} has no OAuth client yet. Ask the app's team to finish its setup.` });
  let authorize: string;
  const state = base62(randomBytes(32), 43);
  const verifier = b64url(randomBytes(32));
  try {
    authorize = authorizationUrl(server, { redirectUri: input.redirectUri, state, verifier });
  } catch (err) {
    if (err instanceof EndpointRefused) throw new AppError({ code: "conflict", message: err.message });
    throw err;
  }

  const id = createId("linkOauthState");
  await pruneOauthStates(rt.db, input.env.id, input.session.id);
  await insertOauthState(rt.db, {
    id,
    environmentId: input.env.id,
    linkSessionId: input.session.id,
    connector: server.id,
    stateHash: hashToken(state),
    codeVerifier: seal(rt, verifier, verifierAad(input.env, id)),
    redirectUri: input.redirectUri,
    // RFC 9207: the issuer discovery verified, else the endpoint's origin (hand-configured servers).
    expectedIssuer: server.discoveryResult?.issuer ?? new URL(authorize).origin,
    requestedScopes: server.scopes,
    expiresAt: new Date(Date.now() + input.ttlMs),
  });
  return { authorize_url: authorize };
}

export const unsealServerVerifier = (rt: Rt, env: Env, row: Pick<LinkOauthState, "id" | "codeVerifier">) => (row.codeVerifier ? unseal(rt, row.codeVerifier, verifierAad(env, row.id)) : null);

/** A token request to the server's AS with its client authentication and `resource` exactly as published (outbound-guarded). */
export async function serverTokenRequest(rt: Rt, env: Env, server: McpServer, params: Record<string, string>, fetcher: OutboundFetch = guardedFetch): Promise<TokenResponse> {
  const method = server.tokenEndpointAuthMethod ?? (server.clientSecretId ? "client_secret_basic" : "none");
  const secret = method !== "none" && server.clientSecretId ? await readSecret(rt, env, server.clientSecretId) : null;
  return tokenRequestFor(server, secret, params, fetcher);
}

/** Refresh for a connection bound to a server (called by lib/connections/refresh under its lease). */
export async function refreshServerToken(rt: Rt, env: Env, serverId: string, refreshToken: string): Promise<{ tokens: TokenResponse; name: string }> {
  const server = await findMcpServer(rt.db, env.id, serverId);
  if (!server) throw new OAuthGrantError("server_deleted");
  return { tokens: await serverTokenRequest(rt, env, server, { grant_type: "refresh_token", refresh_token: refreshToken }), name: server.name };
}

export const grantedScopes = (tokens: TokenResponse, requested: string[]) => (tokens.scope !== undefined ? parseScopes(tokens.scope) : requested);
