import { resolveConnectionRow } from "@/db/queries/connections";
import { listEnvironmentMcpServers } from "@/db/queries/mcp-servers";
import { isServerEntry, type Environment, type McpServer, type ServerEntry, type ToolPackEntry } from "@/db/schema";
import { AUDIT_UNAVAILABLE_MESSAGE, mayUseCredentials, recordCredentialUse } from "@/lib/audit/credential-use";
import type { Actor } from "@/lib/audit/record";
import type { HotCache } from "@/lib/gateway/hot-cache";
import { UNAUTHORIZED_TOOL_RPC } from "@/lib/gateway/pack-backend";
import { log } from "@/lib/log";
import { sharedCredentials } from "@/lib/mcp-servers/credentials";
import { isPerUserServer } from "@/lib/mcp-servers/oauth";
import { authRequiredResult, connectionCredentials, ServerAuthRequired, usesConnections, withServerAuthenticateMeta } from "@/lib/mcp-servers/oauth-credentials";
import { stdioClientFor } from "@/lib/mcp-servers/stdio-client";
import { keepChallengedScopes } from "@/lib/mcp-servers/step-up";
import { isToolPending, pinnedTools, reconcileTools, TOOL_DEFINITION_CHANGED, type ReconciledTools } from "@/lib/mcp-servers/tools";
import { UpstreamClient, UpstreamError, type UpstreamErrorCode } from "@/lib/mcp-servers/upstream";
import { McpHttpError, type McpBackend, type McpCallResult, type McpTool } from "@/lib/mcp/types";
import { pinnedDispatcher } from "@/lib/net/outbound-guard";
import type { Runtime } from "@/lib/runtime";
import { withSpan } from "@/lib/tracing";
import { toolCallLog } from "@/lib/tool-calls/log";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring"> & { cache?: HotCache };

/** `{server_slug}__{tool}`: slugs cannot contain "__", so the first one splits. */
export const SEPARATOR = "__";
export const namespacedName = (slug: string, tool: string) => `${slug}${SEPARATOR}${tool}`;
export function splitNamespaced(name: string): { slug: string; tool: string } | null {
  const i = name.indexOf(SEPARATOR);
  if (i <= 0 || i + SEPARATOR.length >= name.length) return null;
  return { slug: name.slice(0, i), tool: name.slice(i + SEPARATOR.length) };
}

/** What an entry lets through of an upstream's tools. */
export const entryAllows = (entry: Pick<ServerEntry, "tools">, tool: string) => entry.tools === "*" || entry.tools.includes(tool);

const TOOLS_TTL_MS = 60_000;
/** Who changed a server's scopes when a client-credentials token was widened on the upstream's demand. */
const STEP_UP_ACTOR = { type: "system", id: "scope_step_up" } as const;

// One client per server version: an edited server (new updated_at) gets a new client, with
// new credentials and a new session; the old one is closed.
const clients = new Map<string, { version: number; client: Promise<UpstreamClient> }>();

function clientFor(rt: Rt, env: Env, server: McpServer, registeredUserId: string | null = null): Promise<UpstreamClient> {
  const version = server.updatedAt.getTime();
  // Authorization-code servers: one client (credential and session) per user; see oauth-credentials.ts.
  const perUser = usesConnections(server);
  const slotKey = perUser ? `${server.id}:${registeredUserId ?? "-"}` : server.id;
  const have = clients.get(slotKey);
  if (have && have.version === version) return have.client;
  if (have) void have.client.then((c) => c.close()).catch(() => {});
  const creds = perUser
    ? connectionCredentials(rt, env, server, registeredUserId)
    : sharedCredentials(rt, env, server, undefined, (scopes) => void keepChallengedScopes(rt, env, server, scopes, STEP_UP_ACTOR));
  const client = pinnedDispatcher(server.url).then((agent) => new UpstreamClient(server, agent, creds));
  // A failed pin (DNS) is not kept: the next call tries again.
  const slot = { version, client };
  client.catch(() => {
    if (clients.get(slotKey) === slot) clients.delete(slotKey);
  });
  clients.set(slotKey, slot);
  return client;
}

