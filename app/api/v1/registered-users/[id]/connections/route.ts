// GET  /api/v1/registered-users/{id}/connections – the user's own connections (masked)
// POST /api/v1/registered-users/{id}/connections – connect an api-key/basic connector
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { createFormConnection, listConnections, toConnectionOut } from "@/lib/connections/service";
import { getRegisteredUser } from "@/lib/registered-users/service";
import { connectionOperations } from "@/lib/schemas/connections";

export const GET = withApiKey(connectionOperations.listForUser, async ({ ctx, params, query }) => {
  const user = await getRegisteredUser(ctx.db, ctx.environment.id, params.id);
  const r = await listConnections(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor, owner: { type: "registered_user", id: user.id } });
  return { data: r.data.map((c) => toConnectionOut(ctx.rt, ctx.environment, c)), has_more: r.hasMore, next_cursor: r.nextCursor };
});

export const POST = withApiKey(connectionOperations.createForUser, async ({ ctx, params, body }) => {
  const user = await getRegisteredUser(ctx.db, ctx.environment.id, params.id);
  const { connection, created } = await createFormConnection(ctx.rt, {
    environment: ctx.environment,
    owner: { type: "registered_user", id: user.id },
    connector: body.connector,
    values: body.credentials,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return new WithStatus(created ? 201 : 200, toConnectionOut(ctx.rt, ctx.environment, connection));
});
