import type { DbOrTx } from "@/db/client";
import type { ToolPackSecurity } from "@/db/schema";
import { validationError, type FieldIssue } from "@/lib/errors";
import type { PackOverride } from "@/lib/security";
import { listStoredRules } from "@/lib/security-rules/service";

/**
 * A tool pack's security settings (issue 7 item 4): overrides of the environment's rules and
 * reversible redaction. Stored on the pack row, so a change invalidates the hot cache with it.
 */

export type PackSecurityInput = {
  reversible_redaction: boolean;
  retention_hours: number;
  reversible_kinds: string[];
  overrides: { rule_id: string; enabled?: boolean | undefined; action?: "log" | "redact" | "block" | undefined; allow_unredacted_for_tools?: string[] | undefined }[];
};

export const DEFAULT_PACK_SECURITY: ToolPackSecurity = { reversibleRedaction: false, retentionHours: 24, reversibleKinds: ["EMAIL", "PHONE"], overrides: [] };

export function packSecurityFromInput(input: PackSecurityInput): ToolPackSecurity {
  return {
    reversibleRedaction: input.reversible_redaction,
    retentionHours: input.retention_hours,
    reversibleKinds: [...new Set(input.reversible_kinds)],
    overrides: input.overrides.map((o) => ({
      ruleId: o.rule_id,
      ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
      ...(o.action !== undefined ? { action: o.action } : {}),
      ...(o.allow_unredacted_for_tools !== undefined ? { allowUnredactedForTools: o.allow_unredacted_for_tools } : {}),
    })),
  };
}

export function packSecurityOut(stored: ToolPackSecurity | null | undefined): PackSecurityInput {
  const s = stored ?? DEFAULT_PACK_SECURITY;
  return {
    reversible_redaction: s.reversibleRedaction,
    retention_hours: s.retentionHours,
    reversible_kinds: s.reversibleKinds,
    overrides: s.overrides.map((o) => ({
      rule_id: o.ruleId,
      ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
      ...(o.action !== undefined ? { action: o.action } : {}),
      ...(o.allowUnredactedForTools !== undefined ? { allow_unredacted_for_tools: o.allowUnredactedForTools } : {}),
    })),
  };
}

export const packOverrides = (s: ToolPackSecurity | null | undefined): PackOverride[] => s?.overrides ?? [];

/** Every override must name a rule of the environment, once. */
export async function validatePackSecurity(db: DbOrTx, environmentId: string, s: ToolPackSecurity, path = "security") {
  const issues: FieldIssue[] = [];
  const known = new Set((await listStoredRules(db, environmentId)).map((r) => r.rule.id));
  const seen = new Set<string>();
  s.overrides.forEach((o, i) => {
    if (!known.has(o.ruleId)) issues.push({ path: `${path}.overrides.${i}.rule_id`, message: `no security rule "${o.ruleId}" in this environment` });
    if (seen.has(o.ruleId)) issues.push({ path: `${path}.overrides.${i}.rule_id`, message: `"${o.ruleId}" appears twice; merge the overrides` });
    seen.add(o.ruleId);
  });
  if (issues.length) throw validationError(issues, "The tool pack's security overrides name rules that do not exist.");
}
