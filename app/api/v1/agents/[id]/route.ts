// GET    /api/v1/agents/{id} – one agent
// PATCH  /api/v1/agents/{id} – name, servers, tool_packs (open sessions follow on their next call)
// DELETE /api/v1/agents/{id} – the agent and its sessions
import { withApiKey } from "@/lib/http/with-api-key";
import { deleteAgent, getAgent, toAgentOut, updateAgent } from "@/lib/agents/service";
import { agentOperations } from "@/lib/schemas/agents";

export const GET = withApiKey(agentOperations.get, async ({ ctx, params }) => toAgentOut(await getAgent(ctx.db, ctx.environment.id, params.id)));

export const PATCH = withApiKey(agentOperations.update, async ({ ctx, params, body }) =>
  toAgentOut(await updateAgent(ctx.db, { environment: ctx.environment, id: params.id, patch: { name: body.name, servers: body.servers, toolPacks: body.tool_packs }, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);

export const DELETE = withApiKey(agentOperations.delete, async ({ ctx, params }) => {
  await deleteAgent(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "agent", deleted: true };
});
