// GET  /api/v1/agents – this environment's agents
// POST /api/v1/agents – create one: { name, servers: [srv_…], tool_packs: [tp_…] }
import { withApiKey } from "@/lib/http/with-api-key";
import { createAgent, listAgents, toAgentOut } from "@/lib/agents/service";
import { agentOperations } from "@/lib/schemas/agents";

export const GET = withApiKey(agentOperations.list, async ({ ctx, query }) => {
  const r = await listAgents(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor });
  return { data: r.data.map(toAgentOut), has_more: r.hasMore, next_cursor: r.nextCursor };
});

export const POST = withApiKey(agentOperations.create, async ({ ctx, body }) =>
  toAgentOut(await createAgent(ctx.db, { environment: ctx.environment, name: body.name, servers: body.servers, toolPacks: body.tool_packs, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);
