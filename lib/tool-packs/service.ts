import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { findMcpServerBySlug } from "@/db/queries/mcp-servers";
import { isServerEntry, toolPacks, type Environment, type ToolPack, type ToolPackEntry } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { getConnector } from "@/lib/connectors/catalog";
import type { ConnectorDef, ToolDef } from "@/lib/connectors/types";
import { AppError, notFound, validationError, type FieldIssue } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import type { ToolPackOut } from "@/lib/schemas/tool-packs";
import { packSecurityFromInput, packSecurityOut, validatePackSecurity, type PackSecurityInput } from "@/lib/security-rules/pack-security";

type Env = Pick<Environment, "id" | "organizationId">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

export type PackTool = { connector: ConnectorDef; tool: ToolDef };

/** The tools a pack exposes, in entry order, each once. */
export function resolvePackTools(entries: ToolPackEntry[]): PackTool[] {
  const out: PackTool[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    // Upstream MCP servers' tools are listed live (lib/mcp-servers/backend.ts), not from a catalog.
    if (isServerEntry(e)) continue;
    const def = getConnector(e.connector);
    if (!def) continue;
    const tools = e.tools === "*" ? def.tools : def.tools.filter((t) => (e.tools as string[]).includes(t.name));
    for (const tool of tools) {
      if (seen.has(tool.name)) continue;
      seen.add(tool.name);
      out.push({ connector: def, tool });
    }
  }
  return out;
}

export function requiredScopes(tools: PackTool[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const { connector, tool } of tools) {
    out[connector.slug] ??= new Set(connector.auth.kind === "oauth2" ? connector.auth.baseScopes : []);
    for (const s of tool.scopes) out[connector.slug]!.add(s);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
}

/** Every entry must name a known connector and tools it has; problems come back by field path. */
export function validateEntries(entries: ToolPackEntry[], path = "entries") {
  const issues: FieldIssue[] = [];
  const connectorsSeen = new Set<string>();
  const serversSeen = new Set<string>();
  entries.forEach((e, i) => {
    if (isServerEntry(e)) {
      if (serversSeen.has(e.server)) issues.push({ path: `${path}.${i}.server`, message: `"${e.server}" appears twice; merge the entries` });
      serversSeen.add(e.server);
      return;
    }
    const def = getConnector(e.connector);
    if (!def) return issues.push({ path: `${path}.${i}.connector`, message: `unknown connector "${e.connector}"` });
    if (connectorsSeen.has(e.connector)) issues.push({ path: `${path}.${i}.connector`, message: `"${e.connector}" appears twice; merge the entries` });
    connectorsSeen.add(e.connector);
    if (e.tools !== "*") {
      const names = new Set(def.tools.map((t) => t.name));
      e.tools.forEach((t, j) => {
        if (!names.has(t)) issues.push({ path: `${path}.${i}.tools.${j}`, message: `${def.name} has no tool "${t}"` });
      });
    }
  });
  if (issues.length) throw validationError(issues, "The tool pack names connectors or tools that do not exist.");
}

/** Server entries must name a server registered in the environment (tools are checked when listed). */
export async function validateServerEntries(db: DbOrTx, environmentId: string, entries: ToolPackEntry[], path = "entries") {
  const issues: FieldIssue[] = [];
  for (const [i, e] of entries.entries()) {
    if (isServerEntry(e) && !(await findMcpServerBySlug(db, environmentId, e.server))) issues.push({ path: `${path}.${i}.server`, message: `no MCP server with slug "${e.server}"` });
  }
  // Two servers' unprefixed names could collide, and which one a call reaches would be a guess.
  const bare = [...entries.entries()].filter(([, e]) => isServerEntry(e) && e.namespace === false);
  for (const [i] of bare.slice(1)) issues.push({ path: `${path}.${i}.namespace`, message: "only one server entry per tool pack may keep its tool names unprefixed (namespace: false)" });
  if (issues.length) throw validationError(issues, "The tool pack's MCP server entries are not valid.");
}

export const slugify = (name: string) =>
  name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64) || "pack";