type Rpc = { rpc(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> };

/** HTTP servers share one client per server; stdio servers run one process per (user, server). */
async function rpcClientFor(rt: Rt, env: Env, server: McpServer, userKey: string | null): Promise<Rpc> {
  if (server.transport === "stdio") return stdioClientFor(rt, env, server, userKey);
  return clientFor(rt, env, server, userKey);
}

/** The environment's servers by slug, from the hot cache (no query on a warm call). */
async function serversBySlug(rt: Rt, envId: string): Promise<Map<string, McpServer>> {
  const load = async () => ({ value: new Map((await listEnvironmentMcpServers(rt.db, envId)).map((s) => [s.slug, s])), env: envId });
  if (!rt.cache) return (await load()).value;
  return (await rt.cache.get(`srvs:${envId}`, load)) ?? new Map();
}

async function fetchTools(client: Rpc, signal?: AbortSignal): Promise<McpTool[]> {
  const out: McpTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const r = await client.rpc("tools/list", cursor ? { cursor } : {}, signal);
    for (const t of Array.isArray(r.tools) ? r.tools : []) {
      if (t && typeof t === "object" && typeof (t as McpTool).name === "string") out.push(t as McpTool);
    }
    cursor = typeof r.nextCursor === "string" && r.nextCursor ? r.nextCursor : undefined;
    if (!cursor) break;
  }
  return out;
}

/**
 * The upstream's tools after the trust check (tools.ts): approved ones, and the names held for
 * approval. Cached per server version; dropped with the environment's cache on any change (an
 * approval included). The upstream is asked first and the database after, in its own short
 * transaction: no connection is held while the upstream takes its time (check L4).
 */
async function upstreamTools(rt: Rt, env: Env, server: McpServer, userKey: string | null = null): Promise<ReconciledTools> {
  const load = async () => {
    const listed = await fetchTools(await rpcClientFor(rt, env, server, userKey));
    return { value: await reconcileTools(rt.db, env, server, listed), env: env.id };
  };
  try {
    if (!rt.cache) return (await load()).value;
    const key = `srvtools:${server.id}:${server.updatedAt.getTime()}`;
    return (await rt.cache.get(key, load, TOOLS_TTL_MS)) ?? { approved: [], pending: new Set() };
  } catch (err) {
    // A user who has not connected a per-user server yet cannot list it: they see the pinned
    // definitions (what they could call once connected); a call asks them to connect. Not cached,
    // so the first connected listing is live.
    if (err instanceof ServerAuthRequired) return pinnedTools(rt.db, env.id, server.id);
    throw err;
  }
}

/** The name a pack shows for an upstream tool: prefixed unless the entry passes names through. */
const exposedName = (entry: ServerEntry, slug: string, tool: string) => (entry.namespace === false ? tool : namespacedName(slug, tool));

/** Whether a call to this server sends something Latchkey stores (a token, a client secret, a user's grant, secrets in a stdio env). */
function usesStoredCredentials(server: McpServer): boolean {
  if (server.transport === "stdio") return Object.values(server.stdioConfig?.env ?? {}).some((v) => typeof v === "object");
  return server.authMode !== "none";
}

function errorResult(code: UpstreamErrorCode, message: string, extra: Record<string, unknown> = {}): McpCallResult {
  return { isError: true, content: [{ type: "text", text: message }], structuredContent: { code, message, ...extra } };
}

/**
 * An authorization-code server refused a call for want of scopes (403 insufficient_scope): the
 * server's settings keep the challenged scopes, so the next authorization asks for everything
 * asked before plus them, and the connection's owner is sent to reconnect. When the connection
 * was already granted every challenged scope, reconnecting cannot help: a plain refusal, so no
 * one is looped through consent screens.
 */
