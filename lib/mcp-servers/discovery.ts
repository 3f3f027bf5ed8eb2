import type { McpDiscoveryResult, McpServerAuthMode } from "@/db/schema";
import { unsafeEndpointUrl, unsafeUrlMessage } from "@/lib/mcp-servers/oauth-urls";
import { OutboundError, type OutboundFetch } from "@/lib/net/outbound-guard";

/**
 * How an MCP server wants to be authenticated, found the way an MCP client must (2025-11-25
 * authorization): an unauthenticated request, the 401's `resource_metadata`, else the
 * path-aware well-known protected resource metadata (RFC 9728), then the authorization
 * server's metadata (RFC 8414, then OpenID discovery, with the issuer checked). Every URL
 * tried is recorded, so an operator sees what failed rather than a bare "not found".
 */

/** Auth-params of every challenge in a WWW-Authenticate header, by scheme (lower-cased). */
export function parseWwwAuthenticate(header: string | null): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (!header) return out;
  // A token followed by a space (not `=`) starts a new challenge; the rest are its params.
  const re = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/g;
  let current: Record<string, string> | null = null;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    const [, name, rawValue] = m;
    if (rawValue === undefined) {
      current = {};
      out.set(name!.toLowerCase(), current);
      continue;
    }
    if (!current) continue;
    current[name!.toLowerCase()] = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, "$1") : rawValue;
  }
  return out;
}

const trimSlash = (p: string) => (p === "/" ? "" : p.replace(/\/+$/, ""));

/** RFC 9728 §3.1: the well-known segment goes between host and path; the root form last. */
export function protectedResourceMetadataUrls(serverUrl: string): string[] {
  const u = new URL(serverUrl);
  const path = trimSlash(u.pathname);
  const urls = path ? [`${u.origin}/.well-known/oauth-protected-resource${path}`] : [];
  urls.push(`${u.origin}/.well-known/oauth-protected-resource`);
  return urls;
}

/** The order MCP 2025-11-25 prescribes for an issuer with and without a path. */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = trimSlash(u.pathname);
  if (!path) return [`${u.origin}/.well-known/oauth-authorization-server`, `${u.origin}/.well-known/openid-configuration`];
  return [`${u.origin}/.well-known/oauth-authorization-server${path}`, `${u.origin}/.well-known/openid-configuration${path}`, `${u.origin}${path}/.well-known/openid-configuration`];
}

type AsMetadata = {
  issuer?: unknown;
  authorization_endpoint?: unknown;
  token_endpoint?: unknown;
  registration_endpoint?: unknown;
  token_endpoint_auth_methods_supported?: unknown;
  grant_types_supported?: unknown;
  code_challenge_methods_supported?: unknown;
  scopes_supported?: unknown;
  client_id_metadata_document_supported?: unknown;
};

const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Authorization code when the AS offers it (per-user is what remote SaaS servers expect);
 * client credentials when that is all it offers; a static token when the server wants auth
 * but publishes no authorization server.
 */
export function recommendAuthMode(r: Pick<McpDiscoveryResult, "requires_auth" | "token_url" | "grant_types_supported">): McpServerAuthMode {
  if (!r.requires_auth) return "none";
  if (!r.token_url) return "token";
  // RFC 8414: an absent grant_types_supported means authorization_code and implicit.
  const grants = r.grant_types_supported.length ? r.grant_types_supported : ["authorization_code"];
  if (grants.includes("authorization_code")) return "oauth_authorization_code";
  if (grants.includes("client_credentials")) return "oauth_client_credentials";
  return "token";
}

const REFUSED = new Set(["blocked_address", "scheme", "bad_url", "credentials_in_url"]);

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "latchkey-discovery", version: "0.1.0" } },
});

const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });

