// GET    /api/v1/tool-packs/{id}
// PATCH  /api/v1/tool-packs/{id} – takes effect on the next MCP request
// DELETE /api/v1/tool-packs/{id} – also removes its MCP instances
import { withApiKey } from "@/lib/http/with-api-key";
import { toolPackOperations } from "@/lib/schemas/tool-packs";
import { deleteToolPack, getToolPack, toToolPackOut, updateToolPack } from "@/lib/tool-packs/service";

export const GET = withApiKey(toolPackOperations.get, async ({ ctx, params }) => toToolPackOut(await getToolPack(ctx.db, ctx.environment.id, params.id)));

export const PATCH = withApiKey(toolPackOperations.update, async ({ ctx, params, body }) =>
  toToolPackOut(await updateToolPack(ctx.db, { environment: ctx.environment, id: params.id, patch: body, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);

export const DELETE = withApiKey(toolPackOperations.delete, async ({ ctx, params }) => {
  await deleteToolPack(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "tool_pack", deleted: true };
});
