// GET /api/v1/webhook-endpoints/{id}/deliveries – the delivery log, newest first, with attempts
import { withApiKey } from "@/lib/http/with-api-key";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { listWebhookDeliveries } from "@/lib/webhooks/service";

export const GET = withApiKey(webhookOperations.listDeliveries, async ({ ctx, params, query }) => {
  const r = await listWebhookDeliveries(ctx.db, { environmentId: ctx.environment.id, endpointId: params.id, limit: query.limit, cursor: query.cursor, status: query.status });
  return { data: r.data, has_more: r.hasMore, next_cursor: r.nextCursor };
});
