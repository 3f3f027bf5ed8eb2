"use server";

import { headers } from "next/headers";
import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { validationError } from "@/lib/errors";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { createMcpServer, deleteMcpServer, discover, toMcpServerOut } from "@/lib/mcp-servers/service";
import { testMcpServerConnection } from "@/lib/mcp-servers/test-connection";
import { createMcpServerBodySchema, discoverMcpServerBodySchema, mcpServerParamsSchema } from "@/lib/schemas/mcp-servers";

export const discoverMcpServerAction = authedAction({ schema: discoverMcpServerBodySchema, minRole: "developer" }, async (input, ctx) => discover(ctx.rt, input.url));

export const createMcpServerAction = authedAction({ schema: createMcpServerBodySchema, minRole: "developer", revalidate: "/mcp-servers" }, async (input, ctx) => {
  // The wizard registers remote servers; stdio servers (operator opt-in) are registered through the API.
  if (input.transport === "stdio" || !input.url) throw validationError([{ path: "url", message: "Enter the server's URL." }]);
  return toMcpServerOut(
    await createMcpServer(ctx.rt, {
      environment: ctx.environment,
      name: input.name,
      slug: input.slug,
      url: input.url,
      auth: input.auth,
      redirectUri: `${publicBaseUrl(ctx.rt, await headers())}/oauth/callback`,
      actor: ctx.actor,
      requestId: ctx.requestId,
    }),
  );
});

export const testMcpServerAction = authedAction({ schema: mcpServerParamsSchema, minRole: "developer" }, async (input, ctx) => testMcpServerConnection(ctx.rt, ctx.environment, input.id));

export const deleteMcpServerAction = authedAction({ schema: z.object({ id: mcpServerParamsSchema.shape.id }), minRole: "developer", revalidate: "/mcp-servers" }, async (input, ctx) => {
  await deleteMcpServer(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId });
  return { id: input.id };
});
