import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";
import { exportQuerySchema } from "@/lib/schemas/audit";

export const ToolCallSchema = z
  .object({
    id: z.string(),
    object: z.literal("tool_call"),
    principal: z.string().describe("`api_key:key_…` or `system:mcpi_…` (instance URL)."),
    tool_pack_id: z.string().nullable(),
    registered_user_id: z.string().nullable(),
    tool: z.string(),
    connector: z.string().nullable(),
    connection_id: z.string().nullable(),
    status: z.enum(["ok", "error", "unauthorized"]),
    error_code: z.string().nullable(),
    latency_ms: z.number().int(),
    created_at: isoDate,
  })
  .meta({ id: "ToolCall" });

export const listToolCallsQuerySchema = paginationQuerySchema.extend({
  registered_user_id: idParam("ru").optional(),
  tool_pack_id: idParam("tp").optional(),
  tool: z.string().max(200).optional(),
  status: z.enum(["ok", "error", "unauthorized"]).optional(),
});

export const executeToolParamsSchema = z.object({ id: idParam("tp"), ru: idParam("ru"), name: z.string().min(1).max(200) });
export const executeToolBodySchema = z.strictObject({ arguments: z.record(z.string(), z.unknown()).default({}) });
export const ToolResultSchema = z
  .object({
    object: z.literal("tool_result"),
    tool: z.string(),
    is_error: z.boolean(),
    result: z.record(z.string(), z.unknown()).describe("The structured result; on errors `{ code, message, … }` (with link_token/link_url when the user must connect)."),
    text: z.string(),
  })
  .meta({ id: "ToolResult" });

export const toolCallOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/tool-calls",
    operationId: "listToolCalls",
    summary: "The tool-call log, newest first",
    tag: "Tool calls",
    auth: "api_key",
    query: listToolCallsQuerySchema,
    success: { status: 200, description: "A page of tool calls.", schema: pageSchema(ToolCallSchema) },
    errors: ["invalid_api_key", "validation_error"],
  }),
  export: defineOperation({
    method: "get",
    path: "/api/v1/tool-calls/export",
    operationId: "exportToolCalls",
    summary: "Download the tool-call log (CSV or JSON, oldest first, streamed)",
    tag: "Tool calls",
    auth: "api_key",
    query: exportQuerySchema,
    success: { status: 200, description: "The rows, as `text/csv` or an `application/json` array, sent as an attachment." },
    errors: ["invalid_api_key", "environment_mismatch", "validation_error"],
  }),
  execute: defineOperation({
    method: "post",
    path: "/api/v1/tool-packs/{id}/registered-users/{ru}/tools/{name}/execute",
    operationId: "executeTool",
    summary: "Call one tool of a pack for a user, without MCP (REST alternative for non-MCP backends)",
    tag: "Tool calls",
    auth: "api_key",
    params: executeToolParamsSchema,
    body: executeToolBodySchema,
    success: { status: 200, description: "The tool's result (also 200 when the tool reports an error).", schema: ToolResultSchema },
    errors: ["invalid_api_key", "not_found", "unauthorized_tool", "validation_error"],
  }),
};
