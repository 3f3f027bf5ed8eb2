import { resolveConnectionRow } from "@/db/queries/connections";
import type { Connection, Environment, McpServer } from "@/db/schema";
import type { Actor } from "@/lib/audit/record";
import { ToolError } from "@/lib/connectors/errors";
import { freshCredential } from "@/lib/connections/refresh";
import type { HotCache } from "@/lib/gateway/hot-cache";
import { createLinkToken } from "@/lib/link-tokens/service";
import { log } from "@/lib/log";
import { isPerUserServer } from "@/lib/mcp-servers/oauth";
import { UpstreamError, type UpstreamCredentials } from "@/lib/mcp-servers/upstream";
import type { McpBackend, McpCallResult, McpTool } from "@/lib/mcp/types";
import type { Runtime } from "@/lib/runtime";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring"> & { cache?: HotCache };

/** The user (or, shared, the environment) has no usable connection to the server: they must connect through Link. */
export class ServerAuthRequired extends Error {
  override name = "ServerAuthRequired";
  constructor(
    readonly code: "authentication_required" | "reauth_required",
    message: string,
    /** A scope step-up: what the upstream asked for that the connection lacks. */
    readonly missingScopes?: string[],
  ) {
    super(message);
  }
}

/** Whether an authorization-code server needs a connection (rather than the shared secrets of the other modes). */
export const usesConnections = (s: Pick<McpServer, "authMode">) => s.authMode === "oauth_authorization_code";

/**
 * Credentials of an authorization-code server, from a connection bound to it: the user's own,
 * else the environment's shared one (seed 003's hybrid); `shared` servers use only the latter.
 * The row comes from the hot cache (no query on a warm call; connecting notifies and drops it),
 * the token is refreshed single-flight by lib/connections/refresh (lease + compare-and-swap),
 * and a 401 forces one refresh of exactly the rejected token.
 */
export function connectionCredentials(rt: Rt, env: Env, server: McpServer, registeredUserId: string | null): UpstreamCredentials {
  const owner = isPerUserServer(server) && registeredUserId ? { id: registeredUserId, group: null } : null;
  const key = `conn:${env.id}:${server.id}:${owner?.id ?? "-"}:-`;
  let current: string | null = null;
  let rejected: string | null = null;
  const load = async (): Promise<Connection | null> =>
    rt.cache ? ((await rt.cache.get(key, async () => ({ value: { row: await resolveConnectionRow(rt.db, env.id, server.id, owner) }, env: env.id })))?.row ?? null) : resolveConnectionRow(rt.db, env.id, server.id, owner);
  return {
    headers: async () => {
      const conn = await load();
      if (!conn) throw new ServerAuthRequired("authentication_required", `Connect ${server.name} first.`);
      if (conn.status !== "active") throw new ServerAuthRequired("reauth_required", `The ${server.name} connection needs to be reconnected.`);
      try {
        const fresh = await freshCredential(rt, env, conn, rejected ? { force: true, rejectedAccessToken: rejected } : {});
        rejected = null;
        if (fresh.credential.type !== "oauth2") throw new UpstreamError("upstream_error", `${server.slug}'s connection holds no OAuth token.`);
        current = fresh.credential.access_token;
        return { authorization: `Bearer ${current}` };
      } catch (err) {
        rejected = null;
        if (err instanceof ToolError) {
          const code = err.failure.code;
          if (code === "reauth_required" || code === "authentication_required") throw new ServerAuthRequired(code, `The ${server.name} connection needs to be reconnected.`);
          throw new UpstreamError(code === "upstream_timeout" ? "upstream_timeout" : "upstream_error", err.failure.message);
        }
        throw err;
      }
    },
    rejected: () => {
      rejected = current;
    },
  };
}

