"use server";

import { authedAction } from "@/lib/actions/authed-action";
import {
  createWebhookEndpointFormSchema,
  redeliverWebhookFormSchema,
  setWebhookEndpointEnabledFormSchema,
  webhookEndpointIdFormSchema,
} from "@/lib/schemas/webhooks";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  outboundPolicy,
  retryWebhookDelivery,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhookEndpoint,
} from "@/lib/webhooks/service";

export const createWebhookEndpointAction = authedAction(
  { schema: createWebhookEndpointFormSchema, minRole: "developer", revalidate: "/webhooks" },
  async (input, ctx) => {
    const { endpoint, secret } = await createWebhookEndpoint(ctx.rt, {
      environment: ctx.environment,
      policy: outboundPolicy(ctx.rt),
      url: input.url,
      description: input.description || null,
      events: input.events,
      actor: ctx.actor,
      requestId: ctx.requestId,
    });
    return { id: endpoint.id, url: endpoint.url, secret };
  },
);

export const setWebhookEndpointEnabledAction = authedAction(
  { schema: setWebhookEndpointEnabledFormSchema, minRole: "developer", revalidate: "/webhooks" },
  async (input, ctx) => {
    const e = await updateWebhookEndpoint(ctx.rt.db, {
      environment: ctx.environment,
      policy: outboundPolicy(ctx.rt),
      id: input.id,
      patch: { enabled: input.enabled },
      actor: ctx.actor,
      requestId: ctx.requestId,
    });
    return { id: e.id, enabled: e.enabled };
  },
);

export const deleteWebhookEndpointAction = authedAction(
  { schema: webhookEndpointIdFormSchema, minRole: "developer", revalidate: "/webhooks" },
  async (input, ctx) => {
    await deleteWebhookEndpoint(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId });
    return { id: input.id };
  },
);

export const sendWebhookTestAction = authedAction({ schema: webhookEndpointIdFormSchema, minRole: "developer" }, async (input, ctx) => {
  const d = await sendTestEvent(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId });
  return { deliveryId: d.id };
});

export const rotateWebhookSecretAction = authedAction({ schema: webhookEndpointIdFormSchema, minRole: "developer" }, async (input, ctx) => {
  const { secret, endpoint } = await rotateWebhookSecret(ctx.rt, { environment: ctx.environment, id: input.id, overlapSeconds: 24 * 3600, actor: ctx.actor, requestId: ctx.requestId });
  return { secret, previousSecretExpiresAt: endpoint.previousSecretExpiresAt?.toISOString() ?? null };
});

export const redeliverWebhookAction = authedAction({ schema: redeliverWebhookFormSchema, minRole: "developer" }, async (input, ctx) => {
  const d = await retryWebhookDelivery(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId });
  return { deliveryId: d.id };
});
