// POST /api/v1/tool-packs – create a tool pack
// GET  /api/v1/tool-packs – list
import { withApiKey } from "@/lib/http/with-api-key";
import { toolPackOperations } from "@/lib/schemas/tool-packs";
import { createToolPack, listToolPacks, toToolPackOut } from "@/lib/tool-packs/service";

export const POST = withApiKey(toolPackOperations.create, async ({ ctx, body }) =>
  toToolPackOut(await createToolPack(ctx.db, { environment: ctx.environment, ...body, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);

export const GET = withApiKey(toolPackOperations.list, async ({ ctx, query }) => {
  const r = await listToolPacks(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor });
  return { data: r.data.map(toToolPackOut), has_more: r.hasMore, next_cursor: r.nextCursor };
});
