// GET    /api/v1/gateway-tokens/{id}
// DELETE /api/v1/gateway-tokens/{id} – revoke (effective on the next request)
import { getGatewayToken, revokeGatewayToken, toGatewayTokenOut } from "@/lib/gateway-tokens/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { gatewayTokenOperations } from "@/lib/schemas/gateway-tokens";

export const GET = withApiKey(gatewayTokenOperations.get, async ({ ctx, params }) => toGatewayTokenOut(await getGatewayToken(ctx.db, ctx.environment.id, params.id)));

export const DELETE = withApiKey(gatewayTokenOperations.revoke, async ({ ctx, params }) =>
  toGatewayTokenOut(await revokeGatewayToken(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);