/** The tool result for a call that needs the user to connect: a Link URL exactly as connectors give (pack-backend.ts). */
export async function authRequiredResult(
  rt: Rt,
  ctx: { environment: Env; registeredUserId: string | null; baseUrl?: string | undefined; actor: Actor },
  server: Pick<McpServer, "id" | "name" | "credentialMode" | "authMode">,
  err: ServerAuthRequired,
): Promise<McpCallResult> {
  const structured: Record<string, unknown> = { code: err.code, message: err.message, connector: server.id, connector_name: server.name, ...(err.missingScopes?.length ? { missing_scopes: err.missingScopes } : {}) };
  let hint = "";
  // Only a per-user server can be connected by the user; a shared one waits for the operator.
  if (ctx.registeredUserId && ctx.baseUrl && isPerUserServer(server)) {
    try {
      const l = await createLinkToken(rt.db, { environment: ctx.environment, registeredUserId: ctx.registeredUserId, connectors: [server.id], baseUrl: ctx.baseUrl, actor: ctx.actor });
      structured.link_token = l.link_token;
      structured.link_url = l.url;
      hint = ` Ask the user to open ${l.url} to ${err.code === "reauth_required" ? "reconnect" : "connect"} ${server.name}.`;
    } catch (e) {
      log.warn("could not make a link for an MCP server", { server: server.id, error: e instanceof Error ? e.message : "unknown" });
    }
  } else if (!isPerUserServer(server)) {
    hint = " This server uses one shared connection, which the app's team must connect.";
  }
  return { isError: true, content: [{ type: "text", text: `${err.message}${hint}` }], structuredContent: structured };
}

const AUTHENTICATE_META = "authenticate_meta";

/**
 * `authenticate_meta` also covers the pack's per-user servers: listed (or extended) with their
 * ids, and a call naming one (or none) gets a Link token that includes them.
 */
export function withServerAuthenticateMeta(
  rt: Rt,
  backend: McpBackend,
  ctx: { environment: Env; registeredUserId: string | null; baseUrl?: string | undefined; actor: Actor; packConnectors: string[]; perUserServers: () => Promise<McpServer[]> },
): McpBackend {
  if (!ctx.registeredUserId || !ctx.baseUrl) return backend;
  const userId = ctx.registeredUserId;
  const baseUrl = ctx.baseUrl;
  return {
    ...backend,
    listTools: async () => {
      const [tools, servers] = await Promise.all([backend.listTools(), ctx.perUserServers()]);
      if (servers.length === 0) return tools;
      const keys = [...ctx.packConnectors, ...servers.map((s) => s.id)];
      const names = [...ctx.packConnectors, ...servers.map((s) => `${s.name} (${s.id})`)];
      const meta: McpTool = {
        name: AUTHENTICATE_META,
        title: "Connect an account",
        description: `Get a link the user opens to connect an account this agent needs (${names.join(", ")}). Use it when a tool answers authentication_required, or before first use.`,
        inputSchema: { type: "object", properties: { connector: { type: "string", enum: keys, description: "Which connector or MCP server; all of the pack's when omitted." } }, additionalProperties: false },
        annotations: { readOnlyHint: true, openWorldHint: false },
      };
      return [...tools.filter((t) => t.name !== AUTHENTICATE_META), meta];
    },
    callTool: async (name, args, call) => {
      if (name !== AUTHENTICATE_META) return backend.callTool(name, args, call);
      const servers = (await ctx.perUserServers()).map((s) => s.id);
      const wanted = typeof args.connector === "string" ? args.connector : undefined;
      if (servers.length === 0 || (wanted !== undefined && !servers.includes(wanted))) return backend.callTool(name, args, call);
      const connectors = wanted ? [wanted] : [...ctx.packConnectors, ...servers];
      const l = await createLinkToken(rt.db, { environment: ctx.environment, registeredUserId: userId, connectors, baseUrl, actor: ctx.actor });
      const structured = { link_token: l.link_token, link_url: l.url, expires_at: l.expires_at, connectors };
      return { content: [{ type: "text", text: `Ask the user to open ${l.url} to connect ${connectors.join(", ")}. The link works once, for 30 minutes.` }], structuredContent: structured };
    },
  };
}
