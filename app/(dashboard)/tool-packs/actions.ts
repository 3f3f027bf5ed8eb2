"use server";

import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { idParam } from "@/lib/schemas/common";
import { createToolPackBodySchema, updateToolPackBodySchema } from "@/lib/schemas/tool-packs";
import { createToolPack, deleteToolPack, updateToolPack } from "@/lib/tool-packs/service";

export const createToolPackAction = authedAction({ schema: createToolPackBodySchema, minRole: "developer", revalidate: "/tool-packs" }, async (input, ctx) => {
  const pack = await createToolPack(ctx.rt.db, { environment: ctx.environment, ...input, actor: ctx.actor, requestId: ctx.requestId });
  return { id: pack.id };
});

export const updateToolPackAction = authedAction(
  { schema: updateToolPackBodySchema.extend({ id: idParam("tp") }), minRole: "developer", revalidate: "/tool-packs" },
  async ({ id, ...patch }, ctx) => {
    await updateToolPack(ctx.rt.db, { environment: ctx.environment, id, patch, actor: ctx.actor, requestId: ctx.requestId });
    return null;
  },
);

export const deleteToolPackAction = authedAction({ schema: z.object({ id: idParam("tp") }), minRole: "developer", revalidate: "/tool-packs" }, async ({ id }, ctx) => {
  await deleteToolPack(ctx.rt.db, { environment: ctx.environment, id, actor: ctx.actor, requestId: ctx.requestId });
  return null;
});
