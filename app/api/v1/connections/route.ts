// GET /api/v1/connections – all connections of the environment (masked), filterable
import { withApiKey } from "@/lib/http/with-api-key";
import { listConnections, toConnectionOut, type Owner } from "@/lib/connections/service";
import { connectionOperations } from "@/lib/schemas/connections";

export const GET = withApiKey(connectionOperations.list, async ({ ctx, query }) => {
  const owner: Owner | undefined = query.registered_user_id
    ? { type: "registered_user", id: query.registered_user_id }
    : query.shared_credential_group
      ? { type: "group", id: query.shared_credential_group }
      : undefined;
  const r = await listConnections(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor, owner, connector: query.connector, status: query.status });
  return { data: r.data.map((c) => toConnectionOut(ctx.rt, ctx.environment, c)), has_more: r.hasMore, next_cursor: r.nextCursor };
});
