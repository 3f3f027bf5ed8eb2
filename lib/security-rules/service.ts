import { and, asc, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { securityRules, type Environment, type SecurityRuleRow } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { AppError, notFound, validationError, type FieldIssue } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { log } from "@/lib/log";
import type { SecurityRuleOut } from "@/lib/schemas/security-rules";
import { defaultRules, DETECTOR_IDS, ruleSchema, validateCustomPattern, type Action, type AppliesTo, type Rule } from "@/lib/security";
import { DETECTORS_BY_ID } from "@/lib/security/detectors";

/**
 * An environment's security rules (issue 7 item 1). The built-in detectors always exist, at
 * `defaultRules()` until changed (a changed one is a row keyed `builtin.<detector>`); custom
 * rules (a regular expression, or a field path) are rows keyed by their own id. The data plane
 * reads the merged list through the hot cache (`security_rules` is in the invalidation trigger).
 */

type Env = Pick<Environment, "id" | "organizationId">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

/** Custom rules per environment: every call scans with all of them. */
export const MAX_CUSTOM_RULES = 200;

const BUILTIN_PREFIX = "builtin.";
const isBuiltinKey = (id: string) => id.startsWith(BUILTIN_PREFIX);

export type StoredRule = { rule: Rule; row: SecurityRuleRow | null; builtin: boolean };

function parseRow(row: SecurityRuleRow): Rule | null {
  const parsed = ruleSchema.safeParse({ ...row.definition, id: row.ruleKey });
  if (parsed.success) return parsed.data;
  // Only possible if the stored form changed shape; the rule is skipped rather than failing every call.
  log.warn("security rule skipped: stored definition no longer valid", { rule: row.id });
  return null;
}

/** Every rule of the environment, built-ins first (in detector order), then custom rules by age. */
export async function listStoredRules(db: DbOrTx, environmentId: string): Promise<StoredRule[]> {
  const rows = await db.select().from(securityRules).where(eq(securityRules.environmentId, environmentId)).orderBy(asc(securityRules.id));
  return storedRulesFrom(rows);
}

/** The environment's rules from its stored rows (sorted by id): built-ins with their overrides, then custom rules. */
export function storedRulesFrom(rows: SecurityRuleRow[]): StoredRule[] {
  const byKey = new Map(rows.map((r) => [r.ruleKey, r]));
  const out: StoredRule[] = [];
  for (const d of defaultRules()) {
    const row = byKey.get(d.id) ?? null;
    const rule = row ? parseRow(row) : d;
    out.push({ rule: rule ?? d, row, builtin: true });
  }
  for (const row of rows) {
    if (isBuiltinKey(row.ruleKey)) continue;
    const rule = parseRow(row);
    if (rule) out.push({ rule, row, builtin: false });
  }
  return out;
}

/** The engine's view: what the data plane compiles (cached per environment). */
export async function loadEnvironmentRules(db: DbOrTx, environmentId: string): Promise<Rule[]> {
  return (await listStoredRules(db, environmentId)).map((s) => s.rule);
}

export const environmentRulesFrom = (rows: SecurityRuleRow[]): Rule[] => storedRulesFrom(rows).map((s) => s.rule);

export function toSecurityRuleOut(environmentId: string, s: StoredRule): SecurityRuleOut {
  const r = s.rule;
  const type = "detector" in r ? "detector" : "pattern" in r ? "pattern" : "field_path";
  return {
    id: r.id,
    object: "security_rule",
    environment_id: environmentId,
    type,
    builtin: s.builtin,
    name: r.name ?? null,
    detector: "detector" in r ? r.detector : null,
    pattern: "pattern" in r ? r.pattern : null,
    flags: "pattern" in r ? r.flags : null,
    field_path: "fieldPath" in r ? r.fieldPath : null,
    kind: "detector" in r ? (DETECTORS_BY_ID.get(r.detector)?.kind ?? "SECRET") : r.kind,
    action: r.action,
    applies_to: r.appliesTo,
    enabled: r.enabled,
    created_at: s.row ? s.row.createdAt.toISOString() : null,
    updated_at: s.row ? s.row.updatedAt.toISOString() : null,
  };
}

export async function getStoredRule(db: DbOrTx, environmentId: string, id: string): Promise<StoredRule> {
  if (isBuiltinKey(id)) {
    const detector = id.slice(BUILTIN_PREFIX.length);
    if (!(DETECTOR_IDS as readonly string[]).includes(detector)) throw notFound("Security rule");
  }
  const found = (await listStoredRules(db, environmentId)).find((s) => s.rule.id === id);
  if (!found) throw notFound("Security rule");
  return found;
}

/** Pages over the merged list; the cursor is the last rule id of the previous page. */
export async function listSecurityRules(db: DbOrTx, input: { environmentId: string; limit: number; cursor?: string | undefined }) {
  const all = await listStoredRules(db, input.environmentId);
  let start = 0;
  if (input.cursor) {
    const after = Buffer.from(input.cursor, "base64url").toString("utf8");
    const i = all.findIndex((s) => s.rule.id === after);
    if (i < 0 && !/^secr_[0-9a-z]{22}$/.test(after)) throw validationError([{ path: "cursor", message: "not a cursor returned by this API" }]);
    // A deleted custom rule: continue with the first custom rule created after it.
    start = i >= 0 ? i + 1 : all.findIndex((s) => !s.builtin && s.rule.id > after);
    if (start < 0) start = all.length;
  }
  const data = all.slice(start, start + input.limit);
  const hasMore = start + input.limit < all.length;
  return { data, hasMore, nextCursor: hasMore ? Buffer.from(data[data.length - 1]!.rule.id, "utf8").toString("base64url") : null };
}

/** Schema check plus, for a regular expression, the full catastrophic-backtracking analysis. */
async function validateRule(candidate: Record<string, unknown>): Promise<Rule> {
  // The pattern first: its problems (static, then recheck's analysis) deserve their own message.
  if (typeof candidate.pattern === "string") {
    const check = await validateCustomPattern(candidate.pattern, typeof candidate.flags === "string" ? candidate.flags : "");
    if (!check.ok) {
      throw new AppError({
        code: "validation_error",
        message: `The pattern was refused: ${check.problem.message}.`,
        issues: [{ path: "pattern", message: check.problem.message, code: check.problem.code }],
      });
    }
  }
  const parsed = ruleSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.map((i) => ({ path: i.path.map(String).map(snake).join(".") || "rule", message: i.message }));
    throw validationError(issues, "The security rule is invalid.");
  }
  return parsed.data;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function definitionOf(rule: Rule): Record<string, unknown> {
  const { id: _id, ...rest } = rule;
  return rest;
}

/** What the audit row says about a rule: its shape, never scanned data (rules hold none). */
const auditOf = (rule: Rule) => ({ rule_id: rule.id, ...definitionOf(rule) });

export type CreateRuleInput =
  | { type: "pattern"; name?: string | undefined; action: Action; applies_to: AppliesTo; enabled: boolean; pattern: string; flags: string; kind: string; max_match_length?: number | undefined }
  | { type: "field_path"; name?: string | undefined; action: Action; applies_to: AppliesTo; enabled: boolean; field_path: string; kind: string };

export async function createSecurityRule(db: DbOrTx, input: { environment: Env; body: CreateRuleInput } & Caller): Promise<StoredRule> {
  const b = input.body;
  const id = createId("securityRule");
  const base = { id, ...(b.name ? { name: b.name } : {}), action: b.action, appliesTo: b.applies_to, enabled: b.enabled, kind: b.kind };
  const rule = await validateRule(
    b.type === "pattern" ? { ...base, pattern: b.pattern, flags: b.flags, ...(b.max_match_length ? { maxMatchLength: b.max_match_length } : {}) } : { ...base, fieldPath: b.field_path },
  );
  return db.transaction(async (tx) => {
    const existing = await tx.select({ key: securityRules.ruleKey }).from(securityRules).where(eq(securityRules.environmentId, input.environment.id));
    if (existing.filter((r) => !isBuiltinKey(r.key)).length >= MAX_CUSTOM_RULES) {
      throw new AppError({ code: "conflict", message: `An environment can have at most ${MAX_CUSTOM_RULES} custom security rules.` });
    }
    const [row] = await tx.insert(securityRules).values({ id, environmentId: input.environment.id, ruleKey: id, definition: definitionOf(rule) }).returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "security_rule.created",
      target: { type: "security_rule", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: auditOf(rule),
    });
    return { rule, row: row!, builtin: false };
  });
}

