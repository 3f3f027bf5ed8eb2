"use server";

import { authedAction } from "@/lib/actions/authed-action";
import { updateSecurityRuleFormSchema } from "@/lib/schemas/security-rules";
import { toSecurityRuleOut, updateSecurityRule } from "@/lib/security-rules/service";

export const updateSecurityRuleAction = authedAction({ schema: updateSecurityRuleFormSchema, minRole: "developer", revalidate: "/security" }, async (input, ctx) =>
  toSecurityRuleOut(
    ctx.environment.id,
    await updateSecurityRule(ctx.rt.db, { environment: ctx.environment, id: input.id, patch: { enabled: input.enabled, action: input.action }, actor: ctx.actor, requestId: ctx.requestId }),
  ),
);
