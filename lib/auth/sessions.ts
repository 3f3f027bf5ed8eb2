import { randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { dashboardSessions } from "@/db/schema";

/**
 * Server-side record of dashboard sessions. The cookie is a JWT (Auth.js needs that for the
 * credentials provider), which on its own cannot be revoked; naming a row here makes sign-out,
 * a password change and the absolute lifetime take effect on the next request.
 */

/** Idle timeout: the JWT's own expiry, renewed on use. */
export const SESSION_IDLE_SECONDS = 12 * 60 * 60;
/** Absolute lifetime (ASVS V7.3.2): a session ends this long after sign-in however busy it is. */
export const SESSION_ABSOLUTE_SECONDS = 7 * 24 * 60 * 60;

export async function createDashboardSession(db: DbOrTx, userId: string): Promise<string> {
  // 256 bits: the id sits inside an encrypted cookie, but is also a revocation handle.
  const id = `ses_${randomBytes(32).toString("base64url")}`;
  const now = Date.now();
  await db.insert(dashboardSessions).values({ id, userId, createdAt: new Date(now), expiresAt: new Date(now + SESSION_ABSOLUTE_SECONDS * 1000) });
  // Sign-in is rare enough to carry the cleanup of everyone's ended sessions.
  await db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, new Date(now)));
  return id;
}

export async function dashboardSessionValid(db: DbOrTx, id: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: dashboardSessions.id })
    .from(dashboardSessions)
    .where(and(eq(dashboardSessions.id, id), eq(dashboardSessions.userId, userId), gt(dashboardSessions.expiresAt, new Date())));
  return Boolean(row);
}

export async function endDashboardSession(db: DbOrTx, id: string): Promise<void> {
  await db.delete(dashboardSessions).where(eq(dashboardSessions.id, id));
}

export async function endAllDashboardSessions(db: DbOrTx, userId: string): Promise<void> {
  await db.delete(dashboardSessions).where(eq(dashboardSessions.userId, userId));
}
