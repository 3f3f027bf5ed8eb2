import * as z from "zod";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";
import { linkRedirectUrlSchema } from "@/lib/schemas/link";

export const ensureInstanceBodySchema = z
  .strictObject({
    tool_pack_id: idParam("tp").optional(),
    config_name: z.string().min(1).max(100).optional().describe("Tool pack slug or name (Scalekit's MCP config name)."),
    user_identifier: z.string().trim().min(1).max(255).describe("Your user id (origin_user_id); the registered user is created when missing."),
  })
  .refine((b) => Boolean(b.tool_pack_id) !== Boolean(b.config_name), { message: "give exactly one of tool_pack_id and config_name", path: ["tool_pack_id"] });

export const instanceParamsSchema = z.object({ id: idParam("mcpi") });
export const authStateQuerySchema = z.object({ include_auth_links: z.enum(["true", "false"]).default("false").transform((v) => v === "true") });

export const McpInstanceSchema = z
  .object({
    id: z.string(),
    object: z.literal("mcp_instance"),
    environment_id: z.string(),
    tool_pack_id: z.string(),
    registered_user_id: z.string(),
    url: z.string().nullable().describe("The pre-authenticated MCP URL: a secret, treat it like a password. Null once revoked."),
    status: z.enum(["active", "revoked"]),
    created_at: isoDate,
    rotated_at: isoDate.nullable(),
    revoked_at: isoDate.nullable(),
  })
  .meta({ id: "McpInstance" });

export const AuthStateSchema = z
  .object({
    instance_id: z.string(),
    connections: z.array(
      z.object({
        connection_name: z.string().describe("Connector slug."),
        connected_account_status: z.enum(["active", "reauth_required", "revoked", "not_connected"]),
        connection_id: z.string().nullable(),
        authentication_link: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "McpInstanceAuthState" });

export const createLinkTokenBodySchema = z.strictObject({
  registered_user_id: idParam("ru"),
  connectors: z.array(z.string().min(1).max(64)).min(1).max(50).optional(),
  redirect_url: linkRedirectUrlSchema.optional(),
});
export const LinkTokenSchema = z.object({ link_token: z.string(), url: z.string(), expires_at: isoDate }).meta({ id: "LinkToken" });

const tag = "MCP instances";
export const mcpInstanceOperations = {
  ensure: defineOperation({
    method: "post",
    path: "/api/v1/mcp-instances/ensure",
    operationId: "ensureMcpInstance",
    summary: "Get (or create) the MCP URL of a tool pack for one user",
    description: "Idempotent: the same instance, with the same URL, every time until it is rotated or revoked.",
    tag,
    auth: "api_key",
    body: ensureInstanceBodySchema,
    success: { status: 200, description: "The instance with its URL.", schema: McpInstanceSchema },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/mcp-instances/{id}",
    operationId: "getMcpInstance",
    summary: "Get an MCP instance",
    tag,
    auth: "api_key",
    params: instanceParamsSchema,
    success: { status: 200, description: "The instance.", schema: McpInstanceSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  authState: defineOperation({
    method: "get",
    path: "/api/v1/mcp-instances/{id}/auth-state",
    operationId: "getMcpInstanceAuthState",
    summary: "Each connection the instance's tool pack needs, with its status and (optionally) a link to connect it",
    tag,
    auth: "api_key",
    params: instanceParamsSchema,
    query: authStateQuerySchema,
    success: { status: 200, description: "The auth state.", schema: AuthStateSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  rotate: defineOperation({
    method: "post",
    path: "/api/v1/mcp-instances/{id}/rotate",
    operationId: "rotateMcpInstance",
    summary: "Give the instance a new URL; the old one stops working at once",
    tag,
    auth: "api_key",
    params: instanceParamsSchema,
    success: { status: 200, description: "The instance with its new URL.", schema: McpInstanceSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  revoke: defineOperation({
    method: "delete",
    path: "/api/v1/mcp-instances/{id}",
    operationId: "revokeMcpInstance",
    summary: "Revoke the instance's URL",
    tag,
    auth: "api_key",
    params: instanceParamsSchema,
    success: { status: 200, description: "The revoked instance.", schema: McpInstanceSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  createLinkToken: defineOperation({
    method: "post",
    path: "/api/v1/link-tokens",
    operationId: "createLinkToken",
    summary: "A 30-minute, single-use token for Link, for one registered user",
    tag: "Link",
    auth: "api_key",
    body: createLinkTokenBodySchema,
    success: { status: 201, description: "The link token (shown once) and the hosted Link URL.", schema: LinkTokenSchema },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
};
