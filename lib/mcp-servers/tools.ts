import { createHash } from "node:crypto";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { findMcpServer } from "@/db/queries/mcp-servers";
import { mcpServerTools, type Environment, type McpServer, type McpServerToolRow, type McpToolDefinition } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import type { McpTool } from "@/lib/mcp/types";

/**
 * Trust on first use for upstream tool definitions (issue 6 item 5). A tool's definition is
 * what a model reads to decide what to call and with what: an upstream that rewrites a reviewed
 * tool's description or schema ("rug pull", tool poisoning) must not reach agents silently.
 * The first definition seen is approved; a different one later is held as pending (the tool
 * is hidden and its calls refused with `tool_definition_changed`) until an admin approves it.
 */

export const TOOL_DEFINITION_CHANGED = "tool_definition_changed";

type Env = Pick<Environment, "id" | "organizationId">;

/** Keys sorted at every depth, so two equal definitions always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The parts of a tool a model acts on; title/outputSchema/_meta churn without changing what a call does. */
export function hashedPart(t: McpTool | McpToolDefinition) {
  return { name: t.name, description: t.description ?? null, inputSchema: t.inputSchema ?? null, annotations: t.annotations ?? null };
}

export const toolHash = (t: McpTool | McpToolDefinition) => createHash("sha256").update(canonicalJson(hashedPart(t))).digest("hex");

export type ToolDefinitionChange = {
  environmentId: string;
  organizationId: string;
  serverId: string;
  serverSlug: string;
  tool: string;
  previousHash: string;
  newHash: string;
};

let sink: (change: ToolDefinitionChange) => void | Promise<void> = (c) => {
  log.warn("upstream tool definition changed; held for approval", { server: c.serverId, tool: c.tool, previous_hash: c.previousHash, new_hash: c.newHash });
};

/** Where a changed definition is reported (the coordinator wires lib/alerts here). */
export function setToolDefinitionChangedSink(fn: (change: ToolDefinitionChange) => void | Promise<void>) {
  sink = fn;
}

function report(change: ToolDefinitionChange) {
  try {
    void Promise.resolve(sink(change)).catch((err: unknown) => log.error("tool definition alert failed", { error: err instanceof Error ? err.message : "unknown" }));
  } catch (err) {
    log.error("tool definition alert failed", { error: err instanceof Error ? err.message : "unknown" });
  }
}

export type ReconciledTools = {
  /** Tools the gateway may show and call: approved, with the definition as the upstream shows it now. */
  approved: McpTool[];
  /** Names held for approval. */
  pending: Set<string>;
};

/**
 * Compares what the upstream listed with the stored hashes: new names are stored as approved,
 * unchanged ones pass, changed ones become pending (and are reported once, when they change).
 * Called after the upstream I/O, never around it (check L4): one short transaction.
 */
export async function reconcileTools(db: DbOrTx, env: Env, server: Pick<McpServer, "id" | "slug">, tools: McpTool[]): Promise<ReconciledTools> {
  const seen = new Map<string, McpTool>();
  for (const t of tools) if (!seen.has(t.name)) seen.set(t.name, t);
  if (seen.size === 0) return { approved: [], pending: new Set() };
  const changes: ToolDefinitionChange[] = [];
  const result = await db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(mcpServerTools)
      .where(and(eq(mcpServerTools.environmentId, env.id), eq(mcpServerTools.serverId, server.id), inArray(mcpServerTools.name, [...seen.keys()])));
    const byName = new Map(rows.map((r) => [r.name, r]));
    const approved: McpTool[] = [];
    const pending = new Set<string>();
    const fresh: (typeof mcpServerTools.$inferInsert)[] = [];
    for (const [name, tool] of seen) {
      const hash = toolHash(tool);
      const def = definitionOf(tool);
      const row = byName.get(name);
      if (!row) {
        fresh.push({ serverId: server.id, environmentId: env.id, name, hash, definition: def, status: "approved" });
        approved.push(tool);
        continue;
      }
      if (row.hash === hash) {
        // Back to the approved definition: nothing is pending any more.
        if (row.status !== "approved") {
          await tx
            .update(mcpServerTools)
            .set({ status: "approved", pendingHash: null, pendingDefinition: null })
            .where(and(eq(mcpServerTools.environmentId, env.id), eq(mcpServerTools.serverId, server.id), eq(mcpServerTools.name, name)));
        }
        approved.push(tool);
        continue;
      }
      pending.add(name);
      if (row.pendingHash !== hash) {
        await tx
          .update(mcpServerTools)
          .set({ status: "pending", pendingHash: hash, pendingDefinition: def, changedAt: new Date() })
          .where(and(eq(mcpServerTools.environmentId, env.id), eq(mcpServerTools.serverId, server.id), eq(mcpServerTools.name, name)));
        changes.push({ environmentId: env.id, organizationId: env.organizationId, serverId: server.id, serverSlug: server.slug, tool: name, previousHash: row.hash, newHash: hash });
      }
    }
    // Two replicas may see a new tool at once: the first insert wins, both trust the same thing.
    if (fresh.length) await tx.insert(mcpServerTools).values(fresh).onConflictDoNothing();
    return { approved, pending };
  });
  for (const c of changes) report(c);
  return result;
}

