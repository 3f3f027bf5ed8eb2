// GET    /api/v1/security/rules/{id} – one rule
// PATCH  /api/v1/security/rules/{id} – switch it, change its action, what it scans, or its pattern
// DELETE /api/v1/security/rules/{id} – delete a custom rule, or reset a built-in one to its defaults
import { withApiKey } from "@/lib/http/with-api-key";
import { securityRuleOperations } from "@/lib/schemas/security-rules";
import { deleteSecurityRule, getStoredRule, toSecurityRuleOut, updateSecurityRule } from "@/lib/security-rules/service";

export const GET = withApiKey(securityRuleOperations.get, async ({ ctx, params }) => toSecurityRuleOut(ctx.environment.id, await getStoredRule(ctx.db, ctx.environment.id, params.id)));

export const PATCH = withApiKey(securityRuleOperations.update, async ({ ctx, params, body }) => {
  const s = await updateSecurityRule(ctx.db, { environment: ctx.environment, id: params.id, patch: body, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return toSecurityRuleOut(ctx.environment.id, s);
});

export const DELETE = withApiKey(securityRuleOperations.delete, async ({ ctx, params }) => {
  await deleteSecurityRule(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "security_rule", deleted: true };
});
