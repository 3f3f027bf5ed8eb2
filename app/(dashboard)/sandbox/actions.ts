"use server";
import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { injectSandboxFault, resetSandboxData } from "@/lib/sandbox/connections";
import { sandboxFaultModes } from "@/lib/sandbox/hosted";

const resetSchema = z.strictObject({ connector: z.string().min(1).max(64).optional() });
const faultSchema = z.strictObject({
  connectionId: z.string().regex(/^conn_[0-9a-z]{22}$/),
  mode: z.enum(sandboxFaultModes),
  count: z.number().int().min(1).max(100).default(1),
});

export const resetSandboxAction = authedAction({ schema: resetSchema, minRole: "developer", revalidate: "/sandbox" }, async (input, ctx) =>
  resetSandboxData(ctx.rt, { environment: ctx.environment, connector: input.connector, actor: ctx.actor, requestId: ctx.requestId }),
);

export const injectFaultAction = authedAction({ schema: faultSchema, minRole: "developer", revalidate: "/sandbox" }, async (input, ctx) => {
  const { fault } = await injectSandboxFault(ctx.rt, { environment: ctx.environment, connectionId: input.connectionId, mode: input.mode, count: input.count, actor: ctx.actor, requestId: ctx.requestId });
  return { mode: fault.mode, remaining: fault.remaining };
});
