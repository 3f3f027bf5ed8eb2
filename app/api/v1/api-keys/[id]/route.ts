// GET    /api/v1/api-keys/{id} – one key, never its secret
// DELETE /api/v1/api-keys/{id} – revoke, effective on the next request
import { getApiKey, revokeApiKey, toApiKeyOut } from "@/lib/api-keys/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { apiKeyOperations } from "@/lib/schemas/api-keys";

export const GET = withApiKey(apiKeyOperations.get, async ({ ctx, params }) =>
  toApiKeyOut(await getApiKey(ctx.db, ctx.environment.id, params.id)),
);

export const DELETE = withApiKey(apiKeyOperations.revoke, async ({ ctx, params }) =>
  toApiKeyOut(
    await revokeApiKey(ctx.db, {
      environment: ctx.environment,
      id: params.id,
      actor: ctx.actor,
      requestId: ctx.requestId,
      ip: ctx.ip,
    }),
  ),
);