export function toToolPackOut(p: ToolPack): ToolPackOut {
  const tools = resolvePackTools(p.entries);
  return {
    id: p.id,
    object: "tool_pack",
    environment_id: p.environmentId,
    name: p.name,
    slug: p.slug,
    description: p.description,
    entries: p.entries,
    tools: [...tools.map((t) => t.tool.name), ...p.entries.flatMap((e) => (isServerEntry(e) && e.tools !== "*" ? e.tools.map((t) => (e.namespace === false ? t : `${e.server}__${t}`)) : []))],
    required_scopes: requiredScopes(tools),
    security: packSecurityOut(p.security),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

const conflictSlug = (slug: string) =>
  new AppError({ code: "conflict", message: `A tool pack with slug "${slug}" already exists.`, issues: [{ path: "slug", message: "already taken" }] });

export async function createToolPack(
  db: DbOrTx,
  input: { environment: Env; name: string; slug?: string | undefined; description?: string | undefined; entries: ToolPackEntry[]; security?: PackSecurityInput | undefined } & Caller,
) {
  validateEntries(input.entries);
  await validateServerEntries(db, input.environment.id, input.entries);
  const security = input.security ? packSecurityFromInput(input.security) : null;
  if (security) await validatePackSecurity(db, input.environment.id, security);
  const slug = input.slug ?? slugify(input.name);
  const id = createId("toolPack");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(toolPacks)
      .values({ id, environmentId: input.environment.id, name: input.name, slug, description: input.description ?? null, entries: input.entries, security })
      .onConflictDoNothing({ target: [toolPacks.environmentId, toolPacks.slug] })
      .returning();
    if (!row) throw conflictSlug(slug);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "tool_pack.created",
      target: { type: "tool_pack", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: input.name, slug, entries: input.entries, ...(security ? { security } : {}) },
    });
    return row;
  });
}

export async function findToolPack(db: DbOrTx, environmentId: string, id: string) {
  const [row] = await db.select().from(toolPacks).where(and(eq(toolPacks.environmentId, environmentId), eq(toolPacks.id, id)));
  return row ?? null;
}

export async function getToolPack(db: DbOrTx, environmentId: string, id: string) {
  const row = await findToolPack(db, environmentId, id);
  if (!row) throw notFound("Tool pack");
  return row;
}

export async function findToolPackBySlugOrName(db: DbOrTx, environmentId: string, key: string) {
  const [bySlug] = await db.select().from(toolPacks).where(and(eq(toolPacks.environmentId, environmentId), eq(toolPacks.slug, key)));
  if (bySlug) return bySlug;
  const [byName] = await db.select().from(toolPacks).where(and(eq(toolPacks.environmentId, environmentId), eq(toolPacks.name, key)));
  return byName ?? null;
}

export async function listToolPacks(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined }) {
  const conds = [eq(toolPacks.environmentId, input.environmentId)];
  const before = decodeCursor(input.cursor);
  if (before) conds.push(lt(toolPacks.id, before));
  const rows = await db.select().from(toolPacks).where(and(...conds)).orderBy(desc(toolPacks.id)).limit(input.limit + 1);
  return page(rows, input.limit);
}

export async function updateToolPack(
  db: DbOrTx,
  input: {
    environment: Env;
    id: string;
    patch: { name?: string | undefined; slug?: string | undefined; description?: string | null | undefined; entries?: ToolPackEntry[] | undefined; security?: PackSecurityInput | null | undefined };
  } & Caller,
) {
  if (input.patch.entries) {
    validateEntries(input.patch.entries);
    await validateServerEntries(db, input.environment.id, input.patch.entries);
  }
  const security = input.patch.security ? packSecurityFromInput(input.patch.security) : input.patch.security;
  if (security) await validatePackSecurity(db, input.environment.id, security);
  return db.transaction(async (tx) => {
    const before = await getToolPack(tx, input.environment.id, input.id);
    const set: Partial<typeof toolPacks.$inferInsert> = {};
    if (input.patch.name !== undefined) set.name = input.patch.name;
    if (input.patch.slug !== undefined) set.slug = input.patch.slug;
    if (input.patch.description !== undefined) set.description = input.patch.description;
    if (input.patch.entries !== undefined) set.entries = input.patch.entries;
    if (security !== undefined) set.security = security;
    if (Object.keys(set).length === 0) return before;
    if (set.slug && set.slug !== before.slug) {
      const [taken] = await tx.select({ id: toolPacks.id }).from(toolPacks).where(and(eq(toolPacks.environmentId, input.environment.id), eq(toolPacks.slug, set.slug)));
      if (taken) throw conflictSlug(set.slug);
    }
    const [after] = await tx
      .update(toolPacks)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(toolPacks.environmentId, input.environment.id), eq(toolPacks.id, input.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "tool_pack.updated",
      target: { type: "tool_pack", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { fields: Object.keys(set), ...(set.entries ? { entries: set.entries } : {}), ...(security !== undefined ? { security_before: before.security, security } : {}) },
    });
    return after!;
  });
}

export async function deleteToolPack(db: DbOrTx, input: { environment: Env; id: string } & Caller) {
  await db.transaction(async (tx) => {
    const pack = await getToolPack(tx, input.environment.id, input.id);
    await tx.delete(toolPacks).where(and(eq(toolPacks.environmentId, input.environment.id), eq(toolPacks.id, pack.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "tool_pack.deleted",
      target: { type: "tool_pack", id: pack.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: pack.name, slug: pack.slug },
    });
  });
}
