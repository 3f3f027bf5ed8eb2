import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

export const slugSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes");

export const toolPackEntrySchema = z.union([
  z.strictObject({
    connector: z.string().min(1).max(64).describe("Connector slug, e.g. github."),
    tools: z.union([z.literal("*"), z.array(z.string().min(1).max(128)).min(1).max(500)]).describe('Tool names, or "*" for all of the connector\'s tools.'),
  }),
  z.strictObject({
    server: z.string().min(1).max(64).describe("Slug of a registered MCP server; its tools appear as {server}__{tool}."),
    tools: z.union([z.literal("*"), z.array(z.string().min(1).max(128)).min(1).max(500)]).describe('The upstream\'s tool names (without the prefix), or "*" for all it lists.'),
    namespace: z
      .boolean()
      .optional()
      .describe("false: the tools keep the upstream's own names (no {server}__ prefix). At most one such entry per pack; a name a connector tool already uses stays hidden."),
  }),
]);

/** Kinds a restored placeholder may carry: never secrets (a tool result could make the model post them anywhere). */
const NEVER_REVERSIBLE = new Set(["SECRET", "PRIVATE_KEY", "JWT"]);

export const toolPackSecuritySchema = z.strictObject({
  reversible_redaction: z
    .boolean()
    .default(false)
    .describe("Placeholders of reversible kinds stay stable per user and value, and are swapped back to the real value when the agent passes them as a tool argument."),
  retention_hours: z.number().int().min(1).max(2160).default(24).describe("How long a reversible placeholder stays restorable after its value was last seen."),
  reversible_kinds: z
    .array(z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/))
    .max(20)
    .default(["EMAIL", "PHONE"])
    .refine((ks) => ks.every((k) => !NEVER_REVERSIBLE.has(k)), "secrets (SECRET, PRIVATE_KEY, JWT) are never reversible")
    .describe("Placeholder kinds that are restored (EMAIL and PHONE by default)."),
  overrides: z
    .array(
      z.strictObject({
        rule_id: z.string().min(1).max(64).describe("builtin.<detector> or a custom rule's secr_ id."),
        enabled: z.boolean().optional().describe("Switch the rule on or off for this pack."),
        action: z.enum(["log", "redact", "block"]).optional().describe("The rule's action in this pack."),
        allow_unredacted_for_tools: z.array(z.string().min(1).max(200)).max(500).optional().describe("Tools whose data this rule lets through (the hit is still recorded)."),
      }),
    )
    .max(500)
    .default([]),
});

export const createToolPackBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  slug: slugSchema.optional().describe("URL-safe name, unique in the environment; derived from the name when omitted."),
  description: z.string().max(1000).optional(),
  entries: z.array(toolPackEntrySchema).max(100).default([]),
  security: toolPackSecuritySchema.optional().describe("Security gateway settings: overrides of the environment's rules, reversible redaction."),
});

export const updateToolPackBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  slug: slugSchema.optional(),
  description: z.string().max(1000).nullable().optional(),
  entries: z.array(toolPackEntrySchema).max(100).optional(),
  security: toolPackSecuritySchema.nullable().optional().describe("Replaces the pack's security settings; null restores the defaults."),
});

export const toolPackParamsSchema = z.object({ id: idParam("tp") });

export const ToolPackSchema = z
  .object({
    id: z.string(),
    object: z.literal("tool_pack"),
    environment_id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    entries: z.array(z.union([z.object({ connector: z.string(), tools: z.union([z.literal("*"), z.array(z.string())]) }), z.object({ server: z.string(), tools: z.union([z.literal("*"), z.array(z.string())]), namespace: z.boolean().optional() })])),
    tools: z.array(z.string()).describe("Every tool the pack exposes, resolved."),
    required_scopes: z.record(z.string(), z.array(z.string())).describe("Per connector, the scopes the selected tools need."),
    security: z.object({
      reversible_redaction: z.boolean(),
      retention_hours: z.number(),
      reversible_kinds: z.array(z.string()),
      overrides: z.array(
        z.object({ rule_id: z.string(), enabled: z.boolean().optional(), action: z.enum(["log", "redact", "block"]).optional(), allow_unredacted_for_tools: z.array(z.string()).optional() }),
      ),
    }),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "ToolPack" });
export type ToolPackOut = z.infer<typeof ToolPackSchema>;

/** Scalekit-compatible alias: an "MCP config" is a tool pack. */
export const createMcpConfigBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).optional(),
  connection_tool_mappings: z
    .array(z.strictObject({ connection_name: z.string().min(1).max(64).describe("Connector slug."), tools: z.array(z.string().min(1).max(128)).min(1).max(500) }))
    .max(100),
});

const tag = "Tool packs";
export const toolPackOperations = {
  create: defineOperation({
    method: "post",
    path: "/api/v1/tool-packs",
    operationId: "createToolPack",
    summary: "Create a tool pack: the tools an agent may call",
    tag,
    auth: "api_key",
    body: createToolPackBodySchema,
    success: { status: 201, description: "The tool pack.", schema: ToolPackSchema },
    errors: ["invalid_api_key", "validation_error", "conflict"],
  }),
  list: defineOperation({
    method: "get",
    path: "/api/v1/tool-packs",
    operationId: "listToolPacks",
    summary: "List tool packs",
    tag,
    auth: "api_key",
    query: paginationQuerySchema,
    success: { status: 200, description: "A page of tool packs.", schema: pageSchema(ToolPackSchema) },
    errors: ["invalid_api_key"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/tool-packs/{id}",
    operationId: "getToolPack",
    summary: "Get a tool pack",
    tag,
    auth: "api_key",
    params: toolPackParamsSchema,
    success: { status: 200, description: "The tool pack.", schema: ToolPackSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/tool-packs/{id}",
    operationId: "updateToolPack",
    summary: "Change a tool pack (takes effect on the next MCP request)",
    tag,
    auth: "api_key",
    params: toolPackParamsSchema,
    body: updateToolPackBodySchema,
    success: { status: 200, description: "The tool pack.", schema: ToolPackSchema },
    errors: ["invalid_api_key", "not_found", "validation_error", "conflict"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/tool-packs/{id}",
    operationId: "deleteToolPack",
    summary: "Delete a tool pack and revoke its MCP instances",
    tag,
    auth: "api_key",
    params: toolPackParamsSchema,
    success: { status: 200, description: "Deleted.", schema: z.object({ id: z.string(), object: z.literal("tool_pack"), deleted: z.literal(true) }) },
    errors: ["invalid_api_key", "not_found"],
  }),
  createMcpConfig: defineOperation({
    method: "post",
    path: "/api/v1/mcp-configs",
    operationId: "createMcpConfig",
    summary: "Create an MCP config (Scalekit-compatible name for a tool pack)",
    tag,
    auth: "api_key",
    body: createMcpConfigBodySchema,
    success: { status: 201, description: "The tool pack.", schema: ToolPackSchema },
    errors: ["invalid_api_key", "validation_error", "conflict"],
  }),
};
