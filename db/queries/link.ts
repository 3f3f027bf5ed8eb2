import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { connections, environments, linkOauthStates, linkSessions, linkTokens, organizations, type LinkOauthState, type LinkSession, type LinkToken } from "@/db/schema";

// The link token and the session cookie are credentials that name their environment, so the
// two lookups by hash below cannot carry an environment id; every other query does.

/**
 * Marks the token used if, and only if, it is unused and unexpired: one statement, so of two
 * concurrent redemptions exactly one gets the row back.
 */
export async function consumeLinkToken(db: DbOrTx, tokenHash: string): Promise<LinkToken | null> {
  const [row] = await db
    .update(linkTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(linkTokens.tokenHash, tokenHash), isNull(linkTokens.usedAt), gt(linkTokens.expiresAt, sql`now()`)))
    .returning();
  return row ?? null;
}

export async function findLinkSessionBySecret(db: DbOrTx, secretHash: string): Promise<LinkSession | null> {
  const [row] = await db.select().from(linkSessions).where(eq(linkSessions.secretHash, secretHash));
  return row ?? null;
}

/** Whether this session was opened by redeeming the token with this hash. */
export async function sessionRedeemedToken(db: DbOrTx, environmentId: string, session: Pick<LinkSession, "id" | "linkTokenId">, tokenHash: string): Promise<boolean> {
  const [row] = await db
    .select({ id: linkTokens.id })
    .from(linkTokens)
    .where(and(eq(linkTokens.environmentId, environmentId), eq(linkTokens.id, session.linkTokenId), eq(linkTokens.tokenHash, tokenHash)));
  return Boolean(row);
}

export async function insertLinkSession(db: DbOrTx, row: typeof linkSessions.$inferInsert): Promise<LinkSession> {
  const [created] = await db.insert(linkSessions).values(row).returning();
  return created!;
}

export async function endLinkSession(db: DbOrTx, environmentId: string, id: string, reason: "done" | "exit"): Promise<LinkSession | null> {
  const [row] = await db
    .update(linkSessions)
    .set({ endedAt: sql`now()`, endReason: reason })
    .where(and(eq(linkSessions.environmentId, environmentId), eq(linkSessions.id, id), isNull(linkSessions.endedAt)))
    .returning();
  return row ?? null;
}

export async function insertOauthState(db: DbOrTx, row: typeof linkOauthStates.$inferInsert): Promise<void> {
  await db.insert(linkOauthStates).values(row);
}

/**
 * Deletes and returns the state only when it belongs to this session: a state presented with
 * another browser's cookie matches nothing. First use consumes it, whatever happens next.
 */
export async function consumeOauthState(db: DbOrTx, environmentId: string, linkSessionId: string, stateHash: string): Promise<LinkOauthState | null> {
  const [row] = await db
    .delete(linkOauthStates)
    .where(and(eq(linkOauthStates.environmentId, environmentId), eq(linkOauthStates.linkSessionId, linkSessionId), eq(linkOauthStates.stateHash, stateHash)))
    .returning();
  return row ?? null;
}

/** Drops this session's states that ran out, so abandoned attempts do not pile up. */
export async function pruneOauthStates(db: DbOrTx, environmentId: string, linkSessionId: string): Promise<void> {
  await db
    .delete(linkOauthStates)
    .where(and(eq(linkOauthStates.environmentId, environmentId), eq(linkOauthStates.linkSessionId, linkSessionId), sql`${linkOauthStates.expiresAt} < now()`));
}

/** The registered user's own connections (not their group's), for the status of each connector. */
export async function userConnections(db: DbOrTx, environmentId: string, registeredUserId: string) {
  return db
    .select({ id: connections.id, connector: connections.connector, status: connections.status, accountLabel: connections.accountLabel })
    .from(connections)
    .where(and(eq(connections.environmentId, environmentId), eq(connections.ownerType, "registered_user"), eq(connections.ownerId, registeredUserId)));
}

export async function environmentWithOrganization(db: DbOrTx, environmentId: string) {
  const [row] = await db
    .select({ id: environments.id, organizationId: environments.organizationId, name: environments.name, kind: environments.kind, organizationName: organizations.name })
    .from(environments)
    .innerJoin(organizations, eq(organizations.id, environments.organizationId))
    .where(eq(environments.id, environmentId));
  return row ?? null;
}
