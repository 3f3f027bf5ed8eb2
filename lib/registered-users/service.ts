import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { registeredUsers, type Environment, type RegisteredUser } from "@/db/schema";
import { findRegisteredUser, findRegisteredUserByOrigin, listRegisteredUserRows } from "@/db/queries/registered-users";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { notFound } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import type { RegisteredUserOut } from "@/lib/schemas/registered-users";
import { emitEvent } from "@/lib/webhooks/outbox";

type Env = Pick<Environment, "id" | "organizationId">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

export function toRegisteredUserOut(u: RegisteredUser): RegisteredUserOut {
  return {
    id: u.id,
    object: "registered_user",
    environment_id: u.environmentId,
    origin_user_id: u.originUserId,
    email: u.email,
    shared_credential_group: u.sharedCredentialGroup,
    metadata: u.metadata,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}

/**
 * Idempotent on origin_user_id. The unique index decides between concurrent callers: the
 * insert that loses does nothing, and it returns the winner's row.
 */
export async function ensureRegisteredUser(
  db: DbOrTx,
  input: {
    environment: Env;
    originUserId: string;
    email?: string | null | undefined;
    sharedCredentialGroup?: string | null | undefined;
    metadata?: Record<string, unknown> | undefined;
  } & Caller,
): Promise<{ user: RegisteredUser; created: boolean }> {
  return db.transaction(async (tx) => {
    const id = createId("registeredUser");
    const [inserted] = await tx
      .insert(registeredUsers)
      .values({
        id,
        environmentId: input.environment.id,
        originUserId: input.originUserId,
        email: input.email ?? null,
        sharedCredentialGroup: input.sharedCredentialGroup ?? null,
        metadata: input.metadata ?? {},
      })
      .onConflictDoNothing({ target: [registeredUsers.environmentId, registeredUsers.originUserId] })
      .returning();
    if (!inserted) {
      const existing = await findRegisteredUserByOrigin(tx, input.environment.id, input.originUserId);
      return { user: existing!, created: false };
    }
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "registered_user.created",
      target: { type: "registered_user", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { origin_user_id: input.originUserId, shared_credential_group: input.sharedCredentialGroup ?? null },
    });
    await emitEvent(tx, { environment: input.environment, type: "registered_user.created", data: toRegisteredUserOut(inserted) });
    return { user: inserted, created: true };
  });
}

export async function getRegisteredUser(db: DbOrTx, environmentId: string, id: string) {
  const u = await findRegisteredUser(db, environmentId, id);
  if (!u) throw notFound("Registered user");
  return u;
}

export async function listRegisteredUsers(
  db: DbOrTx,
  input: { environmentId: string; limit: number; cursor?: string | undefined; group?: string | undefined; search?: string | undefined },
) {
  const rows = await listRegisteredUserRows(db, {
    environmentId: input.environmentId,
    limit: input.limit,
    beforeId: decodeCursor(input.cursor),
    group: input.group,
    search: input.search,
  });
  return page(rows, input.limit);
}

export async function updateRegisteredUser(
  db: DbOrTx,
  input: {
    environment: Env;
    id: string;
    patch: { email?: string | null | undefined; sharedCredentialGroup?: string | null | undefined; metadata?: Record<string, unknown> | undefined };
  } & Caller,
) {
  return db.transaction(async (tx) => {
    const before = await getRegisteredUser(tx, input.environment.id, input.id);
    const set: Partial<typeof registeredUsers.$inferInsert> = {};
    if (input.patch.email !== undefined) set.email = input.patch.email;
    if (input.patch.sharedCredentialGroup !== undefined) set.sharedCredentialGroup = input.patch.sharedCredentialGroup;
    if (input.patch.metadata !== undefined) set.metadata = input.patch.metadata;
    if (Object.keys(set).length === 0) return before;
    const [after] = await tx
      .update(registeredUsers)
      .set({ ...set, updatedAt: sql`now()` })
      .where(and(eq(registeredUsers.environmentId, input.environment.id), eq(registeredUsers.id, input.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "registered_user.updated",
      target: { type: "registered_user", id: input.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { fields: Object.keys(set) },
    });
    return after!;
  });
}
