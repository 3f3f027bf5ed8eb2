// GET  /api/v1/security/rules – the environment's security rules (built-in detectors, then custom rules)
// POST /api/v1/security/rules – add a custom rule (regular expression or field path)
import { withApiKey } from "@/lib/http/with-api-key";
import { securityRuleOperations } from "@/lib/schemas/security-rules";
import { createSecurityRule, listSecurityRules, toSecurityRuleOut } from "@/lib/security-rules/service";

export const GET = withApiKey(securityRuleOperations.list, async ({ ctx, query }) => {
  const r = await listSecurityRules(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor });
  return { data: r.data.map((s) => toSecurityRuleOut(ctx.environment.id, s)), has_more: r.hasMore, next_cursor: r.nextCursor };
});

export const POST = withApiKey(securityRuleOperations.create, async ({ ctx, body }) => {
  const s = await createSecurityRule(ctx.db, { environment: ctx.environment, body, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return toSecurityRuleOut(ctx.environment.id, s);
});
