// POST /api/v1/api-keys/{id}/rotate – new key now, old one valid for overlap_seconds
import { rotateApiKey, toApiKeyOut } from "@/lib/api-keys/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { apiKeyOperations } from "@/lib/schemas/api-keys";

export const POST = withApiKey(apiKeyOperations.rotate, async ({ ctx, params, body }) => {
  const { key, secret } = await rotateApiKey(ctx.db, {
    environment: ctx.environment,
    id: params.id,
    overlapSeconds: body.overlap_seconds,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { ...toApiKeyOut(key), secret };
});
