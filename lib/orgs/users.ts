import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { endAllDashboardSessions } from "@/lib/auth/sessions";
import { hashPassword } from "@/lib/crypto/password";
import { createId } from "@/lib/ids";

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function findUserByEmail(db: DbOrTx, email: string) {
  const [u] = await db.select().from(users).where(eq(users.email, normalizeEmail(email)));
  return u ?? null;
}

export async function createUser(
  db: DbOrTx,
  input: { email: string; name?: string | null; password?: string | null; actor: Actor; requestId?: string | null },
) {
  const id = createId("user");
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  await db.transaction(async (tx) => {
    await tx.insert(users).values({ id, email: normalizeEmail(input.email), name: input.name ?? null, passwordHash });
    await recordAudit(tx, {
      actor: input.actor,
      action: "user.created",
      target: { type: "user", id },
      requestId: input.requestId ?? null,
      metadata: { email: normalizeEmail(input.email) },
    });
  });
  return id;
}

export async function setUserPassword(db: DbOrTx, input: { userId: string; password: string; actor: Actor }) {
  const passwordHash = await hashPassword(input.password);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, input.userId));
    // A new password signs the user out everywhere: whoever knew the old one keeps nothing.
    await endAllDashboardSessions(tx, input.userId);
    await recordAudit(tx, { actor: input.actor, action: "user.password_changed", target: { type: "user", id: input.userId } });
  });
}
