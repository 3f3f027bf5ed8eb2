import * as z from "zod";
import { webhookDeliveryStatuses } from "@/db/schema";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";
import { webhookEventTypes } from "@/lib/webhooks/events";

const eventsSchema = z
  .array(z.enum([...webhookEventTypes, "*"]))
  .min(1)
  .max(50)
  .describe(`Event types to receive, or ["*"] for all: ${webhookEventTypes.join(", ")}.`);

const urlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .describe("Where events are POSTed. https only; private, loopback and link-local addresses are refused unless the operator allowlists the host.");

const descriptionSchema = z.string().trim().max(500);

export const createWebhookEndpointBodySchema = z.strictObject({
  url: urlSchema,
  description: descriptionSchema.nullable().optional(),
  events: eventsSchema.default(["*"]),
  enabled: z.boolean().default(true),
});

export const updateWebhookEndpointBodySchema = z.strictObject({
  url: urlSchema.optional(),
  description: descriptionSchema.nullable().optional(),
  events: eventsSchema.optional(),
  enabled: z.boolean().optional(),
});

export const rotateWebhookSecretBodySchema = z.strictObject({
  overlap_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(24 * 3600)
    .describe("How long deliveries stay signed with the old secret too (0 = stop at once)."),
});

export const webhookEndpointParamsSchema = z.object({ id: idParam("whe") });
export const webhookDeliveryParamsSchema = z.object({ id: idParam("whd") });

export const listWebhookDeliveriesQuerySchema = paginationQuerySchema.extend({
  status: z.enum(webhookDeliveryStatuses).optional(),
});

export const WebhookEndpointSchema = z
  .object({
    id: z.string(),
    object: z.literal("webhook_endpoint"),
    environment_id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().describe("Set when Latchkey disabled the endpoint (the receiver answered 410 Gone)."),
    secret_rotated_at: isoDate.nullable(),
    previous_secret_expires_at: isoDate.nullable().describe("During a rotation's overlap: until when deliveries carry a signature with the old secret too."),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "WebhookEndpoint" });
export type WebhookEndpointOut = z.infer<typeof WebhookEndpointSchema>;

/** The only responses that carry the signing secret: creation and rotation, once. */
export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe("The signing secret (whsec_…). Shown only in this response: store it now."),
}).meta({ id: "WebhookEndpointWithSecret" });

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    object: z.literal("webhook_delivery"),
    environment_id: z.string(),
    endpoint_id: z.string(),
    event_id: z.string().describe("Also the webhook-id header: the same on every attempt and redelivery."),
    event_type: z.string(),
    status: z.enum(webhookDeliveryStatuses),
    attempts: z.number().int(),
    next_attempt_at: isoDate.nullable(),
    last_attempt_at: isoDate.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    attempt_log: z.array(
      z.object({
        attempt: z.number().int(),
        status_code: z.number().int().nullable(),
        duration_ms: z.number().int(),
        response_snippet: z.string().nullable().describe("The first 500 characters of the receiver's answer."),
        error: z.string().nullable(),
        created_at: isoDate,
      }),
    ),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "WebhookDelivery" });
export type WebhookDeliveryOut = z.infer<typeof WebhookDeliverySchema>;

const DeletedWebhookEndpointSchema = z.object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.literal(true) });

