import { and, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { findRegisteredUser } from "@/db/queries/registered-users";
import { agents, agentSessions, environments, mcpServers, toolPacks, type Agent, type AgentSession, type Environment } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { generateToken, hashToken } from "@/lib/crypto/tokens";
import { AppError, notFound, type FieldIssue } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import type { AgentOut, AgentSessionOut } from "@/lib/schemas/agents";

type Env = Pick<Environment, "id" | "organizationId">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

/** The session ticket's prefix; 256-bit random, stored as SHA-256 (DESIGN §7). */
export const TICKET_PREFIX = "lk_ags";
export const TICKET_PATTERN = /^lk_ags_[0-9A-Za-z]{43}$/;

export const sessionUrl = (baseUrl: string, id: string) => `${baseUrl.replace(/\/$/, "")}/mcp/sessions/${id}`;

export function toAgentOut(a: Agent): AgentOut {
  return { id: a.id, object: "agent", environment_id: a.environmentId, name: a.name, servers: a.serverIds, tool_packs: a.toolPackIds, created_at: a.createdAt.toISOString(), updated_at: a.updatedAt.toISOString() };
}

export function sessionStatus(s: Pick<AgentSession, "endedAt" | "expiresAt">, now = Date.now()): "active" | "expired" | "ended" {
  if (s.endedAt) return "ended";
  return s.expiresAt.getTime() <= now ? "expired" : "active";
}

/** `connected` is what the MCP URL serves: connected servers still attached to the agent. */
export function toAgentSessionOut(s: AgentSession, agent: Pick<Agent, "serverIds">, baseUrl: string): AgentSessionOut {
  return {
    id: s.id,
    object: "agent_session",
    session_id: s.id,
    environment_id: s.environmentId,
    agent_id: s.agentId,
    registered_user_id: s.registeredUserId,
    mcp_url: sessionUrl(baseUrl, s.id),
    connected_servers: s.connectedServerIds.filter((id) => agent.serverIds.includes(id)),
    status: sessionStatus(s),
    expires_at: s.expiresAt.toISOString(),
    created_at: s.createdAt.toISOString(),
  };
}

const unique = (ids: string[]) => [...new Set(ids)];

/** Every id must name a server / pack of this environment: an agent never reaches another's. */
async function checkRefs(db: DbOrTx, environmentId: string, input: { servers?: string[] | undefined; toolPacks?: string[] | undefined }) {
  const issues: FieldIssue[] = [];
  if (input.servers?.length) {
    const found = new Set((await db.select({ id: mcpServers.id }).from(mcpServers).where(and(eq(mcpServers.environmentId, environmentId), inArray(mcpServers.id, input.servers)))).map((r) => r.id));
    input.servers.forEach((id, i) => found.has(id) || issues.push({ path: `servers.${i}`, message: `no MCP server ${id} in this environment` }));
  }
  if (input.toolPacks?.length) {
    const found = new Set((await db.select({ id: toolPacks.id }).from(toolPacks).where(and(eq(toolPacks.environmentId, environmentId), inArray(toolPacks.id, input.toolPacks)))).map((r) => r.id));
    input.toolPacks.forEach((id, i) => found.has(id) || issues.push({ path: `tool_packs.${i}`, message: `no tool pack ${id} in this environment` }));
  }
  if (issues.length) throw new AppError({ code: "validation_error", message: "Unknown servers or tool packs.", issues });
}

export async function createAgent(db: DbOrTx, input: { environment: Env; name: string; servers: string[]; toolPacks: string[] } & Caller): Promise<Agent> {
  const servers = unique(input.servers);
  const packs = unique(input.toolPacks);
  await checkRefs(db, input.environment.id, { servers, toolPacks: packs });
  const id = createId("agent");
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(agents).values({ id, environmentId: input.environment.id, name: input.name, serverIds: servers, toolPackIds: packs }).returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "agent.created",
      target: { type: "agent", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: input.name, servers, tool_packs: packs },
    });
    return row!;
  });
}

export async function findAgent(db: DbOrTx, environmentId: string, id: string): Promise<Agent | null> {
  const [row] = await db.select().from(agents).where(and(eq(agents.environmentId, environmentId), eq(agents.id, id)));
  return row ?? null;
}

export async function getAgent(db: DbOrTx, environmentId: string, id: string): Promise<Agent> {
  const a = await findAgent(db, environmentId, id);
  if (!a) throw notFound("Agent");
  return a;
}

export async function listAgents(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined }) {
  const conds: SQL[] = [eq(agents.environmentId, input.environmentId)];
  const before = decodeCursor(input.cursor);
  if (before) conds.push(lt(agents.id, before));
  const rows = await db
    .select()
    .from(agents)
    .where(and(...conds))
    .orderBy(desc(agents.id))
    .limit(input.limit + 1);
  return page(rows, input.limit);
}

export async function updateAgent(db: DbOrTx, input: { environment: Env; id: string; patch: { name?: string | undefined; servers?: string[] | undefined; toolPacks?: string[] | undefined } } & Caller): Promise<Agent> {
  const servers = input.patch.servers ? unique(input.patch.servers) : undefined;
  const packs = input.patch.toolPacks ? unique(input.patch.toolPacks) : undefined;
  await checkRefs(db, input.environment.id, { servers, toolPacks: packs });
  return db.transaction(async (tx) => {
    const before = await getAgent(tx, input.environment.id, input.id);
    const set: Partial<typeof agents.$inferInsert> = {};
    if (input.patch.name !== undefined) set.name = input.patch.name;
    if (servers) set.serverIds = servers;
    if (packs) set.toolPackIds = packs;
    if (Object.keys(set).length === 0) return before;
    const [after] = await tx
      .update(agents)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(agents.environmentId, input.environment.id), eq(agents.id, before.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "agent.updated",
      target: { type: "agent", id: before.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { fields: Object.keys(set), servers: after!.serverIds, tool_packs: after!.toolPackIds },
    });
    return after!;
  });
}

