import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

export const apiKeyNameSchema = z.string().trim().min(1, "Name is required").max(100, "At most 100 characters");

export const createApiKeyBodySchema = z.strictObject({
  name: apiKeyNameSchema.describe("What the key is for, e.g. the service that uses it."),
  expires_at: isoDate.optional().describe("Optional expiry; the key stops working at this time."),
});

export const listApiKeysQuerySchema = paginationQuerySchema.extend({
  include_revoked: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

export const rotateApiKeyBodySchema = z.strictObject({
  overlap_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(24 * 3600)
    .describe("How long the old key keeps working alongside the new one (0 = revoke now)."),
});

export const apiKeyParamsSchema = z.object({ id: idParam("key") });

export const ApiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    name: z.string(),
    environment_id: z.string(),
    mode: z.enum(["live", "test"]),
    prefix: z.string().describe("The key's first characters, to recognise it. Not secret."),
    status: z.enum(["active", "expired", "revoked"]),
    created_at: isoDate,
    last_used_at: isoDate.nullable(),
    expires_at: isoDate.nullable(),
    revoked_at: isoDate.nullable(),
  })
  .meta({ id: "ApiKey" });
export type ApiKeyOut = z.infer<typeof ApiKeySchema>;

/** The only response that carries the secret: creation and rotation, once. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  secret: z.string().describe("The key itself. Shown only in this response: store it now."),
}).meta({ id: "CreatedApiKey" });

export const apiKeyOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/api-keys",
    operationId: "listApiKeys",
    summary: "List the API keys of the key's environment",
    tag: "API keys",
    auth: "api_key",
    query: listApiKeysQuerySchema,
    success: { status: 200, description: "A page of API keys, newest first.", schema: pageSchema(ApiKeySchema) },
    errors: ["invalid_api_key", "environment_mismatch", "validation_error", "rate_limited"],
  }),
  create: defineOperation({
    method: "post",
    path: "/api/v1/api-keys",
    operationId: "createApiKey",
    summary: "Create an API key in the key's environment",
    tag: "API keys",
    auth: "api_key",
    body: createApiKeyBodySchema,
    success: { status: 201, description: "The new key, with its secret (shown once).", schema: CreatedApiKeySchema },
    errors: ["invalid_api_key", "environment_mismatch", "validation_error", "payload_too_large", "rate_limited"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/api-keys/{id}",
    operationId: "getApiKey",
    summary: "Get one API key",
    tag: "API keys",
    auth: "api_key",
    params: apiKeyParamsSchema,
    success: { status: 200, description: "The key (never its secret).", schema: ApiKeySchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  revoke: defineOperation({
    method: "delete",
    path: "/api/v1/api-keys/{id}",
    operationId: "revokeApiKey",
    summary: "Revoke an API key (effective immediately)",
    tag: "API keys",
    auth: "api_key",
    params: apiKeyParamsSchema,
    success: { status: 200, description: "The revoked key.", schema: ApiKeySchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  rotate: defineOperation({
    method: "post",
    path: "/api/v1/api-keys/{id}/rotate",
    operationId: "rotateApiKey",
    summary: "Replace an API key with a new one, keeping the old one valid for an overlap",
    tag: "API keys",
    auth: "api_key",
    params: apiKeyParamsSchema,
    body: rotateApiKeyBodySchema,
    success: { status: 201, description: "The new key, with its secret (shown once).", schema: CreatedApiKeySchema },
    errors: ["invalid_api_key", "not_found", "conflict", "validation_error"],
  }),
};
