// POST /api/v1/shared-credential-groups/{group}/connections – a connection every member of the group falls back to
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { createFormConnection, toConnectionOut } from "@/lib/connections/service";
import { connectionOperations } from "@/lib/schemas/connections";

export const POST = withApiKey(connectionOperations.createForGroup, async ({ ctx, params, body }) => {
  const { connection, created } = await createFormConnection(ctx.rt, {
    environment: ctx.environment,
    owner: { type: "group", id: params.group },
    connector: body.connector,
    values: body.credentials,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return new WithStatus(created ? 201 : 200, toConnectionOut(ctx.rt, ctx.environment, connection));
});