async function scopeStepUp(rt: Rt, ctx: { environment: Env; registeredUserId: string | null; actor: Actor }, server: McpServer, err: UpstreamError): Promise<UpstreamError | ServerAuthRequired> {
  const challenged = err.requiredScopes ?? [];
  await keepChallengedScopes(rt, ctx.environment, server, challenged, ctx.actor);
  const owner = isPerUserServer(server) && ctx.registeredUserId ? { id: ctx.registeredUserId, group: null } : null;
  const conn = await resolveConnectionRow(rt.db, ctx.environment.id, server.id, owner);
  const missing = challenged.filter((s) => !conn?.grantedScopes.includes(s));
  if (challenged.length > 0 && missing.length === 0) {
    return new UpstreamError("insufficient_scope", `${server.name} refused the call for want of ${challenged.join(" ")}, which the connection was already granted; reconnecting will not help.`, false, undefined, challenged);
  }
  return new ServerAuthRequired("reauth_required", `${server.name} needs more permission${missing.length ? ` (${missing.join(" ")})` : ""} than this connection grants: reconnect to grant it.`, missing);
}

/**
 * Wraps a pack's connector backend so the pack's server entries show their upstream tools
 * as `{slug}__{tool}` and calls to them are forwarded upstream. Packs without server entries
 * get the inner backend unchanged.
 */
