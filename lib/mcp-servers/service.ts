import { and, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { findMcpServer, listMcpServerRows, slugTaken } from "@/db/queries/mcp-servers";
import { connections, mcpServers, secrets, type Environment, type McpCredentialMode, type McpDiscoveryResult, type McpServer, type McpServerAuthMode } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { AppError, notFound, type FieldIssue } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import { discoverMcpServer } from "@/lib/mcp-servers/discovery";
import { getEnv } from "@/lib/env";
import { metadataDocumentClientId } from "@/lib/mcp-servers/oauth";
import { unsafeEndpointUrl, unsafeUrlMessage } from "@/lib/mcp-servers/oauth-urls";
import { chooseTokenEndpointAuthMethod, registerClient, RegistrationError, type TokenEndpointAuthMethod } from "@/lib/mcp-servers/registration";
import { checkOutboundUrl, guardedFetch, OutboundError, type OutboundFetch } from "@/lib/net/outbound-guard";
import type { Runtime } from "@/lib/runtime";
import type { McpServerOut } from "@/lib/schemas/mcp-servers";
import { putOwnedSecret } from "@/lib/secrets/service";
import { slugify } from "@/lib/tool-packs/service";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring" | "env">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

export type AuthInput = {
  mode?: McpServerAuthMode | undefined;
  header_name?: string | undefined;
  token?: string | undefined;
  client_id?: string | undefined;
  client_secret?: string | undefined;
  scopes?: string[] | undefined;
  auth_url?: string | undefined;
  token_url?: string | undefined;
  register_url?: string | undefined;
  resource?: string | undefined;
  pkce?: "public" | "confidential" | undefined;
  credential_mode?: McpCredentialMode | undefined;
  token_endpoint_auth_method?: TokenEndpointAuthMethod | undefined;
};

/** The settings a mode uses; the rest are cleared when the mode changes, so nothing stale lingers. */
type Settings = {
  mode: McpServerAuthMode;
  headerName: string | null;
  clientId: string | null;
  clientRegistered: boolean;
  scopes: string[];
  authUrl: string | null;
  tokenUrl: string | null;
  registerUrl: string | null;
  resource: string | null;
  pkce: "public" | "confidential" | null;
  credentialMode: McpCredentialMode | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
};

export function toMcpServerOut(s: McpServer): McpServerOut {
  const transport = s.transport === "stdio" ? "stdio" : "streamable-http";
  const auth: McpServerOut["auth"] = {
    mode: s.authMode,
    header_name: s.headerName,
    has_token: s.tokenSecretId !== null,
    client_id: s.clientId,
    has_client_secret: s.clientSecretId !== null,
    client_registered: s.clientRegistered,
    scopes: s.scopes,
    auth_url: s.authUrl,
    token_url: s.tokenUrl,
    register_url: s.registerUrl,
    resource: s.resource,
    pkce: s.pkce,
    credential_mode: s.credentialMode,
    token_endpoint_auth_method: s.tokenEndpointAuthMethod,
  };
  return {
    id: s.id,
    object: "mcp_server",
    environment_id: s.environmentId,
    name: s.name,
    slug: s.slug,
    config: { endpoint: s.url, transport, auth },
    credential_mode: s.credentialMode,
    url: s.url,
    transport,
    auth,
    discovery_result: s.discoveryResult,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

const invalid = (message: string, issues: FieldIssue[]) => new AppError({ code: "validation_error", message, issues });

function checkUrl(rt: Rt, url: string, path: string) {
  // O10: refused before anything is fetched, stored, redirected to or rendered.
  const bad = unsafeEndpointUrl(url);
  if (bad && bad !== "scheme") throw invalid(`The URL at ${path} ${unsafeUrlMessage[bad]}.`, [{ path, message: unsafeUrlMessage[bad] }]);
  try {
    checkOutboundUrl(url, rt.env.LATCHKEY_OUTBOUND_ALLOWLIST);
  } catch (err) {
    if (err instanceof OutboundError) {
      const m = err.code === "scheme" ? "must use https" : err.code === "blocked_address" ? "is a private, loopback, link-local or metadata address" : err.message;
      throw invalid(`The URL at ${path} ${m}.`, [{ path, message: m }]);
    }
    throw err;
  }
}

/** POST /mcp-servers/discover and the automatic run on create/update. */
export async function discover(rt: Rt, url: string, path = "url", fetcher: OutboundFetch = guardedFetch): Promise<McpDiscoveryResult> {
  checkUrl(rt, url, path);
  try {
    return await discoverMcpServer(url, fetcher);
  } catch (err) {
    if (err instanceof OutboundError) throw invalid(`The server URL was refused: ${err.message}.`, [{ path, message: err.message }]);
    throw err;
  }
}

const usesOAuth = (m: McpServerAuthMode) => m === "oauth_client_credentials" || m === "oauth_authorization_code";

/**
 * Given fields win; discovery fills what is missing. Then each mode's requirements are
 * checked with field paths, and an OAuth mode without a client id registers one (DCR).
 */
async function resolveSettings(
  rt: Rt,
  input: {
    environment: Env;
    name: string;
    base: Settings;
    given: AuthInput;
    hasToken: boolean;
    hasClientSecret: boolean;
    discovery: McpDiscoveryResult | null;
    /** Whether an unset mode takes discovery's recommendation (a new server, or a new URL). */
    recommend: boolean;
    redirectUri: string;
    fetcher: OutboundFetch;
  },
): Promise<{ settings: Settings; registeredSecret: string | null }> {
  const g = input.given;
  const d = input.discovery;
  const mode = g.mode ?? (input.recommend && d ? d.recommended_auth_mode : input.base.mode);
  const modeChanged = mode !== input.base.mode;
  const keep = <T>(v: T | null) => (modeChanged ? null : v);
  const s: Settings = {
    mode,
    headerName: g.header_name ?? keep(input.base.headerName),
    clientId: g.client_id ?? keep(input.base.clientId),
    clientRegistered: g.client_id !== undefined ? false : modeChanged ? false : input.base.clientRegistered,
    scopes: g.scopes ?? (modeChanged ? [] : input.base.scopes),
    authUrl: g.auth_url ?? keep(input.base.authUrl),
    tokenUrl: g.token_url ?? keep(input.base.tokenUrl),
    registerUrl: g.register_url ?? keep(input.base.registerUrl),
    resource: g.resource ?? keep(input.base.resource),
    pkce: g.pkce ?? keep(input.base.pkce),
    credentialMode: g.credential_mode ?? keep(input.base.credentialMode),
    tokenEndpointAuthMethod: g.token_endpoint_auth_method ?? keep(input.base.tokenEndpointAuthMethod),
  };
  const issues: FieldIssue[] = [];
  let registeredSecret: string | null = null;

  if (mode === "none") return { settings: { ...s, headerName: null, clientId: null, clientRegistered: false, scopes: [], authUrl: null, tokenUrl: null, registerUrl: null, resource: null, pkce: null, credentialMode: null, tokenEndpointAuthMethod: null }, registeredSecret };
  if (mode === "token") {
    if (!g.token && !(input.hasToken && !modeChanged)) issues.push({ path: "auth.token", message: "token mode needs a token" });
    if (issues.length) throw invalid("The server's auth settings are incomplete.", issues);
    return { settings: { ...s, headerName: s.headerName ?? "Authorization", clientId: null, clientRegistered: false, authUrl: null, tokenUrl: null, registerUrl: null, resource: null, pkce: null, credentialMode: null, tokenEndpointAuthMethod: null }, registeredSecret };
  }

  if (d) {
    s.authUrl ??= d.auth_url;
    s.tokenUrl ??= d.token_url;
    s.registerUrl ??= d.register_url;
    s.resource ??= d.resource;
    if (!s.scopes.length) s.scopes = d.scopes;
  }
  for (const [path, v] of [["auth.auth_url", s.authUrl], ["auth.token_url", s.tokenUrl], ["auth.register_url", s.registerUrl]] as const) if (v) checkUrl(rt, v, path);
  if (!s.tokenUrl) issues.push({ path: "auth.token_url", message: "discovery found no token endpoint; give token_url" });
  if (mode === "oauth_authorization_code" && !s.authUrl) issues.push({ path: "auth.auth_url", message: "discovery found no authorization endpoint; give auth_url" });
  // O4: MCP clients must refuse an AS whose metadata does not list S256 (absent included).
  if (mode === "oauth_authorization_code" && d?.issuer && !d.code_challenge_methods_supported.includes("S256")) {
    issues.push({ path: "auth.auth_url", message: "the authorization server does not support PKCE with S256 (code_challenge_methods_supported)" });
  }
  // A Client ID Metadata Document where the AS takes one: no registration, nothing stored at the AS.
  const cimd = mode === "oauth_authorization_code" && !s.clientId ? metadataDocumentClientId(d, input.redirectUri, g.pkce, getEnv().LATCHKEY_CLIENT_METADATA_URL) : null;
  if (cimd) {
    s.clientId = cimd;
    s.clientRegistered = false;
    s.tokenEndpointAuthMethod = "none";
  }
  if (!s.clientId && !s.registerUrl) issues.push({ path: "auth.client_id", message: "the authorization server offers no registration endpoint; give client_id (and client_secret)" });
  if (issues.length) throw invalid("The server's auth settings are incomplete.", issues);

  if (!s.clientId) {
    const supported = d?.token_endpoint_auth_methods_supported ?? [];
    // Asked for a public client: register one ("none") when the AS allows it.
    const wantPublic = mode === "oauth_authorization_code" && s.pkce === "public" && (supported.length === 0 || supported.includes("none"));
    const method = s.tokenEndpointAuthMethod ?? (wantPublic ? "none" : chooseTokenEndpointAuthMethod(supported));
    if (!method) throw invalid("The authorization server supports none of client_secret_basic, client_secret_post or none.", [{ path: "auth.token_endpoint_auth_method", message: "no supported method" }]);
    // A client-credentials client must authenticate; "none" would get it nothing.
    const chosen = mode === "oauth_client_credentials" && method === "none" ? "client_secret_basic" : method;
    try {
      const c = await registerClient(input.fetcher, { registerUrl: s.registerUrl!, redirectUri: input.redirectUri, mode, authMethod: chosen, scopes: s.scopes, clientName: `Latchkey · ${input.name}` });
      s.clientId = c.client_id;
      s.clientRegistered = true;
      s.tokenEndpointAuthMethod = c.token_endpoint_auth_method;
      registeredSecret = c.client_secret;
    } catch (err) {
      if (err instanceof RegistrationError) throw invalid(`Client registration failed: ${err.message}. Give client_id and client_secret instead.`, [{ path: "auth.client_id", message: err.message }]);
      throw err;
    }
  } else {
    const haveSecret = Boolean(g.client_secret) || (input.hasClientSecret && !modeChanged && g.client_id === undefined);
    s.tokenEndpointAuthMethod ??= haveSecret ? "client_secret_basic" : "none";
    if (s.tokenEndpointAuthMethod !== "none" && !haveSecret) throw invalid("A confidential client needs its secret.", [{ path: "auth.client_secret", message: `required with ${s.tokenEndpointAuthMethod}` }]);
    if (mode === "oauth_client_credentials" && s.tokenEndpointAuthMethod === "none") throw invalid("Client credentials need a client secret.", [{ path: "auth.client_secret", message: "required for oauth_client_credentials" }]);
  }
  if (mode === "oauth_authorization_code") {
    s.pkce ??= s.tokenEndpointAuthMethod === "none" ? "public" : "confidential";
    if (s.pkce === "confidential" && s.tokenEndpointAuthMethod === "none") throw invalid("A confidential client needs a client secret.", [{ path: "auth.pkce", message: "confidential needs client_secret (or use public)" }]);
    s.credentialMode ??= "per_user";
  } else {
    s.pkce = null;
    s.credentialMode = null;
  }
  return { settings: s, registeredSecret };
}

const columns = (s: Settings) => ({
  authMode: s.mode,
  headerName: s.headerName,
  clientId: s.clientId,
  clientRegistered: s.clientRegistered,
  scopes: s.scopes,
  authUrl: s.authUrl,
  tokenUrl: s.tokenUrl,
  registerUrl: s.registerUrl,
  resource: s.resource,
  pkce: s.pkce,
  credentialMode: s.credentialMode,
  tokenEndpointAuthMethod: s.tokenEndpointAuthMethod,
});

const conflictSlug = (slug: string) => new AppError({ code: "conflict", message: `An MCP server with slug "${slug}" already exists.`, issues: [{ path: "slug", message: "already taken" }] });

/** Audit rows say which settings changed, never a secret or a URL's query string. */
const auditSummary = (s: McpServer) => ({ name: s.name, slug: s.slug, url: s.url.split("?")[0], auth_mode: s.authMode, credential_mode: s.credentialMode, client_registered: s.clientRegistered });

/** Tool names are `{slug}__{tool}`: a slug with "__" would make them ambiguous. */
function checkSlug(slug: string) {
  if (slug.includes("__")) throw invalid("The slug may not contain a double underscore.", [{ path: "slug", message: "no double underscore" }]);
}

export async function createMcpServer(
  rt: Rt,
  input: { environment: Env; name: string; slug?: string | undefined; url: string; auth: AuthInput; redirectUri: string; fetcher?: OutboundFetch } & Caller,
) {
  const fetcher = input.fetcher ?? guardedFetch;
  const slug = input.slug ?? slugify(input.name);
  checkSlug(slug);
  if (await slugTaken(rt.db, input.environment.id, slug)) throw conflictSlug(slug);
  const discovery = await discover(rt, input.url, "url", fetcher);
  const base: Settings = { mode: "none", headerName: null, clientId: null, clientRegistered: false, scopes: [], authUrl: null, tokenUrl: null, registerUrl: null, resource: null, pkce: null, credentialMode: null, tokenEndpointAuthMethod: null };
  const { settings, registeredSecret } = await resolveSettings(rt, { environment: input.environment, name: input.name, base, given: input.auth, hasToken: false, hasClientSecret: false, discovery, recommend: true, redirectUri: input.redirectUri, fetcher });
  const id = createId("mcpServer");
  return rt.db.transaction(async (tx) => {
    const tokenSecretId = settings.mode === "token" && input.auth.token ? await putOwnedSecret(rt, tx, input.environment, { name: `mcp_server:${id}:token`, value: input.auth.token }) : null;
    const clientSecret = registeredSecret ?? (usesOAuth(settings.mode) ? (input.auth.client_secret ?? null) : null);
    const clientSecretId = clientSecret ? await putOwnedSecret(rt, tx, input.environment, { name: `mcp_server:${id}:client_secret`, value: clientSecret }) : null;
    const [row] = await tx
      .insert(mcpServers)
      .values({ id, environmentId: input.environment.id, name: input.name, slug, url: input.url, transport: "streamable-http", ...columns(settings), tokenSecretId, clientSecretId, discoveryResult: discovery })
      .onConflictDoNothing({ target: [mcpServers.environmentId, mcpServers.slug] })
      .returning();
    if (!row) throw conflictSlug(slug);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_server.created",
      target: { type: "mcp_server", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { ...auditSummary(row), secrets_set: [...(tokenSecretId ? ["token"] : []), ...(clientSecretId ? ["client_secret"] : [])] },
    });
    return row;
  });
}

export async function getMcpServer(db: DbOrTx, environmentId: string, id: string) {
  const s = await findMcpServer(db, environmentId, id);
  if (!s) throw notFound("MCP server");
  return s;
}

export async function listMcpServers(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined }) {
  const rows = await listMcpServerRows(db, { environmentId: input.environmentId, limit: input.limit, beforeId: decodeCursor(input.cursor) });
  return page(rows, input.limit);
}

export async function updateMcpServer(
  rt: Rt,
  input: {
    environment: Env;
    id: string;
    patch: { name?: string | undefined; slug?: string | undefined; url?: string | undefined; auth?: AuthInput | undefined; rediscover?: boolean | undefined };
    redirectUri: string;
    fetcher?: OutboundFetch;
  } & Caller,
) {
  const fetcher = input.fetcher ?? guardedFetch;
  const before = await getMcpServer(rt.db, input.environment.id, input.id);
  const p = input.patch;
  if (p.slug !== undefined) {
    checkSlug(p.slug);
    if (p.slug !== before.slug && (await slugTaken(rt.db, input.environment.id, p.slug, before.id))) throw conflictSlug(p.slug);
  }
  const url = p.url ?? before.url;
  const rediscover = p.rediscover || (p.url !== undefined && p.url !== before.url);
  const discovery = rediscover ? await discover(rt, url, "url", fetcher) : before.discoveryResult;
  const touchesAuth = p.auth !== undefined || rediscover;
  const given = p.auth ?? {};
  // A new authorization server means the registered client belongs to another issuer: register again.
  const issuerMoved = rediscover && before.clientRegistered && given.client_id === undefined && discovery?.issuer !== before.discoveryResult?.issuer;
  const base: Settings = {
    mode: before.authMode,
    headerName: before.headerName,
    clientId: issuerMoved ? null : before.clientId,
    clientRegistered: issuerMoved ? false : before.clientRegistered,
    scopes: before.scopes,
    authUrl: rediscover && before.clientRegistered ? null : before.authUrl,
    tokenUrl: rediscover && before.clientRegistered ? null : before.tokenUrl,
    registerUrl: rediscover && before.clientRegistered ? null : before.registerUrl,
    resource: before.resource,
    pkce: before.pkce,
    credentialMode: before.credentialMode,
    tokenEndpointAuthMethod: issuerMoved ? null : (before.tokenEndpointAuthMethod as TokenEndpointAuthMethod | null),
  };
  const resolved = touchesAuth
    ? await resolveSettings(rt, {
        environment: input.environment,
        name: p.name ?? before.name,
        base,
        given,
        hasToken: before.tokenSecretId !== null,
        hasClientSecret: before.clientSecretId !== null && !issuerMoved,
        discovery,
        recommend: rediscover && p.url !== undefined && given.mode === undefined && before.authMode === "none",
        redirectUri: input.redirectUri,
        fetcher,
      })
    : null;

  return rt.db.transaction(async (tx) => {
    const set: Partial<typeof mcpServers.$inferInsert> = {};
    if (p.name !== undefined) set.name = p.name;
    if (p.slug !== undefined) set.slug = p.slug;
    if (p.url !== undefined) set.url = p.url;
    if (rediscover) set.discoveryResult = discovery;
    const secretsSet: string[] = [];
    const dropSecrets: string[] = [];
    if (resolved) {
      const s = resolved.settings;
      Object.assign(set, columns(s));
      // Token: kept while the mode stays token, replaced when given, dropped otherwise.
      if (s.mode === "token" && given.token) {
        set.tokenSecretId = await putOwnedSecret(rt, tx, input.environment, { id: before.tokenSecretId, name: `mcp_server:${before.id}:token`, value: given.token });
        secretsSet.push("token");
      } else if (s.mode !== "token" && before.tokenSecretId) {
        set.tokenSecretId = null;
        dropSecrets.push(before.tokenSecretId);
      }
      const newClientSecret = resolved.registeredSecret ?? (usesOAuth(s.mode) ? (given.client_secret ?? null) : null);
      const clientChanged = s.clientId !== before.clientId;
      if (newClientSecret) {
        set.clientSecretId = await putOwnedSecret(rt, tx, input.environment, { id: before.clientSecretId, name: `mcp_server:${before.id}:client_secret`, value: newClientSecret });
        secretsSet.push("client_secret");
      } else if (before.clientSecretId && (!usesOAuth(s.mode) || clientChanged || s.tokenEndpointAuthMethod === "none")) {
        set.clientSecretId = null;
        dropSecrets.push(before.clientSecretId);
      }
    }
    if (Object.keys(set).length === 0) return before;
    if (dropSecrets.length) await tx.delete(secrets).where(and(eq(secrets.environmentId, input.environment.id), inArray(secrets.id, dropSecrets)));
    const [after] = await tx
      .update(mcpServers)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(mcpServers.environmentId, input.environment.id), eq(mcpServers.id, before.id)))
      .returning();
    if (!after) throw notFound("MCP server");
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_server.updated",
      target: { type: "mcp_server", id: before.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { ...auditSummary(after), fields: Object.keys(set).filter((k) => k !== "tokenSecretId" && k !== "clientSecretId"), secrets_set: secretsSet, secrets_removed: dropSecrets.length },
    });
    return after;
  });
}

export async function deleteMcpServer(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  await db.transaction(async (tx) => {
    const s = await getMcpServer(tx, input.environment.id, input.id);
    const owned = [s.tokenSecretId, s.clientSecretId].filter((x): x is string => x !== null);
    if (owned.length) await tx.delete(secrets).where(and(eq(secrets.environmentId, input.environment.id), inArray(secrets.id, owned)));
    // Connections bound to the server (authorization code) go with it: their tokens are for it alone.
    const dropped = await tx.delete(connections).where(and(eq(connections.environmentId, input.environment.id), eq(connections.connector, s.id))).returning({ id: connections.id });
    await tx.delete(mcpServers).where(and(eq(mcpServers.environmentId, input.environment.id), eq(mcpServers.id, s.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_server.deleted",
      target: { type: "mcp_server", id: s.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { ...auditSummary(s), connections_removed: dropped.length },
    });
  });
}
