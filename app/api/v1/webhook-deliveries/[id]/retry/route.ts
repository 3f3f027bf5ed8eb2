// POST /api/v1/webhook-deliveries/{id}/retry – redeliver the event to the same endpoint now
import { withApiKey } from "@/lib/http/with-api-key";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { retryWebhookDelivery } from "@/lib/webhooks/service";

export const POST = withApiKey(webhookOperations.retryDelivery, async ({ ctx, params }) =>
  retryWebhookDelivery(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip }),
);
