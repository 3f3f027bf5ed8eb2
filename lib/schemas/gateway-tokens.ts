import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

const tokenStatus = z.enum(["active", "expired", "revoked"]);
const includeRevoked = z
  .enum(["true", "false"])
  .default("false")
  .transform((v) => v === "true");

// ---------------------------------------------------------------- service tokens

export const gatewayTokenNameSchema = z.string().trim().min(1, "Name is required").max(100, "At most 100 characters");

export const createGatewayTokenBodySchema = z.strictObject({
  name: gatewayTokenNameSchema.describe("What the token is for, e.g. the agent that uses it."),
  expires_at: isoDate.optional().describe("Optional expiry; the token stops working at this time."),
});
export const listGatewayTokensQuerySchema = paginationQuerySchema.extend({ include_revoked: includeRevoked });
export const gatewayTokenParamsSchema = z.object({ id: idParam("gwt") });

export const GatewayTokenSchema = z
  .object({
    id: z.string(),
    object: z.literal("gateway_token"),
    environment_id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The token's first characters, to recognise it. Not secret."),
    status: tokenStatus,
    created_at: isoDate,
    last_used_at: isoDate.nullable(),
    expires_at: isoDate.nullable(),
    revoked_at: isoDate.nullable(),
  })
  .meta({ id: "GatewayToken" });
export type GatewayTokenOut = z.infer<typeof GatewayTokenSchema>;

export const CreatedGatewayTokenSchema = GatewayTokenSchema.extend({
  token: z.string().describe("The service token (lk_svc_…). Shown only in this response: store it now."),
}).meta({ id: "CreatedGatewayToken" });

// ---------------------------------------------------------------- personal tokens of registered users

export const createUserTokenBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional().describe("What the token is for."),
  expires_in: z
    .number()
    .int()
    .min(60)
    .max(366 * 24 * 3600)
    .optional()
    .describe("Lifetime in seconds (60 s to 366 days); without it the token lasts until revoked."),
});
export const listUserTokensQuerySchema = paginationQuerySchema.extend({ include_revoked: includeRevoked });
export const userTokensParamsSchema = z.object({ id: idParam("ru") });
export const userTokenParamsSchema = z.object({ id: idParam("ru"), token_id: idParam("ut") });

export const UserTokenSchema = z
  .object({
    id: z.string(),
    object: z.literal("registered_user_token"),
    environment_id: z.string(),
    registered_user_id: z.string(),
    name: z.string().nullable(),
    prefix: z.string().describe("The token's first characters, to recognise it. Not secret."),
    status: tokenStatus,
    created_at: isoDate,
    last_used_at: isoDate.nullable(),
    expires_at: isoDate.nullable(),
    revoked_at: isoDate.nullable(),
  })
  .meta({ id: "RegisteredUserToken" });
export type UserTokenOut = z.infer<typeof UserTokenSchema>;

export const CreatedUserTokenSchema = UserTokenSchema.extend({
  token: z.string().describe("The personal token (lk_pat_…). Shown only in this response: store it now."),
}).meta({ id: "CreatedRegisteredUserToken" });

// ---------------------------------------------------------------- dashboard forms

export const createGatewayTokenFormSchema = z.object({ name: gatewayTokenNameSchema });
export const revokeGatewayTokenFormSchema = z.object({ id: idParam("gwt") });

const svcTag = "Gateway tokens";
const userTag = "Registered users";
export const gatewayTokenOperations = {
  create: defineOperation({
    method: "post",
    path: "/api/v1/gateway-tokens",
    operationId: "createGatewayToken",
    summary: "Create a service token for /mcp/{tool_pack_slug}",
    description: "A service token serves any tool pack of the environment on its shared connections only (no end user). The token is in this response only.",
    tag: svcTag,
    auth: "api_key",
    body: createGatewayTokenBodySchema,
    success: { status: 201, description: "The new token, with its secret (shown once).", schema: CreatedGatewayTokenSchema },
    errors: ["invalid_api_key", "environment_mismatch", "validation_error", "rate_limited"],
  }),
  list: defineOperation({
    method: "get",
    path: "/api/v1/gateway-tokens",
    operationId: "listGatewayTokens",
    summary: "List the service tokens of the key's environment",
    tag: svcTag,
    auth: "api_key",
    query: listGatewayTokensQuerySchema,
    success: { status: 200, description: "A page of service tokens, newest first.", schema: pageSchema(GatewayTokenSchema) },
    errors: ["invalid_api_key", "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/gateway-tokens/{id}",
    operationId: "getGatewayToken",
    summary: "Get one service token (never its secret)",
    tag: svcTag,
    auth: "api_key",
    params: gatewayTokenParamsSchema,
    success: { status: 200, description: "The token.", schema: GatewayTokenSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  revoke: defineOperation({
    method: "delete",
    path: "/api/v1/gateway-tokens/{id}",
    operationId: "revokeGatewayToken",
    summary: "Revoke a service token (effective immediately; idempotent)",
    tag: svcTag,
    auth: "api_key",
    params: gatewayTokenParamsSchema,
    success: { status: 200, description: "The revoked token.", schema: GatewayTokenSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  createForUser: defineOperation({
    method: "post",
    path: "/api/v1/registered-users/{id}/tokens",
    operationId: "createRegisteredUserToken",
    summary: "Create a personal token for a registered user, for /mcp/{tool_pack_slug}",
    description: "The token serves that user's own connections (then their group's, then the environment's). The token is in this response only.",
    tag: userTag,
    auth: "api_key",
    params: userTokensParamsSchema,
    body: createUserTokenBodySchema,
    success: { status: 201, description: "The new token, with its secret (shown once).", schema: CreatedUserTokenSchema },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
  listForUser: defineOperation({
    method: "get",
    path: "/api/v1/registered-users/{id}/tokens",
    operationId: "listRegisteredUserTokens",
    summary: "List a registered user's personal tokens",
    tag: userTag,
    auth: "api_key",
    params: userTokensParamsSchema,
    query: listUserTokensQuerySchema,
    success: { status: 200, description: "A page of tokens, newest first.", schema: pageSchema(UserTokenSchema) },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
  revokeForUser: defineOperation({
    method: "delete",
    path: "/api/v1/registered-users/{id}/tokens/{token_id}",
    operationId: "revokeRegisteredUserToken",
    summary: "Revoke a personal token (effective immediately; idempotent)",
    tag: userTag,
    auth: "api_key",
    params: userTokenParamsSchema,
    success: { status: 200, description: "The revoked token.", schema: UserTokenSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
};
