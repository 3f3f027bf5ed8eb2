// POST /api/v1/agent-sessions/{id}/servers/{server_id}/disconnect – stop serving it (audited)
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { setSessionServer, toAgentSessionOut } from "@/lib/agents/service";
import { agentOperations } from "@/lib/schemas/agents";

export const POST = withApiKey(agentOperations.disconnectServer, async ({ req, ctx, params }) => {
  const r = await setSessionServer(ctx.db, { environment: ctx.environment, id: params.id, serverId: params.server_id, connected: false, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return toAgentSessionOut(r.session, r.agent, publicBaseUrl(ctx.rt, req.headers));
});
