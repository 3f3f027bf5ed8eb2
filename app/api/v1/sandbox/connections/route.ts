// POST /api/v1/sandbox/connections – connect a registered user to a connector's sandbox (test environments only)
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { toConnectionOut } from "@/lib/connections/service";
import { getRegisteredUser } from "@/lib/registered-users/service";
import { createSandboxConnection } from "@/lib/sandbox/connections";
import { assertSandboxAllowed } from "@/lib/sandbox/hosted";
import { sandboxOperations } from "@/lib/schemas/sandbox";

export const POST = withApiKey(sandboxOperations.createConnection, async ({ ctx, body }) => {
  // Refused before anything else: a production key learns nothing about the user.
  assertSandboxAllowed(ctx.environment);
  const user = await getRegisteredUser(ctx.db, ctx.environment.id, body.registered_user_id);
  const { connection, created } = await createSandboxConnection(ctx.rt, {
    environment: ctx.environment,
    owner: { type: "registered_user", id: user.id },
    connector: body.connector,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return new WithStatus(created ? 201 : 200, toConnectionOut(ctx.rt, ctx.environment, connection));
});
