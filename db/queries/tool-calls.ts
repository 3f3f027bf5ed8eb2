import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { connections, toolCalls, toolPacks } from "@/db/schema";

export type LastUse = { toolPackId: string | null; toolPackName: string | null; at: Date };

/**
 * The latest tool call of each connection, with its pack. A lateral subquery per connection
 * reads one entry of tool_calls_env_connection_idx (newest id first) instead of every call
 * the connection ever made.
 */
export async function lastToolCallPerConnection(db: DbOrTx, environmentId: string, connectionIds: string[]): Promise<Map<string, LastUse>> {
  const out = new Map<string, LastUse>();
  if (connectionIds.length === 0) return out;
  const last = db
    .select({ toolPackId: toolCalls.toolPackId, at: toolCalls.createdAt })
    .from(toolCalls)
    .where(and(eq(toolCalls.environmentId, environmentId), eq(toolCalls.connectionId, connections.id)))
    .orderBy(desc(toolCalls.id))
    .limit(1)
    .as("last_call");
  const rows = await db
    .select({ connectionId: connections.id, toolPackId: last.toolPackId, at: last.at, toolPackName: toolPacks.name })
    .from(connections)
    .innerJoinLateral(last, sql`true`)
    .leftJoin(toolPacks, and(eq(toolPacks.environmentId, environmentId), eq(toolPacks.id, last.toolPackId)))
    .where(and(eq(connections.environmentId, environmentId), inArray(connections.id, connectionIds)));
  for (const r of rows) out.set(r.connectionId, { toolPackId: r.toolPackId, toolPackName: r.toolPackName, at: r.at });
  return out;
}
