import { and, desc, eq, lt, ne, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { mcpServers, type McpServer } from "@/db/schema";

export async function findMcpServer(db: DbOrTx, environmentId: string, id: string): Promise<McpServer | null> {
  const [row] = await db.select().from(mcpServers).where(and(eq(mcpServers.environmentId, environmentId), eq(mcpServers.id, id)));
  return row ?? null;
}

export async function findMcpServerBySlug(db: DbOrTx, environmentId: string, slug: string): Promise<McpServer | null> {
  const [row] = await db.select().from(mcpServers).where(and(eq(mcpServers.environmentId, environmentId), eq(mcpServers.slug, slug)));
  return row ?? null;
}

export async function slugTaken(db: DbOrTx, environmentId: string, slug: string, exceptId?: string): Promise<boolean> {
  const conds: SQL[] = [eq(mcpServers.environmentId, environmentId), eq(mcpServers.slug, slug)];
  if (exceptId) conds.push(ne(mcpServers.id, exceptId));
  const rows = await db.select({ id: mcpServers.id }).from(mcpServers).where(and(...conds));
  return rows.length > 0;
}

export async function listMcpServerRows(db: DbOrTx, opts: { environmentId: string; limit: number; beforeId?: string | undefined }) {
  const conds: SQL[] = [eq(mcpServers.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(mcpServers.id, opts.beforeId));
  return db
    .select()
    .from(mcpServers)
    .where(and(...conds))
    .orderBy(desc(mcpServers.id))
    .limit(opts.limit + 1);
}

export async function listEnvironmentMcpServers(db: DbOrTx, environmentId: string): Promise<McpServer[]> {
  return db.select().from(mcpServers).where(eq(mcpServers.environmentId, environmentId));
}
