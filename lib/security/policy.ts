import { z } from "zod";
import { compileCustomPattern, checkPatternStatically, DEFAULT_MAX_MATCH_LENGTH, MAX_MAX_MATCH_LENGTH, type CustomMatcher } from "./custom-rules";
import { DETECTOR_IDS, DETECTORS_BY_ID, type Detector, type DetectorId } from "./detectors";
import { FieldPathError, parseFieldPath, type FieldPath } from "./field-path";

/**
 * Rules of the security gateway and how a tool pack changes them. Rules belong to one
 * environment (so "on/off per environment" is the environment's own rule list); a pack can
 * switch a rule, change its action, or let one tool's data through unredacted.
 */

export const ACTIONS = ["log", "redact", "block"] as const;
export type Action = (typeof ACTIONS)[number];
export const DIRECTIONS = ["arguments", "results", "both"] as const;
export type AppliesTo = (typeof DIRECTIONS)[number];
export type Direction = Exclude<AppliesTo, "both">;

/** Placeholder type of a custom rule: `[EMPLOYEE_ID_1]`. */
export const kindSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,31}$/, "upper case letters, digits and _, starting with a letter (e.g. EMPLOYEE_ID)");

const ruleBase = {
  id: z.string().min(1).max(64),
  name: z.string().max(200).optional(),
  appliesTo: z.enum(DIRECTIONS).default("both"),
  action: z.enum(ACTIONS),
  enabled: z.boolean().default(true),
};

export const detectorRuleSchema = z.object({ ...ruleBase, detector: z.enum(DETECTOR_IDS) }).strict();

export const patternRuleSchema = z
  .object({
    ...ruleBase,
    pattern: z.string().min(1).max(500),
    flags: z.string().max(4).default(""),
    kind: kindSchema.default("CUSTOM"),
    maxMatchLength: z.number().int().min(1).max(MAX_MAX_MATCH_LENGTH).default(DEFAULT_MAX_MATCH_LENGTH),
  })
  .strict()
  .superRefine((r, ctx) => {
    // The cheap static half of the check; the save path also awaits validateCustomPattern.
    const c = checkPatternStatically(r.pattern, r.flags);
    if (!c.ok) ctx.addIssue({ code: "custom", path: ["pattern"], message: c.problem.message, params: { problem: c.problem.code } });
  });

export const fieldPathRuleSchema = z
  .object({ ...ruleBase, fieldPath: z.string().min(2).max(512), kind: kindSchema.default("FIELD") })
  .strict()
  .superRefine((r, ctx) => {
    try {
      parseFieldPath(r.fieldPath);
    } catch (e) {
      if (e instanceof FieldPathError) ctx.addIssue({ code: "custom", path: ["fieldPath"], message: `${e.message} (at character ${e.position})` });
      else throw e;
    }
  });

export const ruleSchema = z.union([detectorRuleSchema, patternRuleSchema, fieldPathRuleSchema]);
export type Rule = z.infer<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;

export const packOverrideSchema = z
  .object({
    ruleId: z.string().min(1).max(64),
    enabled: z.boolean().optional(),
    action: z.enum(ACTIONS).optional(),
    allowUnredactedForTools: z.array(z.string().min(1).max(200)).max(500).optional(),
  })
  .strict();
export type PackOverride = z.infer<typeof packOverrideSchema>;

/** The default rule set of a new environment: detect everything, redact the sensitive kinds. */
export function defaultRules(): Rule[] {
  const redact: DetectorId[] = [
    "payment_card",
    "us_ssn",
    "iban",
    "jwt",
    "private_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "github_token",
    "slack_token",
    "stripe_secret_key",
    "google_api_key",
    "openai_api_key",
    "latchkey_secret",
  ];
  return DETECTOR_IDS.map((d) => ({
    id: `builtin.${d}`,
    detector: d,
    appliesTo: "both" as const,
    action: redact.includes(d) ? ("redact" as const) : ("log" as const),
    enabled: true,
  }));
}

// ---- compiled form

type CompiledBase = { ruleId: string; kind: string; action: Action; appliesTo: AppliesTo; priority: number };
export type CompiledTextRule = CompiledBase & ({ type: "detector"; detector: Detector } | { type: "pattern"; matcher: CustomMatcher });
export type CompiledFieldRule = CompiledBase & { type: "field"; path: FieldPath };

export type ScanPolicy = {
  readonly textRules: readonly CompiledTextRule[];
  readonly fieldRules: readonly CompiledFieldRule[];
  /** Rules dropped because they could not be compiled (should not happen after validation). */
  readonly invalid: readonly { ruleId: string; message: string }[];
};

const CUSTOM_PRIORITY = 75;

/**
 * The rules that apply to one tool call of one pack: environment rules with the pack's
 * overrides merged in. `allowUnredactedForTools` downgrades the rule to `log` for the listed
 * tools (the hit is still an alert; the data goes through). Disabled rules are dropped.
 */
export function effectivePolicy(envRules: readonly Rule[], packOverrides: readonly PackOverride[] = [], toolName?: string): ScanPolicy {
  const overrides = new Map<string, PackOverride>();
  for (const o of packOverrides) overrides.set(o.ruleId, o);
  const textRules: CompiledTextRule[] = [];
  const fieldRules: CompiledFieldRule[] = [];
  const invalid: { ruleId: string; message: string }[] = [];
  for (const rule of envRules) {
    const o = overrides.get(rule.id);
    const enabled = o?.enabled ?? rule.enabled;
    if (!enabled) continue;
    let action: Action = o?.action ?? rule.action;
    if (toolName !== undefined && o?.allowUnredactedForTools?.includes(toolName)) action = "log";
    const base = { ruleId: rule.id, action, appliesTo: rule.appliesTo };
    try {
      if ("detector" in rule) {
        const detector = DETECTORS_BY_ID.get(rule.detector);
        if (!detector) throw new Error(`unknown detector ${rule.detector}`);
        textRules.push({ ...base, type: "detector", detector, kind: detector.kind, priority: detector.priority });
      } else if ("pattern" in rule) {
        textRules.push({ ...base, type: "pattern", matcher: compileCustomPattern(rule.pattern, rule.flags, rule.maxMatchLength), kind: rule.kind, priority: CUSTOM_PRIORITY });
      } else {
        fieldRules.push({ ...base, type: "field", path: parseFieldPath(rule.fieldPath), kind: rule.kind, priority: 0 });
      }
    } catch (e) {
      invalid.push({ ruleId: rule.id, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { textRules, fieldRules, invalid };
}
