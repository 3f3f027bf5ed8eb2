// POST /api/v1/registered-users – create, or return the existing user with this origin_user_id
// GET  /api/v1/registered-users – list, filter by group, search by origin_user_id/email prefix
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { ensureRegisteredUser, listRegisteredUsers, toRegisteredUserOut } from "@/lib/registered-users/service";
import { registeredUserOperations } from "@/lib/schemas/registered-users";

export const POST = withApiKey(registeredUserOperations.create, async ({ ctx, body }) => {
  const { user, created } = await ensureRegisteredUser(ctx.db, {
    environment: ctx.environment,
    originUserId: body.origin_user_id,
    email: body.email,
    sharedCredentialGroup: body.shared_credential_group,
    metadata: body.metadata,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return new WithStatus(created ? 201 : 200, toRegisteredUserOut(user));
});

export const GET = withApiKey(registeredUserOperations.list, async ({ ctx, query }) => {
  const r = await listRegisteredUsers(ctx.db, {
    environmentId: ctx.environment.id,
    limit: query.limit,
    cursor: query.cursor,
    group: query.shared_credential_group,
    search: query.search,
  });
  return { data: r.data.map(toRegisteredUserOut), has_more: r.hasMore, next_cursor: r.nextCursor };
});
