// POST /api/v1/environment/connections – the environment's shared connection for an api-key/basic connector
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { createFormConnection, toConnectionOut } from "@/lib/connections/service";
import { connectionOperations } from "@/lib/schemas/connections";

export const POST = withApiKey(connectionOperations.createForEnvironment, async ({ ctx, body }) => {
  const { connection, created } = await createFormConnection(ctx.rt, {
    environment: ctx.environment,
    owner: { type: "environment", id: ctx.environment.id },
    connector: body.connector,
    values: body.credentials,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return new WithStatus(created ? 201 : 200, toConnectionOut(ctx.rt, ctx.environment, connection));
});
