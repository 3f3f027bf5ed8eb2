import { and, desc, eq, lt, ne, sql, type SQL } from "drizzle-orm";
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

/**
 * Adds scopes to a server's requested set (scope step-up), as one statement so two refusals
 * at once cannot drop each other's scopes: only the ones not already there are appended.
 * Returns the row when it changed, null when nothing was new.
 */
export async function appendMcpServerScopes(db: DbOrTx, environmentId: string, id: string, scopes: string[]): Promise<McpServer | null> {
  const [row] = await db
    .update(mcpServers)
    .set({
      scopes: sql`${mcpServers.scopes} || (select coalesce(jsonb_agg(e.s order by e.n), '[]'::jsonb) from jsonb_array_elements_text(${JSON.stringify([...new Set(scopes)])}::jsonb) with ordinality as e(s, n) where not ${mcpServers.scopes} ? e.s)`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(mcpServers.environmentId, environmentId), eq(mcpServers.id, id), sql`not ${mcpServers.scopes} @> ${JSON.stringify(scopes)}::jsonb`))
    .returning();
  return row ?? null;
}
