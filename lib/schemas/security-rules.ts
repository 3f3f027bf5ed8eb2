import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { isoDate } from "@/lib/schemas/common";
import { ACTIONS, DETECTOR_IDS, DIRECTIONS } from "@/lib/security";
import { kindSchema } from "@/lib/security/policy";

/** `builtin.<detector>` for the built-in detectors, `secr_…` for custom rules. */
export const securityRuleIdSchema = z
  .string()
  .max(64)
  .regex(/^(builtin\.[a-z0-9_]{1,40}|secr_[0-9a-z]{22})$/, "must be builtin.<detector> or an id starting with secr_");

const common = {
  name: z.string().trim().min(1).max(200).optional(),
  action: z.enum(ACTIONS).describe("log: record a hit only; redact: replace the value with a typed placeholder such as [EMAIL_1]; block: refuse the call (blocked_by_policy)."),
  applies_to: z.enum(DIRECTIONS).default("both").describe("Scan tool arguments (before the call), results (before the agent sees them), or both."),
  enabled: z.boolean().default(true),
};

export const createSecurityRuleBodySchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("pattern"),
    ...common,
    pattern: z.string().min(1).max(500).describe("A regular expression (JavaScript syntax). Refused at save time unless provably free of catastrophic backtracking."),
    flags: z.string().max(4).regex(/^[imsu]*$/, "only the flags i, m, s and u").default(""),
    kind: kindSchema.default("CUSTOM").describe("Placeholder type: [KIND_1]."),
    max_match_length: z.number().int().min(1).max(4096).optional(),
  }),
  z.strictObject({
    type: z.literal("field_path"),
    ...common,
    field_path: z.string().min(2).max(512).describe("JSONPath subset: $.a.b, $.items[*].ssn, $..ssn. Every value at the path matches."),
    kind: kindSchema.default("FIELD"),
  }),
]);

export const updateSecurityRuleBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200).nullable().optional(),
  action: z.enum(ACTIONS).optional(),
  applies_to: z.enum(DIRECTIONS).optional(),
  enabled: z.boolean().optional(),
  pattern: z.string().min(1).max(500).optional().describe("Custom pattern rules only."),
  flags: z.string().max(4).regex(/^[imsu]*$/, "only the flags i, m, s and u").optional(),
  kind: kindSchema.optional().describe("Custom rules only."),
  max_match_length: z.number().int().min(1).max(4096).optional(),
  field_path: z.string().min(2).max(512).optional().describe("Field-path rules only."),
});

export const securityRuleParamsSchema = z.object({ id: securityRuleIdSchema });

export const SecurityRuleSchema = z
  .object({
    id: z.string(),
    object: z.literal("security_rule"),
    environment_id: z.string(),
    type: z.enum(["detector", "pattern", "field_path"]),
    builtin: z.boolean().describe("Built-in detectors can be switched and re-actioned, not deleted."),
    name: z.string().nullable(),
    detector: z.enum(DETECTOR_IDS).nullable(),
    pattern: z.string().nullable(),
    flags: z.string().nullable(),
    field_path: z.string().nullable(),
    kind: z.string().describe("Placeholder type, e.g. EMAIL for [EMAIL_1]."),
    action: z.enum(ACTIONS),
    applies_to: z.enum(DIRECTIONS),
    enabled: z.boolean(),
    created_at: isoDate.nullable().describe("Null for a built-in rule still at its defaults."),
    updated_at: isoDate.nullable(),
  })
  .meta({ id: "SecurityRule" });
export type SecurityRuleOut = z.infer<typeof SecurityRuleSchema>;

const tag = "Security rules";
const auth = ["invalid_api_key", "environment_mismatch", "rate_limited"] as const;
export const securityRuleOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/security/rules",
    operationId: "listSecurityRules",
    summary: "List the environment's security rules: built-in detectors first, then custom rules",
    tag,
    auth: "api_key",
    query: paginationQuerySchema,
    success: { status: 200, description: "A page of rules.", schema: pageSchema(SecurityRuleSchema) },
    errors: [...auth, "validation_error"],
  }),
  create: defineOperation({
    method: "post",
    path: "/api/v1/security/rules",
    operationId: "createSecurityRule",
    summary: "Add a custom rule (regular expression or field path)",
    description: "A pattern is checked for catastrophic backtracking before it is saved (validation_error naming the problem and where).",
    tag,
    auth: "api_key",
    body: createSecurityRuleBodySchema,
    success: { status: 201, description: "The rule.", schema: SecurityRuleSchema },
    errors: [...auth, "validation_error", "conflict"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/security/rules/{id}",
    operationId: "getSecurityRule",
    summary: "Get a security rule",
    tag,
    auth: "api_key",
    params: securityRuleParamsSchema,
    success: { status: 200, description: "The rule.", schema: SecurityRuleSchema },
    errors: [...auth, "not_found"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/security/rules/{id}",
    operationId: "updateSecurityRule",
    summary: "Change a rule: switch it, change its action or what it scans (takes effect on the next call)",
    tag,
    auth: "api_key",
    params: securityRuleParamsSchema,
    body: updateSecurityRuleBodySchema,
    success: { status: 200, description: "The rule.", schema: SecurityRuleSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/security/rules/{id}",
    operationId: "deleteSecurityRule",
    summary: "Delete a custom rule, or reset a built-in one to its defaults",
    tag,
    auth: "api_key",
    params: securityRuleParamsSchema,
    success: { status: 200, description: "Deleted (or reset).", schema: z.object({ id: z.string(), object: z.literal("security_rule"), deleted: z.literal(true) }) },
    errors: [...auth, "not_found"],
  }),
};

/** Dashboard: switch a rule or change its action. */
export const updateSecurityRuleFormSchema = z.strictObject({ id: securityRuleIdSchema, enabled: z.boolean().optional(), action: z.enum(ACTIONS).optional() });
