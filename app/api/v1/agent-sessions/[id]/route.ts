// GET    /api/v1/agent-sessions/{id} – the session and its connected servers (never the ticket)
// DELETE /api/v1/agent-sessions/{id} – end it: the ticket stops working at once
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { endAgentSession, getAgentSession, toAgentSessionOut } from "@/lib/agents/service";
import { agentOperations } from "@/lib/schemas/agents";

export const GET = withApiKey(agentOperations.getSession, async ({ req, ctx, params }) => {
  const r = await getAgentSession(ctx.db, ctx.environment.id, params.id);
  return toAgentSessionOut(r.session, r.agent, publicBaseUrl(ctx.rt, req.headers));
});

export const DELETE = withApiKey(agentOperations.endSession, async ({ req, ctx, params }) => {
  const r = await endAgentSession(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return toAgentSessionOut(r.session, r.agent, publicBaseUrl(ctx.rt, req.headers));
});
