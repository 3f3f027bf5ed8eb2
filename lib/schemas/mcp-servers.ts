import * as z from "zod";
import { mcpCredentialModes, mcpServerAuthModes } from "@/db/schema";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";
import { slugSchema } from "@/lib/schemas/tool-packs";

const urlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .describe("The server's MCP endpoint (Streamable HTTP). https only; private, loopback and link-local addresses are refused unless the operator allowlists the host.");
const optionalUrl = z.string().trim().min(1).max(2000);
const headerName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "an HTTP header name");

const authInput = {
  mode: z.enum(mcpServerAuthModes).describe("How Latchkey authenticates to the server; what discovery recommends when omitted."),
  header_name: headerName.describe('token mode: the header that carries the token; "Authorization" (the default) sends "Bearer <token>".'),
  token: z.string().min(1).max(8000).describe("token mode: the token. Write-only: stored encrypted, never returned."),
  client_id: z.string().min(1).max(500).describe("OAuth client id; omit it and Latchkey registers a client (RFC 7591) at register_url."),
  client_secret: z.string().min(1).max(2000).describe("OAuth client secret. Write-only: stored encrypted, never returned."),
  scopes: z.array(z.string().min(1).max(200)).max(100),
  auth_url: optionalUrl,
  token_url: optionalUrl,
  register_url: optionalUrl,
  resource: optionalUrl.describe("RFC 8707 resource sent with token requests, exactly as the server's protected resource metadata publishes it."),
  pkce: z.enum(["public", "confidential"]).describe("oauth_authorization_code: a public client (PKCE only) or a confidential one (PKCE and a client secret)."),
  credential_mode: z.enum(mcpCredentialModes).describe("oauth_authorization_code: per_user (each end user connects through Link; the default) or shared (one environment-wide connection)."),
  token_endpoint_auth_method: z.enum(["client_secret_basic", "client_secret_post", "none"]),
};
const partialAuth = z.strictObject(Object.fromEntries(Object.entries(authInput).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof authInput]: z.ZodOptional<(typeof authInput)[K]> });

const stdioConfigSchema = z
  .strictObject({
    command: z.enum(["npx", "node", "uvx", "python3"]).describe("Run without a shell."),
    args: z.array(z.string().max(2000)).max(100).default([]),
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/), z.union([z.string().max(4000), z.strictObject({ secret: z.string().min(1).max(200) })]))
      .optional()
      .describe("Variables for the process: literal values, or { secret: name } read from the environment's secrets when the process starts ({user} in the name → the registered user's id)."),
  })
  .describe("transport stdio only (needs LATCHKEY_ALLOW_STDIO=true): the command Latchkey runs, one process per user.");

const credentialMode = z.enum(mcpCredentialModes).describe("oauth_authorization_code: per_user (each end user connects through Link; the default) or shared (one environment-wide connection). Same as auth.credential_mode.");
const transportSchema = z.enum(["streamable-http", "stdio"]);

/** The MCP server config shape of seed 001: `config.endpoint`, with auth nested under `config.auth`. */
const createConfigSchema = z
  .strictObject({
    endpoint: urlSchema.optional().describe("The server's MCP endpoint; required for streamable-http."),
    transport: transportSchema.optional(),
    auth: partialAuth.optional(),
    stdio: stdioConfigSchema.optional(),
  })
  .describe("The server's config: endpoint, transport and auth. The flat fields (url, transport, auth, stdio) are accepted too, not both.");

/** With `config` given, a flat field beside it is an error naming the one to drop. */
function notBothShapes<K extends string>(issues: z.core.$ZodRawIssue[], v: Partial<Record<K, unknown>>, flat: readonly K[]) {
  for (const k of flat) {
    if (v[k] !== undefined) issues.push({ code: "custom", input: v[k], path: [k], message: `give config.${k === "url" ? "endpoint" : k} or ${k}, not both` });
  }
}

