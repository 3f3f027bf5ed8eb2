import { and, desc, eq, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { connections, type Connection, type ConnectionStatus } from "@/db/schema";

export async function findConnection(db: DbOrTx, environmentId: string, id: string): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(and(eq(connections.environmentId, environmentId), eq(connections.id, id)));
  return row ?? null;
}

export async function findOwnedConnection(db: DbOrTx, environmentId: string, ownerType: Connection["ownerType"], ownerId: string, connector: string) {
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.environmentId, environmentId), eq(connections.ownerType, ownerType), eq(connections.ownerId, ownerId), eq(connections.connector, connector)));
  return row ?? null;
}

/**
 * The connection a registered user's call uses for a connector: their own, else their group's,
 * else the environment's shared one. One query, best match first.
 */
export async function resolveConnectionRow(db: DbOrTx, environmentId: string, connector: string, user: { id: string; group: string | null } | null) {
  const owners: SQL[] = [eq(connections.ownerType, "environment")];
  if (user) owners.push(and(eq(connections.ownerType, "registered_user"), eq(connections.ownerId, user.id))!);
  if (user?.group) owners.push(and(eq(connections.ownerType, "group"), eq(connections.ownerId, user.group))!);
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.environmentId, environmentId), eq(connections.connector, connector), or(...owners)))
    .orderBy(sql`case ${connections.ownerType} when 'registered_user' then 0 when 'group' then 1 else 2 end`)
    .limit(1);
  return row ?? null;
}

export async function listConnectionRows(
  db: DbOrTx,
  opts: {
    environmentId: string;
    limit: number;
    beforeId?: string | undefined;
    ownerType?: Connection["ownerType"] | undefined;
    ownerId?: string | undefined;
    connector?: string | undefined;
    status?: ConnectionStatus | undefined;
  },
) {
  const conds: SQL[] = [eq(connections.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(connections.id, opts.beforeId));
  if (opts.ownerType) conds.push(eq(connections.ownerType, opts.ownerType));
  if (opts.ownerId) conds.push(eq(connections.ownerId, opts.ownerId));
  if (opts.connector) conds.push(eq(connections.connector, opts.connector));
  if (opts.status) conds.push(eq(connections.status, opts.status));
  return db
    .select()
    .from(connections)
    .where(and(...conds))
    .orderBy(desc(connections.id))
    .limit(opts.limit + 1);
}

export async function listConnectionsOfOwner(db: DbOrTx, environmentId: string, ownerType: Connection["ownerType"], ownerIds: string[]) {
  if (ownerIds.length === 0) return [];
  return db
    .select()
    .from(connections)
    .where(and(eq(connections.environmentId, environmentId), eq(connections.ownerType, ownerType), inArray(connections.ownerId, ownerIds)));
}

/** Written at most once a minute per connection. */
export async function touchConnection(db: DbOrTx, environmentId: string, id: string | string[]) {
  await db
    .update(connections)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(connections.environmentId, environmentId),
        Array.isArray(id) ? inArray(connections.id, id) : eq(connections.id, id),
        or(sql`${connections.lastUsedAt} is null`, lt(connections.lastUsedAt, sql`now() - interval '60 seconds'`)),
      ),
    );
}
