// POST /api/v1/agent-sessions/{id}/servers/{server_id}/connect – serve one of the agent's servers on the session's MCP URL (audited)
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { setSessionServer, toAgentSessionOut } from "@/lib/agents/service";
import { agentOperations } from "@/lib/schemas/agents";

export const POST = withApiKey(agentOperations.connectServer, async ({ req, ctx, params }) => {
  const r = await setSessionServer(ctx.db, { environment: ctx.environment, id: params.id, serverId: params.server_id, connected: true, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return toAgentSessionOut(r.session, r.agent, publicBaseUrl(ctx.rt, req.headers));
});
