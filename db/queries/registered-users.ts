import { and, desc, eq, ilike, lt, or, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { registeredUsers, type RegisteredUser } from "@/db/schema";

const escapeLike = (s: string) => s.replace(/[%_\\]/g, (c) => `\\${c}`);

export async function findRegisteredUser(db: DbOrTx, environmentId: string, id: string): Promise<RegisteredUser | null> {
  const [row] = await db.select().from(registeredUsers).where(and(eq(registeredUsers.environmentId, environmentId), eq(registeredUsers.id, id)));
  return row ?? null;
}

export async function findRegisteredUserByOrigin(db: DbOrTx, environmentId: string, originUserId: string) {
  const [row] = await db
    .select()
    .from(registeredUsers)
    .where(and(eq(registeredUsers.environmentId, environmentId), eq(registeredUsers.originUserId, originUserId)));
  return row ?? null;
}

export async function listRegisteredUserRows(
  db: DbOrTx,
  opts: { environmentId: string; limit: number; beforeId?: string | undefined; group?: string | undefined; search?: string | undefined },
) {
  const conds: SQL[] = [eq(registeredUsers.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(registeredUsers.id, opts.beforeId));
  if (opts.group) conds.push(eq(registeredUsers.sharedCredentialGroup, opts.group));
  if (opts.search) {
    const p = `${escapeLike(opts.search)}%`;
    conds.push(or(ilike(registeredUsers.originUserId, p), ilike(registeredUsers.email, p))!);
  }
  return db
    .select()
    .from(registeredUsers)
    .where(and(...conds))
    .orderBy(desc(registeredUsers.id))
    .limit(opts.limit + 1);
}
