"use server";

import { authedAction } from "@/lib/actions/authed-action";
import { createGatewayToken, revokeGatewayToken, toGatewayTokenOut } from "@/lib/gateway-tokens/service";
import { createGatewayTokenFormSchema, revokeGatewayTokenFormSchema } from "@/lib/schemas/gateway-tokens";

export const createGatewayTokenAction = authedAction({ schema: createGatewayTokenFormSchema, minRole: "developer", revalidate: "/gateway-tokens" }, async (input, ctx) => {
  const { row, token } = await createGatewayToken(ctx.rt.db, { environment: ctx.environment, name: input.name, actor: ctx.actor, requestId: ctx.requestId });
  return { ...toGatewayTokenOut(row), token };
});

export const revokeGatewayTokenAction = authedAction({ schema: revokeGatewayTokenFormSchema, minRole: "developer", revalidate: "/gateway-tokens" }, async (input, ctx) =>
  toGatewayTokenOut(await revokeGatewayToken(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId })),
);
