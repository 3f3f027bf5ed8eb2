// GET  /api/v1/gateway-tokens – the service tokens of the caller's environment
// POST /api/v1/gateway-tokens – create one (the token is in this response only)
import { createGatewayToken, listGatewayTokens, toGatewayTokenOut } from "@/lib/gateway-tokens/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { gatewayTokenOperations } from "@/lib/schemas/gateway-tokens";

export const GET = withApiKey(gatewayTokenOperations.list, async ({ ctx, query }) => {
  const result = await listGatewayTokens(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor, includeRevoked: query.include_revoked });
  return { data: result.data.map(toGatewayTokenOut), has_more: result.hasMore, next_cursor: result.nextCursor };
});

export const POST = withApiKey(gatewayTokenOperations.create, async ({ ctx, body }) => {
  const { row, token } = await createGatewayToken(ctx.db, {
    environment: ctx.environment,
    name: body.name,
    expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { ...toGatewayTokenOut(row), token };
});
