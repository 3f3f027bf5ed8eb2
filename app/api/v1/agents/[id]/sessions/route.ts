// POST /api/v1/agents/{id}/sessions – open a session for a registered user: { session_id, ticket, mcp_url }
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { createAgentSession, toAgentSessionOut } from "@/lib/agents/service";
import { agentOperations } from "@/lib/schemas/agents";

export const POST = withApiKey(agentOperations.createSession, async ({ req, ctx, params, body }) => {
  const r = await createAgentSession(ctx.db, { environment: ctx.environment, agentId: params.id, registeredUserId: body.registered_user_id, ttlSeconds: body.ttl_seconds, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { ...toAgentSessionOut(r.session, r.agent, publicBaseUrl(ctx.rt, req.headers)), ticket: r.ticket };
});