function definitionOf(t: McpTool): McpToolDefinition {
  const d: McpToolDefinition = { name: t.name };
  if (t.title !== undefined) d.title = t.title;
  if (t.description !== undefined) d.description = t.description;
  if (t.inputSchema !== undefined) d.inputSchema = t.inputSchema;
  if (t.outputSchema !== undefined) d.outputSchema = t.outputSchema;
  if (t.annotations !== undefined) d.annotations = t.annotations;
  return d;
}

/**
 * The definitions Latchkey has pinned for a server, as the gateway would show them: approved
 * ones, and the names held for approval. For a user who cannot list the server yet (no
 * connection of their own), so the agent still sees what it could call after connecting.
 */
export async function pinnedTools(db: DbOrTx, environmentId: string, serverId: string): Promise<ReconciledTools> {
  const rows = await db
    .select({ definition: mcpServerTools.definition, status: mcpServerTools.status })
    .from(mcpServerTools)
    .where(and(eq(mcpServerTools.environmentId, environmentId), eq(mcpServerTools.serverId, serverId)))
    .orderBy(asc(mcpServerTools.name));
  return {
    approved: rows.filter((r) => r.status === "approved").map((r) => ({ ...r.definition, inputSchema: r.definition.inputSchema ?? { type: "object" } }) as McpTool),
    pending: new Set(rows.filter((r) => r.status !== "approved").map((r) => r.definition.name)),
  };
}

/** Whether a tool is held for approval, from the table (used only when the upstream cannot list its tools). */
export async function isToolPending(db: DbOrTx, environmentId: string, serverId: string, name: string): Promise<boolean> {
  const [row] = await db
    .select({ status: mcpServerTools.status })
    .from(mcpServerTools)
    .where(and(eq(mcpServerTools.environmentId, environmentId), eq(mcpServerTools.serverId, serverId), eq(mcpServerTools.name, name)));
  return row?.status === "pending";
}

export type ServerToolOut = {
  object: "mcp_server_tool";
  server_id: string;
  name: string;
  status: "approved" | "pending";
  hash: string;
  definition: McpToolDefinition;
  pending_hash: string | null;
  pending_definition: McpToolDefinition | null;
  first_seen: string;
  changed_at: string | null;
  approved_at: string | null;
};

export function toServerToolOut(r: McpServerToolRow): ServerToolOut {
  return {
    object: "mcp_server_tool",
    server_id: r.serverId,
    name: r.name,
    status: r.status,
    hash: r.hash,
    definition: r.definition,
    pending_hash: r.pendingHash,
    pending_definition: r.pendingDefinition ?? null,
    first_seen: r.firstSeen.toISOString(),
    changed_at: r.changedAt?.toISOString() ?? null,
    approved_at: r.approvedAt?.toISOString() ?? null,
  };
}

async function serverOrThrow(db: DbOrTx, environmentId: string, id: string) {
  const s = await findMcpServer(db, environmentId, id);
  if (!s) throw new AppError({ code: "not_found", message: `No MCP server with id "${id}".` });
  return s;
}

/** The tools Latchkey has seen on a server, with their trust state (newest sightings are listed on the next tools/list). */
export async function listServerTools(db: DbOrTx, environmentId: string, serverId: string): Promise<McpServerToolRow[]> {
  await serverOrThrow(db, environmentId, serverId);
  return db
    .select()
    .from(mcpServerTools)
    .where(and(eq(mcpServerTools.environmentId, environmentId), eq(mcpServerTools.serverId, serverId)))
    .orderBy(asc(mcpServerTools.name));
}

/** An admin accepts the definition the upstream shows now; the tool is listed and callable again. */
export async function approveServerTool(
  db: DbOrTx,
  input: { environment: Env; serverId: string; name: string; actor: Actor; requestId?: string | null; ip?: string | null },
): Promise<McpServerToolRow> {
  return db.transaction(async (tx) => {
    const s = await serverOrThrow(tx, input.environment.id, input.serverId);
    const where = and(eq(mcpServerTools.environmentId, input.environment.id), eq(mcpServerTools.serverId, s.id), eq(mcpServerTools.name, input.name));
    const [row] = await tx.select().from(mcpServerTools).where(where).for("update");
    if (!row) throw new AppError({ code: "not_found", message: `The server "${s.slug}" has no tool "${input.name}" on record.` });
    if (row.status !== "pending" || !row.pendingHash || !row.pendingDefinition) {
      throw new AppError({ code: "conflict", message: `The tool "${input.name}" has no changed definition waiting for approval.` });
    }
    const [updated] = await tx
      .update(mcpServerTools)
      .set({ status: "approved", hash: row.pendingHash, definition: row.pendingDefinition, pendingHash: null, pendingDefinition: null, approvedAt: new Date() })
      .where(where)
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_server.tool_approved",
      target: { type: "mcp_server", id: s.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { tool: input.name, previous_hash: row.hash, hash: row.pendingHash },
    });
    return updated!;
  });
}
