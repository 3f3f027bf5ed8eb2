import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { invitations, memberships, users, type Role } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { verifyPassword } from "@/lib/crypto/password";
import { generateToken, hashToken } from "@/lib/crypto/tokens";
import { AppError, forbidden, notFound } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { createUser, findUserByEmail, normalizeEmail } from "@/lib/orgs/users";

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

type Caller = { actor: Actor; actorRole: Role; requestId?: string | null };

export async function listMembers(db: DbOrTx, organizationId: string) {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt, lastLoginAt: users.lastLoginAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(asc(memberships.createdAt));
}

export async function listPendingInvitations(db: DbOrTx, organizationId: string) {
  return db
    .select({ id: invitations.id, email: invitations.email, role: invitations.role, expiresAt: invitations.expiresAt, createdAt: invitations.createdAt })
    .from(invitations)
    .where(
      and(
        eq(invitations.organizationId, organizationId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date()),
      ),
    )
    .orderBy(asc(invitations.createdAt));
}

async function ownerCount(db: DbOrTx, organizationId: string) {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.role, "owner")));
  return Number(r?.n ?? 0);
}

/** Only an owner may hand out or take away the owner role; an organization always keeps one owner. */
export async function changeMemberRole(db: DbOrTx, input: { organizationId: string; userId: string; role: Role } & Caller) {
  return db.transaction(async (tx) => {
    const [m] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId)))
      .for("update");
    if (!m) throw notFound("Member");
    if ((m.role === "owner" || input.role === "owner") && input.actorRole !== "owner") throw forbidden("Only an owner can change who is an owner.");
    if (m.role === "owner" && input.role !== "owner" && (await ownerCount(tx, input.organizationId)) <= 1) {
      throw new AppError({ code: "conflict", message: "An organization needs at least one owner." });
    }
    await tx
      .update(memberships)
      .set({ role: input.role })
      .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId)));
    await recordAudit(tx, {
      organizationId: input.organizationId,
      actor: input.actor,
      action: "member.role_changed",
      target: { type: "user", id: input.userId },
      requestId: input.requestId ?? null,
      metadata: { from: m.role, to: input.role },
    });
  });
}

export async function removeMember(db: DbOrTx, input: { organizationId: string; userId: string } & Caller) {
  return db.transaction(async (tx) => {
    const [m] = await tx
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId)))
      .for("update");
    if (!m) throw notFound("Member");
    if (m.role === "owner" && input.actorRole !== "owner") throw forbidden("Only an owner can remove an owner.");
    if (m.role === "owner" && (await ownerCount(tx, input.organizationId)) <= 1) {
      throw new AppError({ code: "conflict", message: "An organization needs at least one owner." });
    }
    await tx.delete(memberships).where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId)));
    await recordAudit(tx, {
      organizationId: input.organizationId,
      actor: input.actor,
      action: "member.removed",
      target: { type: "user", id: input.userId },
      requestId: input.requestId ?? null,
      metadata: { role: m.role },
    });
  });
}

/** Returns the invitation's one-time token; only its hash is stored. */
export async function createInvitation(db: DbOrTx, input: { organizationId: string; email: string; role: Role } & Caller) {
  if (input.role === "owner" && input.actorRole !== "owner") throw forbidden("Only an owner can invite an owner.");
  const email = normalizeEmail(input.email);
  const existing = await findUserByEmail(db, email);
  if (existing) {
    const [m] = await db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, existing.id)));
    if (m) throw new AppError({ code: "conflict", message: `${email} is already a member.` });
  }
  const { token, hash } = generateToken("lk_inv");
  const id = createId("invitation");
  const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
  await db.transaction(async (tx) => {
    await tx.insert(invitations).values({ id, organizationId: input.organizationId, email, role: input.role, tokenHash: hash, invitedBy: input.actor.id, expiresAt });
    await recordAudit(tx, {
      organizationId: input.organizationId,
      actor: input.actor,
      action: "invitation.created",
      target: { type: "invitation", id },
      requestId: input.requestId ?? null,
      metadata: { email, role: input.role, expires_at: expiresAt.toISOString() },
    });
  });
  return { id, token, expiresAt };
}

export async function revokeInvitation(db: DbOrTx, input: { organizationId: string; id: string } & Caller) {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(and(eq(invitations.organizationId, input.organizationId), eq(invitations.id, input.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning();
    if (!row) throw notFound("Invitation");
    await recordAudit(tx, { organizationId: input.organizationId, actor: input.actor, action: "invitation.revoked", target: { type: "invitation", id: input.id } });
  });
}

const INVALID_INVITE = "This invitation link is invalid, expired or already used.";

export async function findOpenInvitation(db: DbOrTx, token: string) {
  const [row] = await db
    .select()
    .from(invitations)
    .where(and(eq(invitations.tokenHash, hashToken(token)), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, new Date())));
  return row ?? null;
}

/**
 * Accepting consumes the token atomically (one UPDATE … WHERE accepted_at IS NULL RETURNING).
 * A new person sets their password; an existing user proves theirs.
 */
export async function acceptInvitation(db: DbOrTx, input: { token: string; password: string; name?: string | null }) {
  const invite = await findOpenInvitation(db, input.token);
  if (!invite) throw new AppError({ code: "not_found", message: INVALID_INVITE });
  const existing = await findUserByEmail(db, invite.email);
  if (existing && !(await verifyPassword(input.password, existing.passwordHash))) {
    throw new AppError({ code: "validation_error", message: "That is not the password of this account.", issues: [{ path: "password", message: "wrong password for this account" }] });
  }
  return db.transaction(async (tx) => {
    const [consumed] = await tx
      .update(invitations)
      .set({ acceptedAt: new Date() })
      .where(and(eq(invitations.id, invite.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, new Date())))
      .returning();
    if (!consumed) throw new AppError({ code: "not_found", message: INVALID_INVITE });
    const actor = { type: "user" as const, id: existing?.id ?? "invitee" };
    const userId = existing?.id ?? (await createUser(tx, { email: invite.email, name: input.name ?? null, password: input.password, actor }));
    await tx.insert(memberships).values({ organizationId: invite.organizationId, userId, role: invite.role }).onConflictDoNothing();
    await recordAudit(tx, {
      organizationId: invite.organizationId,
      actor: { type: "user", id: userId },
      action: "invitation.accepted",
      target: { type: "invitation", id: invite.id },
      metadata: { role: invite.role, email: invite.email },
    });
    return { userId, email: invite.email, organizationId: invite.organizationId };
  });
}
