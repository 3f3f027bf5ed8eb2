// GET  /api/v1/registered-users/{id}/tokens – the user's personal tokens
// POST /api/v1/registered-users/{id}/tokens – create one for /mcp/{tool_pack_slug} (shown once)
import { createUserToken, listUserTokens, toUserTokenOut } from "@/lib/gateway-tokens/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { gatewayTokenOperations } from "@/lib/schemas/gateway-tokens";

export const GET = withApiKey(gatewayTokenOperations.listForUser, async ({ ctx, params, query }) => {
  const result = await listUserTokens(ctx.db, { environmentId: ctx.environment.id, registeredUserId: params.id, limit: query.limit, cursor: query.cursor, includeRevoked: query.include_revoked });
  return { data: result.data.map(toUserTokenOut), has_more: result.hasMore, next_cursor: result.nextCursor };
});

export const POST = withApiKey(gatewayTokenOperations.createForUser, async ({ ctx, params, body }) => {
  const { row, token } = await createUserToken(ctx.db, {
    environment: ctx.environment,
    registeredUserId: params.id,
    name: body.name,
    expiresInSeconds: body.expires_in,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { ...toUserTokenOut(row), token };
});