export const createMcpServerBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    slug: slugSchema.optional().describe("Unique in the environment; tools appear in packs as {slug}__{tool}. Derived from the name when omitted."),
    config: createConfigSchema.optional(),
    credential_mode: credentialMode.optional(),
    url: urlSchema.optional().describe("Flat form of config.endpoint."),
    transport: transportSchema.optional().describe("Flat form of config.transport (default streamable-http)."),
    stdio: stdioConfigSchema.optional(),
    auth: partialAuth.optional().describe("Flat form of config.auth."),
  })
  .check((ctx) => {
    const v = ctx.value;
    if (v.config) notBothShapes(ctx.issues, v, ["url", "transport", "stdio", "auth"]);
    const transport = v.config?.transport ?? v.transport ?? "streamable-http";
    const endpoint = v.config?.endpoint ?? v.url;
    const where = v.config ? ["config", "endpoint"] : ["url"];
    if (transport === "streamable-http" && !endpoint) ctx.issues.push({ code: "custom", input: endpoint, path: where, message: "required for streamable-http" });
    if (transport === "stdio" && !(v.config?.stdio ?? v.stdio)) ctx.issues.push({ code: "custom", input: undefined, path: v.config ? ["config", "stdio"] : ["stdio"], message: "required for stdio" });
    const mode = v.config?.auth?.credential_mode ?? v.auth?.credential_mode;
    if (v.credential_mode && mode && mode !== v.credential_mode) ctx.issues.push({ code: "custom", input: v.credential_mode, path: ["credential_mode"], message: "differs from auth.credential_mode" });
  })
  // One shape for the service, whichever form came in.
  .transform((v) => {
    const auth = { ...(v.config?.auth ?? v.auth ?? {}) };
    if (v.credential_mode) auth.credential_mode = v.credential_mode;
    return { name: v.name, slug: v.slug, url: v.config?.endpoint ?? v.url, transport: v.config?.transport ?? v.transport ?? "streamable-http", stdio: v.config?.stdio ?? v.stdio, auth };
  });

export const updateMcpServerBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    slug: slugSchema.optional(),
    config: z
      .strictObject({
        endpoint: urlSchema.optional(),
        transport: z.literal("streamable-http").optional(),
        auth: partialAuth.optional().describe("Fields given replace the stored ones; the rest are kept. Changing the mode clears fields the new mode does not use."),
      })
      .optional(),
    credential_mode: credentialMode.optional(),
    url: urlSchema.optional().describe("Flat form of config.endpoint."),
    transport: z.literal("streamable-http").optional(),
    auth: partialAuth.optional().describe("Flat form of config.auth. Fields given replace the stored ones; the rest are kept. Changing the mode clears fields the new mode does not use."),
    rediscover: z.boolean().default(false).describe("Run discovery again even if the URL did not change."),
  })
  .check((ctx) => {
    const v = ctx.value;
    if (v.config) notBothShapes(ctx.issues, v, ["url", "transport", "auth"]);
  })
  .transform((v) => {
    const given = v.config?.auth ?? v.auth;
    const auth = given || v.credential_mode ? { ...(given ?? {}), ...(v.credential_mode ? { credential_mode: v.credential_mode } : {}) } : undefined;
    return { name: v.name, slug: v.slug, url: v.config?.endpoint ?? v.url, auth, rediscover: v.rediscover };
  });

export const discoverMcpServerBodySchema = z
  .strictObject({ endpoint: urlSchema.optional(), url: urlSchema.optional().describe("Same as endpoint.") })
  .check((ctx) => {
    if (!ctx.value.endpoint && !ctx.value.url) ctx.issues.push({ code: "custom", input: undefined, path: ["endpoint"], message: "required" });
  })
  .transform((v) => ({ url: (v.endpoint ?? v.url)! }));

export const mcpServerParamsSchema = z.object({ id: idParam("srv") });

export const DiscoveryResultSchema = z
  .object({
    requires_auth: z.boolean(),
    recommended_auth_mode: z.enum(mcpServerAuthModes),
    auth_url: z.string().nullable(),
    token_url: z.string().nullable(),
    register_url: z.string().nullable(),
    resource: z.string().nullable(),
    scopes: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    authorization_servers: z.array(z.string()),
    issuer: z.string().nullable(),
    client_id_metadata_document_supported: z.boolean().optional().describe("The AS accepts a Client ID Metadata Document URL as client_id; Latchkey then uses its own (GET /oauth/client-metadata.json)."),
    resource_metadata_url: z.string().nullable(),
    mcp_json: z.record(z.string(), z.unknown()).nullable().describe("The server's /.well-known/mcp.json, when it has one."),
    tried: z.array(z.object({ url: z.string(), outcome: z.string() })).describe("Every URL discovery fetched, and what came back."),
    errors: z.array(z.string()).describe("What could not be found, in words."),
  })
  .meta({ id: "McpDiscoveryResult" });

