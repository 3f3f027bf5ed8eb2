"use server";

import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { approveServerTool } from "@/lib/mcp-servers/tools";
import { idParam } from "@/lib/schemas/common";

export const approveServerToolAction = authedAction(
  { schema: z.object({ serverId: idParam("srv"), name: z.string().min(1).max(200) }), minRole: "admin", revalidate: "/mcp-servers" },
  async ({ serverId, name }, ctx) => {
    await approveServerTool(ctx.rt.db, { environment: ctx.environment, serverId, name, actor: ctx.actor, requestId: ctx.requestId });
    return null;
  },
);
