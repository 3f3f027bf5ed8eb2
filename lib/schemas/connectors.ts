import * as z from "zod";
import { defineOperation } from "@/lib/openapi/operation";
import { isoDate } from "@/lib/schemas/common";

export const ToolSchema = z.object({
  name: z.string(),
  description: z.string(),
  input_schema: z.record(z.string(), z.unknown()).describe("JSON Schema of the arguments."),
  annotations: z.object({
    title: z.string().optional(),
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  }),
  scopes: z.array(z.string()),
});

export const ConnectorSchema = z
  .object({
    slug: z.string(),
    object: z.literal("connector"),
    name: z.string(),
    description: z.string(),
    icon_svg: z.string(),
    categories: z.array(z.string()),
    docs_url: z.string(),
    auth: z.union([
      z.object({ kind: z.literal("oauth2"), pkce: z.boolean(), default_scopes: z.array(z.string()), authorize_url: z.string(), token_url: z.string(), revocation: z.boolean() }),
      z.object({ kind: z.enum(["api_key", "basic"]), form_schema: z.record(z.string(), z.unknown()), secret_fields: z.array(z.string()) }),
    ]),
    base_url: z.string(),
    enabled: z.boolean().describe("Enabled in the caller's environment."),
    tools: z.array(ToolSchema),
  })
  .meta({ id: "Connector" });
export type ConnectorOut = z.infer<typeof ConnectorSchema>;

export const ConnectorConfigSchema = z
  .object({
    connector: z.string(),
    object: z.literal("connector_config"),
    environment_id: z.string(),
    enabled: z.boolean(),
    oauth_client_id: z.string().nullable(),
    oauth_client_secret_set: z.boolean().describe("Whether a client secret is stored (it is never returned)."),
    scopes: z.array(z.string()).nullable().describe("Scopes requested at connect time; null = what the tools need."),
    base_url: z.string().nullable(),
    oauth_authorize_url: z.string().nullable(),
    oauth_token_url: z.string().nullable(),
    oauth_revoke_url: z.string().nullable(),
    updated_at: isoDate.nullable(),
  })
  .meta({ id: "ConnectorConfig" });

const url = z.url({ protocol: /^https?$/ }).max(2000);
export const updateConnectorConfigBodySchema = z.strictObject({
  enabled: z.boolean().optional(),
  oauth_client_id: z.string().min(1).max(500).nullable().optional(),
  oauth_client_secret: z.string().min(1).max(2000).nullable().optional().describe("Write-only; stored encrypted."),
  scopes: z.array(z.string().min(1).max(200)).max(100).nullable().optional(),
  base_url: url.nullable().optional().describe("API base URL for this environment (GitHub Enterprise, a sandbox)."),
  oauth_authorize_url: url.nullable().optional(),
  oauth_token_url: url.nullable().optional(),
  oauth_revoke_url: url.nullable().optional(),
});

export const connectorParamsSchema = z.object({ slug: z.string().min(1).max(64).regex(/^[a-z0-9_]+$/) });

const tag = "Connectors";
export const connectorOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/connectors",
    operationId: "listConnectors",
    summary: "The connector catalog, with each connector's auth kind and tools",
    tag,
    auth: "api_key",
    success: { status: 200, description: "Every built-in connector.", schema: z.object({ data: z.array(ConnectorSchema) }) },
    errors: ["invalid_api_key"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/connectors/{slug}",
    operationId: "getConnector",
    summary: "One connector",
    tag,
    auth: "api_key",
    params: connectorParamsSchema,
    success: { status: 200, description: "The connector.", schema: ConnectorSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  getConfig: defineOperation({
    method: "get",
    path: "/api/v1/connectors/{slug}/config",
    operationId: "getConnectorConfig",
    summary: "A connector's settings in the caller's environment",
    tag,
    auth: "api_key",
    params: connectorParamsSchema,
    success: { status: 200, description: "The settings (defaults when never set).", schema: ConnectorConfigSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  updateConfig: defineOperation({
    method: "patch",
    path: "/api/v1/connectors/{slug}/config",
    operationId: "updateConnectorConfig",
    summary: "Enable/disable a connector, set its OAuth app (BYO), scopes and base URL",
    tag,
    auth: "api_key",
    params: connectorParamsSchema,
    body: updateConnectorConfigBodySchema,
    success: { status: 200, description: "The updated settings.", schema: ConnectorConfigSchema },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
};
