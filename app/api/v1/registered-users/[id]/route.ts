// GET    /api/v1/registered-users/{id}
// PATCH  /api/v1/registered-users/{id} – email, shared_credential_group, metadata
// DELETE /api/v1/registered-users/{id} – revokes and removes their connections too
import { withApiKey } from "@/lib/http/with-api-key";
import { deleteRegisteredUser } from "@/lib/registered-users/delete";
import { getRegisteredUser, toRegisteredUserOut, updateRegisteredUser } from "@/lib/registered-users/service";
import { registeredUserOperations } from "@/lib/schemas/registered-users";

export const GET = withApiKey(registeredUserOperations.get, async ({ ctx, params }) =>
  toRegisteredUserOut(await getRegisteredUser(ctx.db, ctx.environment.id, params.id)),
);

export const PATCH = withApiKey(registeredUserOperations.update, async ({ ctx, params, body }) =>
  toRegisteredUserOut(
    await updateRegisteredUser(ctx.db, {
      environment: ctx.environment,
      id: params.id,
      patch: { email: body.email, sharedCredentialGroup: body.shared_credential_group, metadata: body.metadata },
      actor: ctx.actor,
      requestId: ctx.requestId,
      ip: ctx.ip,
    }),
  ),
);

export const DELETE = withApiKey(registeredUserOperations.delete, async ({ ctx, params }) => {
  const removed = await deleteRegisteredUser(ctx.rt, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "registered_user", deleted: true, connections_removed: removed };
});
