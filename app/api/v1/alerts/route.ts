// GET /api/v1/alerts – security alerts of the caller's environment
import { listAlerts } from "@/lib/alerts/service";
import { alertEventData } from "@/lib/alerts/present";
import { decodeCursor, page } from "@/lib/http/pagination";
import { withApiKey } from "@/lib/http/with-api-key";
import { alertOperations } from "@/lib/schemas/alerts";

export const GET = withApiKey(alertOperations.list, async ({ ctx, query }) => {
  const rows = await listAlerts(ctx.db, {
    environmentId: ctx.environment.id,
    limit: query.limit,
    beforeId: decodeCursor(query.cursor),
    kind: query.kind,
    status: query.status,
    toolPackId: query.tool_pack_id,
    registeredUserId: query.registered_user_id,
    since: query.since ? new Date(query.since) : undefined,
  });
  const p = page(rows, query.limit);
  return { data: p.data.map(alertEventData), has_more: p.hasMore, next_cursor: p.nextCursor };
});
