// DELETE /api/v1/registered-users/{id}/tokens/{token_id} – revoke a personal token
import { revokeUserToken, toUserTokenOut } from "@/lib/gateway-tokens/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { gatewayTokenOperations } from "@/lib/schemas/gateway-tokens";

export const DELETE = withApiKey(gatewayTokenOperations.revokeForUser, async ({ ctx, params }) =>
  toUserTokenOut(await revokeUserToken(ctx.db, { environment: ctx.environment, registeredUserId: params.id, id: params.token_id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);
