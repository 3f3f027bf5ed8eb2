// GET  /api/v1/api-keys – list the keys of the caller's environment
// POST /api/v1/api-keys – create a key (its secret is in this response only)
import { createApiKey, listApiKeys, toApiKeyOut } from "@/lib/api-keys/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { apiKeyOperations } from "@/lib/schemas/api-keys";

export const GET = withApiKey(apiKeyOperations.list, async ({ ctx, query }) => {
  const result = await listApiKeys(ctx.db, {
    environmentId: ctx.environment.id,
    limit: query.limit,
    cursor: query.cursor,
    includeRevoked: query.include_revoked,
  });
  return { data: result.data.map(toApiKeyOut), has_more: result.hasMore, next_cursor: result.nextCursor };
});

export const POST = withApiKey(apiKeyOperations.create, async ({ ctx, body }) => {
  const { key, secret } = await createApiKey(ctx.db, {
    environment: ctx.environment,
    name: body.name,
    expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { ...toApiKeyOut(key), secret };
});
