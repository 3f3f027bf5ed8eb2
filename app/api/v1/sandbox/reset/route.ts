// POST /api/v1/sandbox/reset – the environment's sandbox providers back to their sample data
import { withApiKey } from "@/lib/http/with-api-key";
import { resetSandboxData } from "@/lib/sandbox/connections";
import { sandboxOperations } from "@/lib/schemas/sandbox";

export const POST = withApiKey(sandboxOperations.reset, async ({ ctx, body }) => {
  const connectors = await resetSandboxData(ctx.rt, { environment: ctx.environment, connector: body.connector, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { object: "sandbox_reset" as const, connectors };
});
