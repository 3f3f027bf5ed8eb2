import { and, desc, eq, gt, inArray, isNull, lt, lte, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import {
  connections,
  environments,
  magicLinkSessions,
  magicLinks,
  organizations,
  registeredUsers,
  type MagicLink,
} from "@/db/schema";

export async function insertMagicLink(db: DbOrTx, values: typeof magicLinks.$inferInsert): Promise<MagicLink> {
  const [row] = await db.insert(magicLinks).values(values).returning();
  return row!;
}

export async function findMagicLink(db: DbOrTx, environmentId: string, id: string): Promise<MagicLink | null> {
  const [row] = await db.select().from(magicLinks).where(and(eq(magicLinks.environmentId, environmentId), eq(magicLinks.id, id)));
  return row ?? null;
}

/** By token hash through the unique index: the one lookup that has no environment yet (the token is the credential). */
export async function findMagicLinkByTokenHash(db: DbOrTx, tokenHash: string) {
  const [row] = await db
    .select({ link: magicLinks, environment: environments })
    .from(magicLinks)
    .innerJoin(environments, eq(environments.id, magicLinks.environmentId))
    .where(eq(magicLinks.tokenHash, tokenHash));
  return row ?? null;
}

export async function listMagicLinkRows(db: DbOrTx, opts: { environmentId: string; limit: number; beforeId?: string | undefined; registeredUserId?: string | undefined }) {
  const conds: SQL[] = [eq(magicLinks.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(magicLinks.id, opts.beforeId));
  if (opts.registeredUserId) conds.push(eq(magicLinks.registeredUserId, opts.registeredUserId));
  return db
    .select()
    .from(magicLinks)
    .where(and(...conds))
    .orderBy(desc(magicLinks.id))
    .limit(opts.limit + 1);
}

/** Sets revoked_at once; null when the link was already revoked (idempotent revoke). */
export async function markMagicLinkRevoked(db: DbOrTx, environmentId: string, id: string): Promise<MagicLink | null> {
  const [row] = await db
    .update(magicLinks)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(magicLinks.environmentId, environmentId), eq(magicLinks.id, id), isNull(magicLinks.revokedAt)))
    .returning();
  return row ?? null;
}

export async function touchMagicLink(db: DbOrTx, environmentId: string, id: string) {
  await db.update(magicLinks).set({ lastUsedAt: sql`now()` }).where(and(eq(magicLinks.environmentId, environmentId), eq(magicLinks.id, id)));
}

/** Connector slugs of each user's own active connections: what decides whether a link is `completed`. */
export async function activeConnectorsOfUsers(db: DbOrTx, environmentId: string, userIds: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>(userIds.map((id) => [id, new Set<string>()]));
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ ownerId: connections.ownerId, connector: connections.connector })
    .from(connections)
    .where(
      and(
        eq(connections.environmentId, environmentId),
        eq(connections.ownerType, "registered_user"),
        inArray(connections.ownerId, [...new Set(userIds)]),
        eq(connections.status, "active"),
      ),
    );
  for (const r of rows) out.get(r.ownerId)?.add(r.connector);
  return out;
}

// ---------------------------------------------------------------- sessions

export async function insertMagicSession(db: DbOrTx, values: typeof magicLinkSessions.$inferInsert) {
  await db.insert(magicLinkSessions).values(values);
}

/**
 * A live session with everything a request needs: the link (which may have been revoked or
 * expired since: the caller decides), its environment and organization, and the user.
 */
export async function findMagicSessionByHash(db: DbOrTx, sessionHash: string, now: Date) {
  const [row] = await db
    .select({
      session: magicLinkSessions,
      link: magicLinks,
      environment: environments,
      organizationName: organizations.name,
      user: registeredUsers,
    })
    .from(magicLinkSessions)
    .innerJoin(magicLinks, and(eq(magicLinks.environmentId, magicLinkSessions.environmentId), eq(magicLinks.id, magicLinkSessions.magicLinkId)))
    .innerJoin(environments, eq(environments.id, magicLinkSessions.environmentId))
    .innerJoin(organizations, eq(organizations.id, environments.organizationId))
    .innerJoin(registeredUsers, and(eq(registeredUsers.environmentId, magicLinks.environmentId), eq(registeredUsers.id, magicLinks.registeredUserId)))
    .where(and(eq(magicLinkSessions.sessionHash, sessionHash), gt(magicLinkSessions.expiresAt, now)));
  return row ?? null;
}

export async function deleteMagicSession(db: DbOrTx, environmentId: string, id: string) {
  await db.delete(magicLinkSessions).where(and(eq(magicLinkSessions.environmentId, environmentId), eq(magicLinkSessions.id, id)));
}

/** All sessions of a link (revocation), or only its expired ones (housekeeping when a new one opens). */
export async function deleteMagicSessionsOfLink(db: DbOrTx, environmentId: string, magicLinkId: string, opts: { expiredOnly?: Date } = {}) {
  const conds: SQL[] = [eq(magicLinkSessions.environmentId, environmentId), eq(magicLinkSessions.magicLinkId, magicLinkId)];
  if (opts.expiredOnly) conds.push(lte(magicLinkSessions.expiresAt, opts.expiredOnly));
  await db.delete(magicLinkSessions).where(and(...conds));
}

/** The organization's name, for branding what the end user sees. */
export async function organizationNameOf(db: DbOrTx, environmentId: string): Promise<string | null> {
  const [row] = await db
    .select({ name: organizations.name })
    .from(environments)
    .innerJoin(organizations, eq(organizations.id, environments.organizationId))
    .where(eq(environments.id, environmentId));
  return row?.name ?? null;
}
