// GET  /api/v1/webhook-endpoints – list this environment's endpoints
// POST /api/v1/webhook-endpoints – create one (its signing secret is in this response only)
import { withApiKey } from "@/lib/http/with-api-key";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { createWebhookEndpoint, listWebhookEndpoints, outboundPolicy, toWebhookEndpointOut } from "@/lib/webhooks/service";

export const GET = withApiKey(webhookOperations.list, async ({ ctx, query }) => {
  const r = await listWebhookEndpoints(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor });
  return { data: r.data.map(toWebhookEndpointOut), has_more: r.hasMore, next_cursor: r.nextCursor };
});

export const POST = withApiKey(webhookOperations.create, async ({ ctx, body }) => {
  const { endpoint, secret } = await createWebhookEndpoint(ctx.rt, {
    environment: ctx.environment,
    policy: outboundPolicy(ctx.rt),
    url: body.url,
    description: body.description,
    events: body.events,
    enabled: body.enabled,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { ...toWebhookEndpointOut(endpoint), secret };
});
