import { and, eq } from "drizzle-orm";
import { registeredUsers, type Environment } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { deleteConnectionsOfOwner, type Caller } from "@/lib/connections/service";
import { getRegisteredUser } from "@/lib/registered-users/service";
import type { Runtime } from "@/lib/runtime";

/** Revokes and removes the user's own connections (not their group's), then the user. Audited. */
export async function deleteRegisteredUser(rt: Pick<Runtime, "db" | "keyring">, input: { environment: Pick<Environment, "id" | "organizationId">; id: string } & Caller) {
  const user = await getRegisteredUser(rt.db, input.environment.id, input.id);
  const removed = await deleteConnectionsOfOwner(rt, { ...input, owner: { type: "registered_user", id: user.id }, cause: "registered_user_deleted" });
  await rt.db.transaction(async (tx) => {
    await tx.delete(registeredUsers).where(and(eq(registeredUsers.environmentId, input.environment.id), eq(registeredUsers.id, user.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "registered_user.deleted",
      target: { type: "registered_user", id: user.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { origin_user_id: user.originUserId, connections_removed: removed },
    });
  });
  return removed;
}