export async function discoverMcpServer(serverUrl: string, fetcher: OutboundFetch): Promise<McpDiscoveryResult> {
  const r: McpDiscoveryResult = {
    requires_auth: false,
    recommended_auth_mode: "none",
    auth_url: null,
    token_url: null,
    register_url: null,
    resource: null,
    scopes: [],
    token_endpoint_auth_methods_supported: [],
    grant_types_supported: [],
    code_challenge_methods_supported: [],
    authorization_servers: [],
    issuer: null,
    client_id_metadata_document_supported: false,
    resource_metadata_url: null,
    mcp_json: null,
    tried: [],
    errors: [],
  };

  const get = async (url: string, init?: Parameters<OutboundFetch>[1]): Promise<Response | null> => {
    try {
      const res = await fetcher(url, { timeoutMs: 5_000, maxBytes: 256 * 1024, ...init });
      r.tried.push({ url, outcome: `HTTP ${res.status}` });
      return res;
    } catch (err) {
      // The server's own URL being refused is the caller's input error, not a discovery miss.
      if (url === serverUrl && err instanceof OutboundError && REFUSED.has(err.code)) throw err;
      r.tried.push({ url, outcome: err instanceof OutboundError ? `${err.code}: ${err.message}` : "failed" });
      return null;
    }
  };
  const getJson = async (url: string): Promise<Record<string, unknown> | null> => {
    const res = await get(url, { headers: { accept: "application/json" } });
    if (!res || res.status !== 200) return null;
    // JSON only (SECURITY-CHECKS S5): an HTML page or anything else is not metadata, whatever it contains.
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      await res.body?.cancel().catch(() => {});
      r.tried[r.tried.length - 1]!.outcome += " (not JSON)";
      return null;
    }
    try {
      const body: unknown = await res.json();
      if (isObject(body)) return body;
      r.tried[r.tried.length - 1]!.outcome += " (not a JSON object)";
    } catch {
      r.tried[r.tried.length - 1]!.outcome += " (not JSON)";
    }
    return null;
  };

  const probe = await get(serverUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" },
    body: INITIALIZE,
    redirect: "error",
  });
  let challengeScope = null as string | null;
  const readChallenge = (res: Response) => {
    r.requires_auth = true;
    const bearer = parseWwwAuthenticate(res.headers.get("www-authenticate")).get("bearer");
    r.resource_metadata_url = bearer?.resource_metadata ?? null;
    challengeScope = bearer?.scope ?? null;
  };
  if (probe) {
    await probe.body?.cancel().catch(() => {});
    if (probe.status === 401 || probe.status === 403) {
      readChallenge(probe);
    } else if (probe.status < 300) {
      // Some servers let anyone initialize and guard every operation: the challenge (and the
      // scope it names) comes with the first real request, so ask for the tool list too.
      const sid = probe.headers.get("mcp-session-id");
      const list = await get(serverUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", ...(sid ? { "mcp-session-id": sid } : {}) },
        body: TOOLS_LIST,
        redirect: "error",
      });
      if (list) {
        await list.body?.cancel().catch(() => {});
        if (list.status === 401 || list.status === 403) readChallenge(list);
      }
    } else if (probe.status >= 400) {
      r.errors.push(`The server answered the MCP request with HTTP ${probe.status}.`);
    }
  } else {
    r.errors.push("The server could not be reached.");
  }

  // Servers may publish metadata without demanding a token yet; a 200 with metadata still tells us the AS.
  let prm: Record<string, unknown> | null = null;
  const prmCandidates = r.resource_metadata_url ? [r.resource_metadata_url] : [];
  if (r.requires_auth) for (const u of protectedResourceMetadataUrls(serverUrl)) if (!prmCandidates.includes(u)) prmCandidates.push(u);
  for (const u of prmCandidates) {
    prm = await getJson(u);
    if (prm) {
      r.resource_metadata_url = u;
      break;
    }
  }
  if (r.requires_auth && !prm) r.errors.push("No protected resource metadata (RFC 9728) was found: give the auth fields yourself.");

  if (prm) {
    r.resource = str(prm.resource);
    r.authorization_servers = strs(prm.authorization_servers);
    r.scopes = challengeScope ? challengeScope.split(/\s+/).filter(Boolean) : strs(prm.scopes_supported);
    if (!r.authorization_servers.length) r.errors.push("The protected resource metadata names no authorization server.");
  }

  const issuer = r.authorization_servers[0];
  if (issuer) {
    let as: AsMetadata | null = null;
    let candidates: string[] = [];
    try {
      candidates = authorizationServerMetadataUrls(issuer);
    } catch {
      r.errors.push(`The authorization server "${issuer}" is not a URL.`);
    }
    for (const u of candidates) {
      const meta = await getJson(u);
      if (!meta) continue;
      // The metadata must be about the issuer we asked for (mix-up defence).
      if (meta.issuer !== issuer) {
        // The fetched value is not echoed: what a server puts in its metadata is not ours to repeat.
        r.tried[r.tried.length - 1]!.outcome += " (issuer does not match)";
        continue;
      }
      as = meta;
      break;
    }
    if (as) {
      r.issuer = issuer;
      // O10: an endpoint that could not be a real endpoint is dropped, never stored or redirected to.
      const endpoint = (field: string, v: unknown) => {
        const u = str(v);
        const bad = u ? unsafeEndpointUrl(u) : null;
        if (!bad) return u;
        r.errors.push(`The authorization server's ${field} was refused: it ${unsafeUrlMessage[bad]}.`);
        return null;
      };
      r.auth_url = endpoint("authorization_endpoint", as.authorization_endpoint);
      r.token_url = endpoint("token_endpoint", as.token_endpoint);
      r.register_url = endpoint("registration_endpoint", as.registration_endpoint);
      r.client_id_metadata_document_supported = as.client_id_metadata_document_supported === true;
      r.token_endpoint_auth_methods_supported = strs(as.token_endpoint_auth_methods_supported);
      r.grant_types_supported = strs(as.grant_types_supported);
      r.code_challenge_methods_supported = strs(as.code_challenge_methods_supported);
    } else if (candidates.length) {
      r.errors.push(`No authorization server metadata for ${issuer} (tried RFC 8414 and OpenID discovery).`);
    }
  }

  const mcpJson = await getJson(`${new URL(serverUrl).origin}/.well-known/mcp.json`);
  if (mcpJson) r.mcp_json = mcpJson;

  r.recommended_auth_mode = recommendAuthMode(r);
  return r;
}
