// GET    /api/v1/connections/{id} – masked, never a secret
// DELETE /api/v1/connections/{id} – revoke at the provider where offered, then delete
import { withApiKey } from "@/lib/http/with-api-key";
import { deleteConnection, getConnection, toConnectionOut } from "@/lib/connections/service";
import { connectionOperations } from "@/lib/schemas/connections";

export const GET = withApiKey(connectionOperations.get, async ({ ctx, params }) =>
  toConnectionOut(ctx.rt, ctx.environment, await getConnection(ctx.db, ctx.environment.id, params.id)),
);

export const DELETE = withApiKey(connectionOperations.delete, async ({ ctx, params }) => {
  const r = await deleteConnection(ctx.rt, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "connection", deleted: true, revoked_at_provider: r.revokedAtProvider };
});
