"use server";

import { authedAction } from "@/lib/actions/authed-action";
import { createAgent, deleteAgent, toAgentOut } from "@/lib/agents/service";
import { agentParamsSchema, createAgentBodySchema } from "@/lib/schemas/agents";

export const createAgentAction = authedAction({ schema: createAgentBodySchema, minRole: "developer", revalidate: "/agents" }, async (input, ctx) =>
  toAgentOut(await createAgent(ctx.rt.db, { environment: ctx.environment, name: input.name, servers: input.servers, toolPacks: input.tool_packs, actor: ctx.actor, requestId: ctx.requestId })),
);

export const deleteAgentAction = authedAction({ schema: agentParamsSchema, minRole: "developer", revalidate: "/agents" }, async (input, ctx) => {
  await deleteAgent(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId });
  return { id: input.id };
});