const McpServerAuthOutSchema = z.object({
  mode: z.enum(mcpServerAuthModes),
  header_name: z.string().nullable(),
  has_token: z.boolean().describe("Whether a token is stored (it is never returned)."),
  client_id: z.string().nullable(),
  has_client_secret: z.boolean().describe("Whether a client secret is stored (it is never returned)."),
  client_registered: z.boolean().describe("Whether Latchkey registered the client itself (DCR)."),
  scopes: z.array(z.string()),
  auth_url: z.string().nullable(),
  token_url: z.string().nullable(),
  register_url: z.string().nullable(),
  resource: z.string().nullable(),
  pkce: z.enum(["public", "confidential"]).nullable(),
  credential_mode: z.enum(mcpCredentialModes).nullable().describe("oauth_authorization_code: whose tokens are used."),
  token_endpoint_auth_method: z.string().nullable(),
});

export const McpServerSchema = z
  .object({
    id: z.string(),
    object: z.literal("mcp_server"),
    environment_id: z.string(),
    name: z.string(),
    slug: z.string(),
    config: z
      .object({ endpoint: z.string(), transport: z.enum(["streamable-http", "stdio"]), auth: McpServerAuthOutSchema })
      .describe("The server's config as it was given (seed 001's shape); url, transport and auth below are the same values, flat."),
    credential_mode: z.enum(mcpCredentialModes).nullable().describe("oauth_authorization_code: whose tokens are used."),
    url: z.string(),
    transport: z.enum(["streamable-http", "stdio"]),
    auth: McpServerAuthOutSchema,
    discovery_result: DiscoveryResultSchema.nullable(),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "McpServer" });
export type McpServerOut = z.infer<typeof McpServerSchema>;

const DeletedMcpServerSchema = z.object({ id: z.string(), object: z.literal("mcp_server"), deleted: z.literal(true) });

const tag = "MCP servers";
const auth = ["invalid_api_key", "environment_mismatch", "rate_limited"] as const;
export const mcpServerOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/mcp-servers",
    operationId: "listMcpServers",
    summary: "List registered MCP servers, newest first",
    tag,
    auth: "api_key",
    query: paginationQuerySchema,
    success: { status: 200, description: "A page of servers (never their secrets).", schema: pageSchema(McpServerSchema) },
    errors: [...auth, "validation_error"],
  }),
  create: defineOperation({
    method: "post",
    path: "/api/v1/mcp-servers",
    operationId: "createMcpServer",
    summary: "Register an MCP server",
    description: "Runs discovery and fills the auth fields it finds that were not given; the response carries `discovery_result`.",
    tag,
    auth: "api_key",
    body: createMcpServerBodySchema,
    success: { status: 201, description: "The server.", schema: McpServerSchema },
    errors: [...auth, "validation_error", "conflict", "payload_too_large"],
  }),
  discover: defineOperation({
    method: "post",
    path: "/api/v1/mcp-servers/discover",
    operationId: "discoverMcpServer",
    summary: "Find out how an MCP server wants to be authenticated",
    description: "Sends an unauthenticated MCP request, follows the 401's resource_metadata (or the well-known fallbacks) to the authorization server's metadata, and reads /.well-known/mcp.json. Nothing is stored.",
    tag,
    auth: "api_key",
    body: discoverMcpServerBodySchema,
    success: { status: 200, description: "What discovery found, and what it tried.", schema: DiscoveryResultSchema },
    errors: [...auth, "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/mcp-servers/{id}",
    operationId: "getMcpServer",
    summary: "Get an MCP server",
    tag,
    auth: "api_key",
    params: mcpServerParamsSchema,
    success: { status: 200, description: "The server (never its secrets).", schema: McpServerSchema },
    errors: [...auth, "not_found"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/mcp-servers/{id}",
    operationId: "updateMcpServer",
    summary: "Change an MCP server's name, slug, URL or auth",
    description: "A new URL (or `rediscover: true`) runs discovery again and fills auth fields that are still missing.",
    tag,
    auth: "api_key",
    params: mcpServerParamsSchema,
    body: updateMcpServerBodySchema,
    success: { status: 200, description: "The server.", schema: McpServerSchema },
    errors: [...auth, "not_found", "validation_error", "conflict"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/mcp-servers/{id}",
    operationId: "deleteMcpServer",
    summary: "Delete an MCP server and its stored secrets",
    tag,
    auth: "api_key",
    params: mcpServerParamsSchema,
    success: { status: 200, description: "Deleted.", schema: DeletedMcpServerSchema },
    errors: [...auth, "not_found"],
  }),
};