const tag = "Webhooks";
const auth = ["invalid_api_key", "environment_mismatch", "rate_limited"] as const;
export const webhookOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/webhook-endpoints",
    operationId: "listWebhookEndpoints",
    summary: "List webhook endpoints, newest first",
    tag,
    auth: "api_key",
    query: paginationQuerySchema,
    success: { status: 200, description: "A page of endpoints (never their secrets).", schema: pageSchema(WebhookEndpointSchema) },
    errors: [...auth, "validation_error"],
  }),
  create: defineOperation({
    method: "post",
    path: "/api/v1/webhook-endpoints",
    operationId: "createWebhookEndpoint",
    summary: "Create a webhook endpoint",
    description: "The response holds the signing secret, once. Events are signed Standard-Webhooks style (webhook-id, webhook-timestamp, webhook-signature).",
    tag,
    auth: "api_key",
    body: createWebhookEndpointBodySchema,
    success: { status: 201, description: "The endpoint, with its signing secret (shown once).", schema: WebhookEndpointWithSecretSchema },
    errors: [...auth, "validation_error", "conflict", "payload_too_large"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/webhook-endpoints/{id}",
    operationId: "getWebhookEndpoint",
    summary: "Get a webhook endpoint",
    tag,
    auth: "api_key",
    params: webhookEndpointParamsSchema,
    success: { status: 200, description: "The endpoint (never its secret).", schema: WebhookEndpointSchema },
    errors: [...auth, "not_found"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/webhook-endpoints/{id}",
    operationId: "updateWebhookEndpoint",
    summary: "Change a webhook endpoint's URL, description, events, or enable/disable it",
    tag,
    auth: "api_key",
    params: webhookEndpointParamsSchema,
    body: updateWebhookEndpointBodySchema,
    success: { status: 200, description: "The endpoint.", schema: WebhookEndpointSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/webhook-endpoints/{id}",
    operationId: "deleteWebhookEndpoint",
    summary: "Delete a webhook endpoint and its delivery log",
    tag,
    auth: "api_key",
    params: webhookEndpointParamsSchema,
    success: { status: 200, description: "Deleted.", schema: DeletedWebhookEndpointSchema },
    errors: [...auth, "not_found"],
  }),
  rotateSecret: defineOperation({
    method: "post",
    path: "/api/v1/webhook-endpoints/{id}/rotate-secret",
    operationId: "rotateWebhookEndpointSecret",
    summary: "Replace the signing secret, signing with both for an overlap",
    tag,
    auth: "api_key",
    params: webhookEndpointParamsSchema,
    body: rotateWebhookSecretBodySchema,
    success: { status: 200, description: "The endpoint, with its new signing secret (shown once).", schema: WebhookEndpointWithSecretSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  test: defineOperation({
    method: "post",
    path: "/api/v1/webhook-endpoints/{id}/test",
    operationId: "testWebhookEndpoint",
    summary: "Send a ping event to this endpoint",
    description: "Queued like any event and sent within a second; follow it in the endpoint's deliveries.",
    tag,
    auth: "api_key",
    params: webhookEndpointParamsSchema,
    success: { status: 201, description: "The queued delivery.", schema: WebhookDeliverySchema },
    errors: [...auth, "not_found", "conflict"],
  }),
  listDeliveries: defineOperation({
    method: "get",
    path: "/api/v1/webhook-endpoints/{id}/deliveries",
    operationId: "listWebhookDeliveries",
    summary: "The endpoint's delivery log, newest first, each with its attempts",
    tag,
    auth: "api_key",
    params: webhookEndpointParamsSchema,
    query: listWebhookDeliveriesQuerySchema,
    success: { status: 200, description: "A page of deliveries.", schema: pageSchema(WebhookDeliverySchema) },
    errors: [...auth, "not_found", "validation_error"],
  }),
  retryDelivery: defineOperation({
    method: "post",
    path: "/api/v1/webhook-deliveries/{id}/retry",
    operationId: "retryWebhookDelivery",
    summary: "Redeliver an event: a new delivery to the same endpoint, attempted now",
    tag,
    auth: "api_key",
    params: webhookDeliveryParamsSchema,
    success: { status: 201, description: "The new delivery.", schema: WebhookDeliverySchema },
    errors: [...auth, "not_found", "conflict"],
  }),
};

// ---- dashboard forms (server actions validate with these too)

export const createWebhookEndpointFormSchema = z.object({
  url: urlSchema,
  description: descriptionSchema.optional(),
  events: eventsSchema,
});
export const webhookEndpointIdFormSchema = z.object({ id: idParam("whe") });
export const setWebhookEndpointEnabledFormSchema = z.object({ id: idParam("whe"), enabled: z.boolean() });
export const redeliverWebhookFormSchema = z.object({ id: idParam("whd") });
