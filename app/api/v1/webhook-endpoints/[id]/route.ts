// GET    /api/v1/webhook-endpoints/{id} – one endpoint (never its secret)
// PATCH  /api/v1/webhook-endpoints/{id} – url, description, events, enabled
// DELETE /api/v1/webhook-endpoints/{id} – the endpoint and its delivery log
import { withApiKey } from "@/lib/http/with-api-key";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { deleteWebhookEndpoint, getWebhookEndpoint, outboundPolicy, toWebhookEndpointOut, updateWebhookEndpoint } from "@/lib/webhooks/service";

export const GET = withApiKey(webhookOperations.get, async ({ ctx, params }) => toWebhookEndpointOut(await getWebhookEndpoint(ctx.db, ctx.environment.id, params.id)));

export const PATCH = withApiKey(webhookOperations.update, async ({ ctx, params, body }) => {
  const e = await updateWebhookEndpoint(ctx.db, {
    environment: ctx.environment,
    policy: outboundPolicy(ctx.rt),
    id: params.id,
    patch: { url: body.url, description: body.description, events: body.events, enabled: body.enabled },
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return toWebhookEndpointOut(e);
});

export const DELETE = withApiKey(webhookOperations.delete, async ({ ctx, params }) => {
  await deleteWebhookEndpoint(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "webhook_endpoint", deleted: true };
});
