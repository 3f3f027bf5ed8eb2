import * as z from "zod";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

export const mcpServerToolsParamsSchema = z.object({ id: idParam("srv") });
export const mcpServerToolParamsSchema = z.object({ id: idParam("srv"), name: z.string().min(1).max(200) });

const DefinitionSchema = z
  .object({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    outputSchema: z.record(z.string(), z.unknown()).optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: "McpToolDefinition" });

export const McpServerToolSchema = z
  .object({
    object: z.literal("mcp_server_tool"),
    server_id: z.string(),
    name: z.string(),
    status: z.enum(["approved", "pending"]).describe("pending: the upstream changed the definition; the tool is hidden and its calls fail with tool_definition_changed until approved."),
    hash: z.string().describe("SHA-256 of the approved definition's canonical JSON (name, description, inputSchema, annotations)."),
    definition: DefinitionSchema,
    pending_hash: z.string().nullable(),
    pending_definition: DefinitionSchema.nullable(),
    first_seen: isoDate,
    changed_at: isoDate.nullable(),
    approved_at: isoDate.nullable(),
  })
  .meta({ id: "McpServerTool" });

const tag = "MCP servers";
const auth = ["invalid_api_key", "environment_mismatch", "rate_limited"] as const;
export const mcpServerToolOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/mcp-servers/{id}/tools",
    operationId: "listMcpServerTools",
    summary: "List the tools Latchkey has seen on an MCP server, with their approval state",
    description: "The first definition of each tool is trusted when first listed; a later change is held as `pending` until approved.",
    tag,
    auth: "api_key",
    params: mcpServerToolsParamsSchema,
    success: { status: 200, description: "The server's tools, by name.", schema: z.object({ data: z.array(McpServerToolSchema) }) },
    errors: [...auth, "not_found"],
  }),
  approve: defineOperation({
    method: "post",
    path: "/api/v1/mcp-servers/{id}/tools/{name}/approve",
    operationId: "approveMcpServerTool",
    summary: "Approve a tool's changed definition",
    description: "The definition the upstream shows now becomes the trusted one; the tool is listed and callable again. Audited.",
    tag,
    auth: "api_key",
    params: mcpServerToolParamsSchema,
    success: { status: 200, description: "The tool, approved.", schema: McpServerToolSchema },
    errors: [...auth, "not_found", "conflict"],
  }),
};
