import { listEnvironmentMcpServers } from "@/db/queries/mcp-servers";
import { isServerEntry, type Environment, type McpServer, type ServerEntry, type ToolPackEntry } from "@/db/schema";
import type { Actor } from "@/lib/audit/record";
import type { HotCache } from "@/lib/gateway/hot-cache";
import { UNAUTHORIZED_TOOL_RPC } from "@/lib/gateway/pack-backend";
import { log } from "@/lib/log";
import { sharedCredentials } from "@/lib/mcp-servers/credentials";
import { isPerUserServer } from "@/lib/mcp-servers/oauth";
import { authRequiredResult, connectionCredentials, ServerAuthRequired, usesConnections, withServerAuthenticateMeta } from "@/lib/mcp-servers/oauth-credentials";
import { UpstreamClient, UpstreamError } from "@/lib/mcp-servers/upstream";
import { McpHttpError, type McpBackend, type McpCallResult, type McpTool } from "@/lib/mcp/types";
import { pinnedDispatcher } from "@/lib/net/outbound-guard";
import type { Runtime } from "@/lib/runtime";
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
  const creds = perUser ? connectionCredentials(rt, env, server, registeredUserId) : sharedCredentials(rt, env, server);
  const client = pinnedDispatcher(server.url).then((agent) => new UpstreamClient(server, agent, creds));
  // A failed pin (DNS) is not kept: the next call tries again.
  const slot = { version, client };
  client.catch(() => {
    if (clients.get(slotKey) === slot) clients.delete(slotKey);
  });
  clients.set(slotKey, slot);
  return client;
}

/** The environment's servers by slug, from the hot cache (no query on a warm call). */
async function serversBySlug(rt: Rt, envId: string): Promise<Map<string, McpServer>> {
  const load = async () => ({ value: new Map((await listEnvironmentMcpServers(rt.db, envId)).map((s) => [s.slug, s])), env: envId });
  if (!rt.cache) return (await load()).value;
  return (await rt.cache.get(`srvs:${envId}`, load)) ?? new Map();
}

async function fetchTools(client: UpstreamClient, signal?: AbortSignal): Promise<McpTool[]> {
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

/** The upstream's tools, cached per server version; dropped with the environment's cache on any change. */
async function upstreamTools(rt: Rt, env: Env, server: McpServer, registeredUserId: string | null): Promise<McpTool[]> {
  const load = async () => ({ value: await fetchTools(await clientFor(rt, env, server, registeredUserId)), env: env.id });
  if (!rt.cache) return (await load()).value;
  return (await rt.cache.get(`srvtools:${server.id}:${server.updatedAt.getTime()}`, load, TOOLS_TTL_MS)) ?? [];
}

function errorResult(code: "upstream_timeout" | "upstream_error", message: string): McpCallResult {
  return { isError: true, content: [{ type: "text", text: message }], structuredContent: { code, message } };
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

  const listUpstream = async (): Promise<McpTool[]> => {
    const servers = await serversBySlug(rt, ctx.environment.id);
    const lists = await Promise.all(
      entries.map(async (e) => {
        const server = servers.get(e.server);
        if (!server) return [];
        try {
          const tools = await upstreamTools(rt, ctx.environment, server, ctx.registeredUserId);
          return tools.filter((t) => entryAllows(e, t.name)).map((t) => ({ ...t, name: namespacedName(server.slug, t.name) }));
        } catch (err) {
          // One unreachable upstream must not take the whole pack's list down.
          log.warn("upstream tools/list failed", { server: server.id, error: err instanceof Error ? err.message : "unknown" });
          return [];
        }
      }),
    );
    return lists.flat();
  };

  const callUpstream = async (server: McpServer, tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpCallResult> => {
    const t0 = performance.now();
    let result: McpCallResult;
    try {
      const client = await clientFor(rt, ctx.environment, server, ctx.registeredUserId);
      const r = await client.rpc("tools/call", { name: tool, arguments: args }, signal);
      result = { content: Array.isArray(r.content) ? (r.content as McpCallResult["content"]) : [], ...(r.structuredContent && typeof r.structuredContent === "object" ? { structuredContent: r.structuredContent as Record<string, unknown> } : {}), ...(r.isError === true ? { isError: true } : {}) };
    } catch (err) {
      if (err instanceof ServerAuthRequired) result = await authRequiredResult(rt, ctx, server, err);
      else if (err instanceof UpstreamError) result = errorResult(err.code, err.message);
      else {
        log.error("upstream call failed", { server: server.id, error: err instanceof Error ? err.message : "unknown" });
        result = errorResult("upstream_error", `${server.slug} could not be called.`);
      }
    }
    const sc = result.structuredContent as { code?: unknown } | undefined;
    toolCallLog(() => rt.db).record({
      environmentId: ctx.environment.id,
      principalType: ctx.actor.type,
      principalId: ctx.actor.id,
      toolPackId: ctx.pack.id,
      registeredUserId: ctx.registeredUserId,
      tool: namespacedName(server.slug, tool).slice(0, 200),
      connector: null,
      connectionId: null,
      status: result.isError ? "error" : "ok",
      errorCode: result.isError && typeof sc?.code === "string" ? sc.code : null,
      latencyMs: Math.round(performance.now() - t0),
    });
    return result;
  };

  const packConnectors = [...new Set(ctx.pack.entries.flatMap((e) => ("connector" in e ? [e.connector] : [])))];
  const perUserServers = async () => {
    const servers = await serversBySlug(rt, ctx.environment.id);
    return entries.map((e) => servers.get(e.server)).filter((s): s is McpServer => Boolean(s && isPerUserServer(s)));
  };
  return withServerAuthenticateMeta(rt, {
    ...inner,
    listTools: async () => [...(await inner.listTools()), ...(await listUpstream())],
    callTool: async (name, args, call) => {
      const split = splitNamespaced(name);
      const entry = split ? bySlug.get(split.slug) : undefined;
      if (!split || !entry) return inner.callTool(name, args, call);
      const server = (await serversBySlug(rt, ctx.environment.id)).get(split.slug);
      if (!server || !entryAllows(entry, split.tool)) {
        throw new McpHttpError(403, { code: UNAUTHORIZED_TOOL_RPC, message: `The tool "${name}" is not in this tool pack.`, data: { code: "unauthorized_tool", tool: name } });
      }
      return callUpstream(server, split.tool, args, call.signal);
    },
  }, { ...ctx, packConnectors, perUserServers });
}
