import * as z from "zod";
import { connectionStatuses } from "@/db/schema";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";
import { registeredUserParamsSchema } from "@/lib/schemas/registered-users";

export const ConnectionSchema = z
  .object({
    id: z.string(),
    object: z.literal("connection"),
    environment_id: z.string(),
    connector: z.string(),
    auth_kind: z.enum(["oauth2", "api_key", "basic"]),
    owner_type: z.enum(["registered_user", "group", "environment"]),
    registered_user_id: z.string().nullable(),
    shared_credential_group: z.string().nullable(),
    status: z.enum(connectionStatuses),
    account_label: z.string().nullable().describe("The provider account's login or email."),
    granted_scopes: z.array(z.string()),
    expires_at: isoDate.nullable(),
    last_used_at: isoDate.nullable(),
    last_refreshed_at: isoDate.nullable(),
    fields: z.record(z.string(), z.string()).nullable().describe("Api-key/basic connectors: the form values, secret fields masked to their last 4 characters."),
    sandbox: z.boolean().describe("A sandbox connection: calls go to Latchkey's simulated provider (test environments only)."),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "Connection" });
export type ConnectionOut = z.infer<typeof ConnectionSchema>;

export const createConnectionBodySchema = z.strictObject({
  connector: z.string().min(1).max(64).describe("Slug of an api_key or basic connector, e.g. stripe."),
  credentials: z.record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean()])).describe("The connector's form, see GET /api/v1/connectors/{slug}."),
});

export const listConnectionsQuerySchema = paginationQuerySchema.extend({
  registered_user_id: idParam("ru").optional(),
  shared_credential_group: z.string().max(100).optional(),
  connector: z.string().max(64).optional(),
  status: z.enum(connectionStatuses).optional(),
});

export const connectionParamsSchema = z.object({ id: idParam("conn") });
export const groupParamsSchema = z.object({ group: z.string().min(1).max(100).regex(/^[A-Za-z0-9._:@-]+$/) });

export const ProjectionSchema = z
  .object({
    connection_id: z.string(),
    connector: z.string(),
    base_url: z.string(),
    headers: z.record(z.string(), z.string()).describe("Send these with one call to the provider. Short-lived: do not store."),
    expires_at: isoDate.nullable(),
  })
  .meta({ id: "ConnectionProjection" });

const tag = "Connections";
export const connectionOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/connections",
    operationId: "listConnections",
    summary: "List connections (masked), newest first",
    tag,
    auth: "api_key",
    query: listConnectionsQuerySchema,
    success: { status: 200, description: "A page of connections.", schema: pageSchema(ConnectionSchema) },
    errors: ["invalid_api_key", "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/connections/{id}",
    operationId: "getConnection",
    summary: "Get a connection (masked: never a secret)",
    tag,
    auth: "api_key",
    params: connectionParamsSchema,
    success: { status: 200, description: "The connection.", schema: ConnectionSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/connections/{id}",
    operationId: "deleteConnection",
    summary: "Revoke a connection at the provider (where it offers revocation) and delete it",
    tag,
    auth: "api_key",
    params: connectionParamsSchema,
    success: { status: 200, description: "Deleted.", schema: z.object({ id: z.string(), object: z.literal("connection"), deleted: z.literal(true), revoked_at_provider: z.boolean() }) },
    errors: ["invalid_api_key", "not_found"],
  }),
  listForUser: defineOperation({
    method: "get",
    path: "/api/v1/registered-users/{id}/connections",
    operationId: "listRegisteredUserConnections",
    summary: "List a registered user's own connections",
    tag,
    auth: "api_key",
    params: registeredUserParamsSchema,
    query: paginationQuerySchema,
    success: { status: 200, description: "A page of connections.", schema: pageSchema(ConnectionSchema) },
    errors: ["invalid_api_key", "not_found"],
  }),
  createForUser: defineOperation({
    method: "post",
    path: "/api/v1/registered-users/{id}/connections",
    operationId: "createRegisteredUserConnection",
    summary: "Connect an api-key or basic connector for a registered user",
    description: "The credentials are validated by the connector's form schema and checked with the provider; posting again replaces them (same connection id).",
    tag,
    auth: "api_key",
    params: registeredUserParamsSchema,
    body: createConnectionBodySchema,
    success: { status: 201, description: "The connection (200 when it replaced an existing one).", schema: ConnectionSchema },
    errors: ["invalid_api_key", "not_found", "validation_error", "forbidden"],
  }),
  createForGroup: defineOperation({
    method: "post",
    path: "/api/v1/shared-credential-groups/{group}/connections",
    operationId: "createGroupConnection",
    summary: "Connect an api-key or basic connector for a shared credential group",
    description: "Serves every member of the group who has no connection of their own for that connector.",
    tag,
    auth: "api_key",
    params: groupParamsSchema,
    body: createConnectionBodySchema,
    success: { status: 201, description: "The connection.", schema: ConnectionSchema },
    errors: ["invalid_api_key", "validation_error", "forbidden"],
  }),
  createForEnvironment: defineOperation({
    method: "post",
    path: "/api/v1/environment/connections",
    operationId: "createEnvironmentConnection",
    summary: "Connect an api-key or basic connector for the whole environment (a shared connection)",
    description: "The last fallback of every registered user, and the only connection a service token on /mcp/{tool_pack_slug} uses. Posting again replaces the credentials (same connection id).",
    tag,
    auth: "api_key",
    body: createConnectionBodySchema,
    success: { status: 201, description: "The connection (200 when it replaced an existing one).", schema: ConnectionSchema },
    errors: ["invalid_api_key", "validation_error", "forbidden"],
  }),
  project: defineOperation({
    method: "post",
    path: "/api/v1/connections/{id}/project",
    operationId: "projectConnection",
    summary: "Get ephemeral headers to make one call to the provider with this connection",
    description: "Refreshes the access token first when it is due. Refresh tokens are never returned.",
    tag,
    auth: "api_key",
    params: connectionParamsSchema,
    success: { status: 200, description: "Headers for one call.", schema: ProjectionSchema },
    errors: ["invalid_api_key", "not_found", "conflict"],
  }),
};
