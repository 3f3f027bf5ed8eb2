// POST /api/v1/mcp-servers/{id}/tools/{name}/approve – trust the tool's changed definition (audited)
import { withApiKey } from "@/lib/http/with-api-key";
import { approveServerTool, toServerToolOut } from "@/lib/mcp-servers/tools";
import { mcpServerToolOperations } from "@/lib/schemas/mcp-server-tools";

export const POST = withApiKey(mcpServerToolOperations.approve, async ({ ctx, params }) =>
  toServerToolOut(await approveServerTool(ctx.db, { environment: ctx.environment, serverId: params.id, name: params.name, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);
