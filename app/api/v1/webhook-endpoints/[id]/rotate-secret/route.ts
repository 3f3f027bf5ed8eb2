// POST /api/v1/webhook-endpoints/{id}/rotate-secret – new secret now; the old one also signs for overlap_seconds
import { withApiKey } from "@/lib/http/with-api-key";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { rotateWebhookSecret, toWebhookEndpointOut } from "@/lib/webhooks/service";

export const POST = withApiKey(webhookOperations.rotateSecret, async ({ ctx, params, body }) => {
  const { endpoint, secret } = await rotateWebhookSecret(ctx.rt, {
    environment: ctx.environment,
    id: params.id,
    overlapSeconds: body.overlap_seconds,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { ...toWebhookEndpointOut(endpoint), secret };
});