export async function deleteAgent(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  await db.transaction(async (tx) => {
    const a = await getAgent(tx, input.environment.id, input.id);
    // Sessions go with it (FK cascade): their tickets stop working.
    await tx.delete(agents).where(and(eq(agents.environmentId, input.environment.id), eq(agents.id, a.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "agent.deleted",
      target: { type: "agent", id: a.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: a.name },
    });
  });
}

// ---------------------------------------------------------------- sessions

export async function createAgentSession(db: DbOrTx, input: { environment: Env; agentId: string; registeredUserId: string; ttlSeconds: number } & Caller) {
  const agent = await getAgent(db, input.environment.id, input.agentId);
  const user = await findRegisteredUser(db, input.environment.id, input.registeredUserId);
  if (!user) throw new AppError({ code: "validation_error", message: "Unknown registered user.", issues: [{ path: "registered_user_id", message: "no registered user with this id in this environment" }] });
  const id = createId("agentSession");
  const { token, hash } = generateToken(TICKET_PREFIX);
  const expiresAt = new Date(Date.now() + input.ttlSeconds * 1000);
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(agentSessions).values({ id, environmentId: input.environment.id, agentId: agent.id, registeredUserId: user.id, ticketHash: hash, expiresAt }).returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "agent_session.created",
      target: { type: "agent_session", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { agent_id: agent.id, registered_user_id: user.id, expires_at: expiresAt.toISOString() },
    });
    return { session: row!, agent, ticket: token };
  });
}

async function sessionWithAgent(db: DbOrTx, environmentId: string, id: string, lock = false) {
  const q = db
    .select({ session: agentSessions, agent: agents })
    .from(agentSessions)
    .innerJoin(agents, and(eq(agents.id, agentSessions.agentId), eq(agents.environmentId, agentSessions.environmentId)))
    .where(and(eq(agentSessions.environmentId, environmentId), eq(agentSessions.id, id)));
  // Concurrent connects of one session serialise on its row, so none is lost.
  const [row] = lock ? await q.for("update", { of: agentSessions }) : await q;
  if (!row) throw notFound("Agent session");
  return row;
}

export function getAgentSession(db: DbOrTx, environmentId: string, id: string) {
  return sessionWithAgent(db, environmentId, id);
}

export async function endAgentSession(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  return db.transaction(async (tx) => {
    const { session, agent } = await sessionWithAgent(tx, input.environment.id, input.id, true);
    if (session.endedAt) return { session, agent };
    const [after] = await tx
      .update(agentSessions)
      .set({ endedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(agentSessions.environmentId, input.environment.id), eq(agentSessions.id, session.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "agent_session.ended",
      target: { type: "agent_session", id: session.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { agent_id: agent.id },
    });
    return { session: after!, agent };
  });
}

/** Connect or disconnect one of the agent's servers (the runtime plane). Idempotent; audited when it changes something. */
export async function setSessionServer(db: DbOrTx, input: { environment: Env; id: string; serverId: string; connected: boolean } & Caller) {
  return db.transaction(async (tx) => {
    const { session, agent } = await sessionWithAgent(tx, input.environment.id, input.id, true);
    if (!agent.serverIds.includes(input.serverId)) {
      throw new AppError({ code: "forbidden", message: `The server ${input.serverId} is not attached to the agent ${agent.id}.` });
    }
    if (sessionStatus(session) !== "active") throw new AppError({ code: "conflict", message: `The agent session has ${sessionStatus(session) === "ended" ? "ended" : "expired"}.` });
    const has = session.connectedServerIds.includes(input.serverId);
    if (has === input.connected) return { session, agent };
    const next = input.connected ? [...session.connectedServerIds, input.serverId] : session.connectedServerIds.filter((s) => s !== input.serverId);
    const [after] = await tx
      .update(agentSessions)
      .set({ connectedServerIds: next, updatedAt: sql`now()` })
      .where(and(eq(agentSessions.environmentId, input.environment.id), eq(agentSessions.id, session.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: input.connected ? "agent_session.server_connected" : "agent_session.server_disconnected",
      target: { type: "agent_session", id: session.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { agent_id: agent.id, server_id: input.serverId, registered_user_id: session.registeredUserId },
    });
    return { session: after!, agent };
  });
}

/** A session by its ticket (the runtime plane's credential), with its environment; null when unknown. */
export async function findSessionByTicket(db: DbOrTx, ticket: string) {
  if (!TICKET_PATTERN.test(ticket)) return null;
  const [row] = await db
    .select({ session: agentSessions, environment: environments })
    .from(agentSessions)
    .innerJoin(environments, eq(environments.id, agentSessions.environmentId))
    .where(eq(agentSessions.ticketHash, hashToken(ticket)));
  return row ?? null;
}

/** Open (not ended, not expired) sessions per agent, for the dashboard's list. */
export async function activeSessionCounts(db: DbOrTx, environmentId: string, agentIds: string[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map();
  const rows = await db
    .select({ agentId: agentSessions.agentId, n: sql<number>`count(*)::int` })
    .from(agentSessions)
    .where(and(eq(agentSessions.environmentId, environmentId), inArray(agentSessions.agentId, agentIds), sql`${agentSessions.endedAt} is null`, sql`${agentSessions.expiresAt} > now()`))
    .groupBy(agentSessions.agentId);
  return new Map(rows.map((r) => [r.agentId, Number(r.n)]));
}
