// POST /api/v1/webhook-endpoints/{id}/test – queue a ping event to this endpoint
import { withApiKey } from "@/lib/http/with-api-key";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { sendTestEvent, toWebhookDeliveryOut } from "@/lib/webhooks/service";

export const POST = withApiKey(webhookOperations.test, async ({ ctx, params }) => {
  const delivery = await sendTestEvent(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return toWebhookDeliveryOut(delivery, []);
});
