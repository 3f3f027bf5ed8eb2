// POST /api/v1/sandbox/connections/{id}/faults – the next calls of a sandbox connection answer with a provider error
import { withApiKey } from "@/lib/http/with-api-key";
import { injectSandboxFault } from "@/lib/sandbox/connections";
import { sandboxOperations } from "@/lib/schemas/sandbox";

export const POST = withApiKey(sandboxOperations.injectFault, async ({ ctx, params, body }) => {
  const { connection, fault } = await injectSandboxFault(ctx.rt, {
    environment: ctx.environment,
    connectionId: params.id,
    mode: body.mode,
    count: body.count,
    retryAfter: body.retry_after,
    delayMs: body.delay_ms,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return { object: "sandbox_fault" as const, connection_id: connection.id, mode: fault.mode, remaining: fault.remaining, retry_after: fault.retryAfter, delay_ms: fault.delayMs };
});