export type UpdateRuleInput = {
  name?: string | null | undefined;
  action?: Action | undefined;
  applies_to?: AppliesTo | undefined;
  enabled?: boolean | undefined;
  pattern?: string | undefined;
  flags?: string | undefined;
  kind?: string | undefined;
  max_match_length?: number | undefined;
  field_path?: string | undefined;
};

export async function updateSecurityRule(db: DbOrTx, input: { environment: Env; id: string; patch: UpdateRuleInput } & Caller): Promise<StoredRule> {
  const before = await getStoredRule(db, input.environment.id, input.id);
  const p = input.patch;
  const r = before.rule;
  const wrongKind: FieldIssue[] = [];
  const only = (field: keyof UpdateRuleInput, ok: boolean, what: string) => {
    if (p[field] !== undefined && !ok) wrongKind.push({ path: field, message: `only ${what} have ${field}` });
  };
  only("pattern", "pattern" in r, "pattern rules");
  only("flags", "pattern" in r, "pattern rules");
  only("max_match_length", "pattern" in r, "pattern rules");
  only("field_path", "fieldPath" in r, "field-path rules");
  only("kind", !("detector" in r), "custom rules");
  if (wrongKind.length) throw validationError(wrongKind, "These fields do not apply to this rule.");

  const next: Record<string, unknown> = { ...r };
  if (p.name !== undefined) {
    if (p.name === null) delete next.name;
    else next.name = p.name;
  }
  if (p.action !== undefined) next.action = p.action;
  if (p.applies_to !== undefined) next.appliesTo = p.applies_to;
  if (p.enabled !== undefined) next.enabled = p.enabled;
  if (p.pattern !== undefined) next.pattern = p.pattern;
  if (p.flags !== undefined) next.flags = p.flags;
  if (p.kind !== undefined) next.kind = p.kind;
  if (p.max_match_length !== undefined) next.maxMatchLength = p.max_match_length;
  if (p.field_path !== undefined) next.fieldPath = p.field_path;
  // Only a changed pattern needs the (slow) backtracking analysis again.
  const rule = "pattern" in r && p.pattern === undefined && p.flags === undefined ? (ruleSchema.parse(next) as Rule) : await validateRule(next);

  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(securityRules)
      .values({ id: before.row?.id ?? createId("securityRule"), environmentId: input.environment.id, ruleKey: rule.id, definition: definitionOf(rule) })
      .onConflictDoUpdate({ target: [securityRules.environmentId, securityRules.ruleKey], set: { definition: definitionOf(rule), updatedAt: new Date() } })
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "security_rule.updated",
      target: { type: "security_rule", id: rule.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { before: auditOf(r), after: auditOf(rule) },
    });
    return { rule, row: row!, builtin: before.builtin };
  });
}

/** Deletes a custom rule; for a built-in one, drops its changes (back to the defaults). */
export async function deleteSecurityRule(db: DbOrTx, input: { environment: Env; id: string } & Caller): Promise<void> {
  const before = await getStoredRule(db, input.environment.id, input.id);
  await db.transaction(async (tx) => {
    if (before.row) await tx.delete(securityRules).where(and(eq(securityRules.environmentId, input.environment.id), eq(securityRules.id, before.row.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: before.builtin ? "security_rule.reset" : "security_rule.deleted",
      target: { type: "security_rule", id: before.rule.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: auditOf(before.rule),
    });
  });
}
