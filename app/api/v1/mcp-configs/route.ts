// POST /api/v1/mcp-configs – Scalekit-compatible: an MCP config is a tool pack
import { withApiKey } from "@/lib/http/with-api-key";
import { toolPackOperations } from "@/lib/schemas/tool-packs";
import { createToolPack, toToolPackOut } from "@/lib/tool-packs/service";

export const POST = withApiKey(toolPackOperations.createMcpConfig, async ({ ctx, body }) =>
  toToolPackOut(
    await createToolPack(ctx.db, {
      environment: ctx.environment,
      name: body.name,
      description: body.description,
      entries: body.connection_tool_mappings.map((m) => ({ connector: m.connection_name, tools: m.tools })),
      actor: ctx.actor,
      requestId: ctx.requestId,
      ip: ctx.ip,
    }),
  ),
);
