// GET /api/v1/tool-calls – the tool-call log of the caller's environment
import { withApiKey } from "@/lib/http/with-api-key";
import { decodeCursor, page } from "@/lib/http/pagination";
import { toolCallOperations } from "@/lib/schemas/tool-calls";
import { listToolCalls } from "@/lib/tool-calls/log";
import { toToolCallOut } from "@/lib/tool-calls/present";

export const GET = withApiKey(toolCallOperations.list, async ({ ctx, query }) => {
  const rows = await listToolCalls(ctx.db, {
    environmentId: ctx.environment.id,
    limit: query.limit,
    beforeId: decodeCursor(query.cursor),
    registeredUserId: query.registered_user_id,
    toolPackId: query.tool_pack_id,
    tool: query.tool,
    status: query.status,
  });
  const p = page(rows, query.limit);
  return { data: p.data.map(toToolCallOut), has_more: p.hasMore, next_cursor: p.nextCursor };
});