export function withUpstreamServers(rt: Rt, inner: McpBackend, ctx: { environment: Env; pack: { id: string; entries: ToolPackEntry[] }; registeredUserId: string | null; actor: Actor; baseUrl?: string }): McpBackend {
  const entries = ctx.pack.entries.filter(isServerEntry);
  if (entries.length === 0) return inner;
  const bySlug = new Map(entries.map((e) => [e.server, e]));
  // The one entry (at most, validated on save) whose tools keep their own names.
  const bare = entries.find((e) => e.namespace === false);

  const listUpstream = async (): Promise<McpTool[]> => {
    const servers = await serversBySlug(rt, ctx.environment.id);
    const lists = await Promise.all(
      entries.map(async (e) => {
        const server = servers.get(e.server);
        if (!server) return [];
        try {
          const { approved } = await upstreamTools(rt, ctx.environment, server, ctx.registeredUserId);
          return approved.filter((t) => entryAllows(e, t.name)).map((t) => ({ ...t, name: exposedName(e, server.slug, t.name) }));
        } catch (err) {
          // One unreachable upstream must not take the whole pack's list down.
          log.warn("upstream tools/list failed", { server: server.id, error: err instanceof Error ? err.message : "unknown" });
          return [];
        }
      }),
    );
    return lists.flat();
  };

  const callUpstream = async (entry: ServerEntry, server: McpServer, tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpCallResult> => {
    const t0 = performance.now();
    let result: McpCallResult;
    let refusal: UpstreamError["refusal"];
    const carriesCredentials = usesStoredCredentials(server);
    let injected = false;
    try {
      // A definition that changed since it was approved is not callable until an admin approves it.
      // The list is the cached one (no query on a warm call); if the upstream cannot list, the call still goes.
      // If the upstream cannot list right now, the stored state decides (one query, on that failure path only).
      const known = await upstreamTools(rt, ctx.environment, server, ctx.registeredUserId).catch(() => null);
      if (known ? known.pending.has(tool) : await isToolPending(rt.db, ctx.environment.id, server.id, tool)) {
        throw new UpstreamError(
          TOOL_DEFINITION_CHANGED,
          `The definition of "${exposedName(entry, server.slug, tool)}" changed on ${server.slug} since it was approved; an administrator must approve the new definition before it can be called.`,
        );
      }
      if (carriesCredentials && !mayUseCredentials()) throw new UpstreamError("audit_unavailable", AUDIT_UNAVAILABLE_MESSAGE);
      const client = await rpcClientFor(rt, ctx.environment, server, ctx.registeredUserId);
      injected = carriesCredentials;
      const r = await withSpan("upstream_call", { "latchkey.server": server.slug, "latchkey.tool": tool }, () => client.rpc("tools/call", { name: tool, arguments: args }, signal), { kind: "client" });
      result = { content: Array.isArray(r.content) ? (r.content as McpCallResult["content"]) : [], ...(r.structuredContent && typeof r.structuredContent === "object" ? { structuredContent: r.structuredContent as Record<string, unknown> } : {}), ...(r.isError === true ? { isError: true } : {}) };
    } catch (err) {
      // The upstream refused the request itself (HTTP 4xx with a JSON-RPC error, as the modern era does for
      // a missing client capability): passed on as that error, so clients see what the server said.
      if (err instanceof UpstreamError && err.refusal) refusal = err.refusal;
      // Before the credential was sent, a missing connection is not a use of one; a step-up comes after it was.
      if (err instanceof ServerAuthRequired) injected = false;
      if (err instanceof UpstreamError && err.code === "insufficient_scope" && usesConnections(server)) err = await scopeStepUp(rt, ctx, server, err);
      if (err instanceof ServerAuthRequired) {
        result = await authRequiredResult(rt, ctx, server, err);
      }
      else if (err instanceof UpstreamError) result = errorResult(err.code, err.message, err.requiredScopes?.length ? { missing_scopes: err.requiredScopes } : {});
      else {
        log.error("upstream call failed", { server: server.id, error: err instanceof Error ? err.message : "unknown" });
        result = errorResult("upstream_error", `${server.slug} could not be called.`);
      }
    }
    if (injected) {
      recordCredentialUse(() => rt.db, { environment: ctx.environment, actor: ctx.actor, target: { type: "mcp_server", id: server.id }, tool, registeredUserId: ctx.registeredUserId, via: { server: server.slug } });
    }
    const sc = result.structuredContent as { code?: unknown } | undefined;
    toolCallLog(() => rt.db).record({
      environmentId: ctx.environment.id,
      principalType: ctx.actor.type,
      principalId: ctx.actor.id,
      toolPackId: ctx.pack.id,
      registeredUserId: ctx.registeredUserId,
      tool: exposedName(entry, server.slug, tool).slice(0, 200),
      connector: null,
      connectionId: null,
      status: result.isError ? "error" : "ok",
      errorCode: result.isError && typeof sc?.code === "string" ? sc.code : null,
      latencyMs: Math.round(performance.now() - t0),
    }, signal);
    if (refusal) throw new McpHttpError(refusal.status, { code: refusal.code, message: refusal.message, ...(refusal.data ? { data: refusal.data } : {}) });
    return result;
  };

  const packConnectors = [...new Set(ctx.pack.entries.flatMap((e) => ("connector" in e ? [e.connector] : [])))];
  const perUserServers = async () => {
    const servers = await serversBySlug(rt, ctx.environment.id);
    return entries.map((e) => servers.get(e.server)).filter((s): s is McpServer => Boolean(s && isPerUserServer(s)));
  };
  return withServerAuthenticateMeta(rt, {
    ...inner,
    listTools: async () => {
      const [own, upstream] = await Promise.all([inner.listTools(), listUpstream()]);
      // A passed-through name never shadows a connector tool or another entry's tool.
      const taken = new Set(own.map((t) => t.name));
      const out = [...own];
      for (const t of upstream) {
        if (taken.has(t.name)) {
          log.warn("upstream tool hidden: its name collides with another tool of the pack", { pack: ctx.pack.id, tool: t.name });
          continue;
        }
        taken.add(t.name);
        out.push(t);
      }
      return out;
    },
    callTool: async (name, args, call) => {
      const split = splitNamespaced(name);
      const entry = split ? bySlug.get(split.slug) : undefined;
      if (!split || !entry || entry.namespace === false) {
        if (bare) {
          const server = (await serversBySlug(rt, ctx.environment.id)).get(bare.server);
          const ownNames = server && entryAllows(bare, name) ? new Set((await inner.listTools()).map((t) => t.name)) : null;
          if (server && ownNames && !ownNames.has(name)) {
            const { approved, pending } = await upstreamTools(rt, ctx.environment, server, ctx.registeredUserId).catch(() => ({ approved: [] as McpTool[], pending: new Set<string>() }));
            if (pending.has(name) || approved.some((t) => t.name === name)) return callUpstream(bare, server, name, args, call.signal);
          }
        }
        return inner.callTool(name, args, call);
      }
      const server = (await serversBySlug(rt, ctx.environment.id)).get(split.slug);
      if (!server || !entryAllows(entry, split.tool)) {
        throw new McpHttpError(403, { code: UNAUTHORIZED_TOOL_RPC, message: `The tool "${name}" is not in this tool pack.`, data: { code: "unauthorized_tool", tool: name } });
      }
      return callUpstream(entry, server, split.tool, args, call.signal);
    },
  }, { ...ctx, packConnectors, perUserServers });
}
