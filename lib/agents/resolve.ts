import { and, eq, inArray } from "drizzle-orm";
import { agents, agentSessions, environments, isServerEntry, mcpServers, registeredUsers, toolPacks, type ToolPack, type ToolPackEntry } from "@/db/schema";
import { sessionStatus, TICKET_PATTERN } from "@/lib/agents/service";
import { hashToken } from "@/lib/crypto/tokens";
import { AppError } from "@/lib/errors";
import type { HotCache } from "@/lib/gateway/hot-cache";
import type { ResolvedMcp } from "@/lib/gateway/serve";
import type { Runtime } from "@/lib/runtime";

// One answer for a missing, malformed, unknown, expired or ended ticket.
const unauthorized = () => new AppError({ code: "unauthorized", message: "The session ticket is missing, malformed, expired, ended or unknown." });

/**
 * The tool pack a session serves, built from its agent's packs and its connected servers: the
 * same entries a stored pack has, so the one MCP engine (packBackend + withUpstreamServers)
 * serves it. Entries naming the same connector or server are merged ("*" wins), because the
 * engine keys server entries by slug.
 */
export function sessionEntries(packs: Pick<ToolPack, "entries">[], connectedServerSlugs: string[]): ToolPackEntry[] {
  const merged = new Map<string, ToolPackEntry>();
  const add = (e: ToolPackEntry) => {
    const key = isServerEntry(e) ? `s:${e.server}` : `c:${e.connector}`;
    const have = merged.get(key);
    if (!have) return void merged.set(key, { ...e, tools: e.tools === "*" ? "*" : [...e.tools] } as ToolPackEntry);
    if (have.tools === "*" || e.tools === "*") have.tools = "*";
    else have.tools = [...new Set([...have.tools, ...e.tools])];
  };
  for (const p of packs) for (const e of p.entries) add(e);
  for (const slug of connectedServerSlugs) add({ server: slug, tools: "*" });
  return [...merged.values()];
}

type Loaded = Omit<ResolvedMcp, "principal"> & { sessionId: string; expiresAt: Date; endedAt: Date | null };

/** Everything one ticket resolves to, in three queries; cached until anything in the environment changes. */
async function load(db: Runtime["db"], hash: string): Promise<Loaded | null> {
  const [row] = await db
    .select({ session: agentSessions, agent: agents, environment: environments, user: registeredUsers })
    .from(agentSessions)
    .innerJoin(agents, and(eq(agents.id, agentSessions.agentId), eq(agents.environmentId, agentSessions.environmentId)))
    .innerJoin(environments, eq(environments.id, agentSessions.environmentId))
    .innerJoin(registeredUsers, and(eq(registeredUsers.id, agentSessions.registeredUserId), eq(registeredUsers.environmentId, agentSessions.environmentId)))
    .where(eq(agentSessions.ticketHash, hash));
  if (!row) return null;
  const envId = row.environment.id;
  // Only servers still attached to the agent: a detached server stops being served at once.
  const connected = row.session.connectedServerIds.filter((id) => row.agent.serverIds.includes(id));
  const [packs, servers] = await Promise.all([
    row.agent.toolPackIds.length ? db.select().from(toolPacks).where(and(eq(toolPacks.environmentId, envId), inArray(toolPacks.id, row.agent.toolPackIds))) : Promise.resolve([]),
    connected.length ? db.select({ id: mcpServers.id, slug: mcpServers.slug }).from(mcpServers).where(and(eq(mcpServers.environmentId, envId), inArray(mcpServers.id, connected))) : Promise.resolve([]),
  ]);
  const packOrder = new Map(row.agent.toolPackIds.map((id, i) => [id, i]));
  packs.sort((a, b) => packOrder.get(a.id)! - packOrder.get(b.id)!);
  const slugs = connected.map((id) => servers.find((s) => s.id === id)?.slug).filter((s): s is string => Boolean(s));
  const pack: ToolPack = {
    id: row.session.id,
    environmentId: envId,
    name: row.agent.name,
    slug: "agent-session",
    description: null,
    entries: sessionEntries(packs, slugs),
    // The environment's rules apply; per-pack overrides do not carry over into a merged session pack.
    security: null,
    createdAt: row.session.createdAt,
    updatedAt: row.session.updatedAt,
  };
  return { environment: row.environment, pack, registeredUser: row.user, sessionId: row.session.id, expiresAt: row.session.expiresAt, endedAt: row.session.endedAt };
}

function bearer(authorization: string | null): string | null {
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m && TICKET_PATTERN.test(m[1]!) ? m[1]! : null;
}

/**
 * MCP URL 4: `/mcp/sessions/{agent_session_id}` with `Authorization: Bearer <session ticket>`.
 * A ticket is good for its own session only (403 for another's URL). On a warm cache this reads
 * nothing from the database; a connect, disconnect or agent edit notifies the environment and
 * the next request sees it.
 */
export async function resolveAgentSessionRequest(rt: Pick<Runtime, "db"> & { cache?: HotCache }, input: { authorization: string | null; sessionId: string }): Promise<ResolvedMcp> {
  const ticket = bearer(input.authorization);
  if (!ticket) throw unauthorized();
  const hash = hashToken(ticket);
  const found = rt.cache
    ? await rt.cache.get(`ags:${hash}`, async () => {
        const v = await load(rt.db, hash);
        return v ? { value: v, env: v.environment.id } : null;
      })
    : await load(rt.db, hash);
  if (!found || sessionStatus(found) !== "active") throw unauthorized();
  if (found.sessionId !== input.sessionId) throw new AppError({ code: "forbidden", message: "This ticket belongs to another agent session." });
  return { environment: found.environment, pack: found.pack, registeredUser: found.registeredUser, principal: { type: "agent_session", id: found.sessionId } };
}
