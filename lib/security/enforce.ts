import type { Environment, ToolPack, ToolPackSecurity } from "@/db/schema";
import type { Actor } from "@/lib/audit/record";
import type { HotCache } from "@/lib/gateway/hot-cache";
import type { McpBackend, McpCallResult } from "@/lib/mcp/types";
import type { Runtime } from "@/lib/runtime";
import { loadEnvironmentRules } from "@/lib/security-rules/service";
import { DbPlaceholderVault } from "@/lib/security-rules/vault";
import { withSpan } from "@/lib/tracing";
import { toolCallLog } from "@/lib/tool-calls/log";
import { reportSecurityHits, type SecurityHit } from "./enforce-hooks";
import { effectivePolicy, type Direction, type Rule, type ScanPolicy } from "./policy";
import { scanReversible } from "./reversible";
import { createPlaceholderNumbering, scan, type Hit, type PlaceholderAllocator, type ScanResult } from "./scan";

/**
 * The security gateway in the data plane (issue 7 item 2), wrapped around the whole backend
 * (connector tools and upstream MCP servers alike):
 *
 * - arguments are scanned before the call: a `block` hit stops it (`blocked_by_policy`, logged
 *   in the tool-call log), `redact` replaces values with typed placeholders before they leave;
 * - with reversible redaction on, placeholders of this user's vault in the arguments are then
 *   swapped back to their values (after the scan: the policy judges what the model wrote);
 * - results (`structuredContent`, every content text, JSON documents inside strings) are
 *   scanned before the agent sees them.
 *
 * Upstream results reach this layer whole (lib/mcp-servers buffers each JSON-RPC answer), so
 * they are scanned as one value; `createSseRedactor` is for a path that relays SSE unparsed.
 *
 * Hot path: the environment's rules come from the hot cache (`secrules:{env}`, invalidated by
 * the `security_rules` trigger) and the compiled policy is memoised per (rules list, pack
 * settings) object, so a warm call compiles nothing and queries nothing. Only reversible
 * redaction touches the database, and only when there is something to store or restore.
 */

export const BLOCKED_BY_POLICY = "blocked_by_policy";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring" | "authSecret"> & { cache?: HotCache };
export type SecurityGatewayContext = {
  environment: Env;
  pack: Pick<ToolPack, "id" | "security">;
  registeredUserId: string | null;
  actor: Actor;
};

/** Gateway-made results carrying a link token: not tool data, never scanned. */
const GATEWAY_RESULT_CODES = new Set(["authentication_required", "reauth_required"]);
const GATEWAY_TOOLS = new Set(["authenticate_meta"]);

type CompiledPack = {
  base: ScanPolicy;
  /** Tools some override lets through unredacted: each gets its own policy, compiled on first use. */
  excepted: Set<string>;
  perTool: Map<string, ScanPolicy>;
  detectorOf: Map<string, string>;
  rules: readonly Rule[];
  overrides: ToolPackSecurity["overrides"];
};

// Per rules list (a new list after every invalidation), then per pack settings: by object for
// cached pack rows (MCP), by content for rows read per request (REST execute).
const compiled = new WeakMap<readonly Rule[], { byObject: WeakMap<object, CompiledPack>; byContent: Map<string, CompiledPack> }>();
const MAX_SETTINGS_PER_RULES = 1000;

function compile(rules: readonly Rule[], security: ToolPackSecurity | null): CompiledPack {
  let memo = compiled.get(rules);
  if (!memo) compiled.set(rules, (memo = { byObject: new WeakMap(), byContent: new Map() }));
  const known = security ? memo.byObject.get(security) : undefined;
  if (known) return known;
  const overrides = security?.overrides ?? [];
  const content = JSON.stringify(overrides);
  let c = memo.byContent.get(content);
  if (!c) {
    c = {
      base: effectivePolicy(rules, overrides),
      excepted: new Set(overrides.flatMap((o) => o.allowUnredactedForTools ?? [])),
      perTool: new Map(),
      detectorOf: new Map(rules.map((r) => [r.id, "detector" in r ? r.detector : "pattern" in r ? "pattern" : "field_path"])),
      rules,
      overrides,
    };
    if (memo.byContent.size >= MAX_SETTINGS_PER_RULES) memo.byContent.clear();
    memo.byContent.set(content, c);
  }
  if (security) memo.byObject.set(security, c);
  return c;
}

function policyFor(c: CompiledPack, tool: string): ScanPolicy {
  if (!c.excepted.has(tool)) return c.base;
  let p = c.perTool.get(tool);
  if (!p) c.perTool.set(tool, (p = effectivePolicy(c.rules, c.overrides, tool)));
  return p;
}

async function environmentRules(rt: Rt, environmentId: string): Promise<readonly Rule[]> {
  const load = async () => loadEnvironmentRules(rt.db, environmentId);
  if (!rt.cache) return load();
  // Never null: an environment without stored rules caches the defaults, so warm calls stay off the database.
  return (await rt.cache.get(`secrules:${environmentId}`, async () => ({ value: await load(), env: environmentId })))!;
}

function blockedResult(direction: Direction, hits: Hit[], tool: string): McpCallResult {
  const ruleIds = [...new Set(hits.filter((h) => h.action === "block").map((h) => h.ruleId))];
  const message =
    direction === "arguments"
      ? `The call to ${tool} was blocked by the security policy: its arguments match ${ruleIds.join(", ")}.`
      : `The result of ${tool} was withheld by the security policy: it matches ${ruleIds.join(", ")}.`;
  return { isError: true, content: [{ type: "text", text: message }], structuredContent: { code: BLOCKED_BY_POLICY, message, direction, rule_ids: ruleIds } };
}

export function withSecurityGateway(rt: Rt, backend: McpBackend, ctx: SecurityGatewayContext): McpBackend {
  const security = ctx.pack.security ?? null;
  const reversible = security?.reversibleRedaction === true && ctx.registeredUserId !== null;
  const kinds = new Set(security?.reversibleKinds ?? ["EMAIL", "PHONE"]);
  const vault = reversible ? new DbPlaceholderVault(rt, ctx.environment, (security!.retentionHours ?? 24) * 3_600_000) : null;

  const report = (c: CompiledPack, tool: string, direction: Direction, r: ScanResult<unknown>) => {
    if (r.hits.length === 0) return;
    reportSecurityHits(
      r.hits.map(
        (h): SecurityHit => ({
          environmentId: ctx.environment.id,
          toolPackId: ctx.pack.id,
          registeredUserId: ctx.registeredUserId,
          tool,
          ruleId: h.ruleId,
          detector: c.detectorOf.get(h.ruleId) ?? h.ruleId,
          action: h.action,
          direction,
          fieldPath: h.path,
          maskedExcerpt: h.excerpt,
        }),
      ),
    );
  };

  const scanResultPart = <T>(value: T, policy: ScanPolicy, placeholders: PlaceholderAllocator): Promise<ScanResult<T>> | ScanResult<T> =>
    vault ? scanReversible(value, policy, { direction: "results", placeholders }, { vault, userKey: ctx.registeredUserId!, kinds }) : scan(value, policy, { direction: "results", placeholders });

  const scanResultOf = async (c: CompiledPack, policy: ScanPolicy, name: string, result: McpCallResult): Promise<{ result: McpCallResult; blocked: boolean }> => {
    // One numbering for the whole result, so the same value reads the same in text and structure.
    const placeholders = createPlaceholderNumbering();
    const sc = result.structuredContent ? await scanResultPart(result.structuredContent, policy, placeholders) : null;
    const content = await scanResultPart(result.content, policy, placeholders);
    for (const r of [sc, content]) if (r) report(c, name, "results", r);
    if (sc?.blocked || content.blocked) return { result: blockedResult("results", [...(sc?.hits ?? []), ...content.hits], name), blocked: true };
    if ((sc === null || sc.value === result.structuredContent) && content.value === result.content) return { result, blocked: false };
    return { result: { ...result, content: content.value, ...(sc ? { structuredContent: sc.value } : {}) }, blocked: false };
  };

  return {
    ...backend,
    async callTool(name, args, call) {
      const t0 = performance.now();
      const c = compile(await environmentRules(rt, ctx.environment.id), security);
      const policy = policyFor(c, name);

      let sent = args;
      if (policy.textRules.length > 0 || policy.fieldRules.length > 0) {
        const r = withSpan("security.scan", { "latchkey.direction": "arguments" }, (span) => {
          const out = scan(args, policy, { direction: "arguments" });
          span.setAttribute("latchkey.hits", out.hits.length);
          return out;
        });
        report(c, name, "arguments", r);
        if (r.blocked) {
          toolCallLog(() => rt.db).record({
            environmentId: ctx.environment.id,
            principalType: ctx.actor.type,
            principalId: ctx.actor.id,
            toolPackId: ctx.pack.id,
            registeredUserId: ctx.registeredUserId,
            tool: name.slice(0, 200),
            connector: null,
            connectionId: null,
            status: "error",
            errorCode: BLOCKED_BY_POLICY,
            latencyMs: Math.round(performance.now() - t0),
          });
          return blockedResult("arguments", r.hits, name);
        }
        sent = r.value;
      }
      if (vault) sent = await vault.restore(ctx.registeredUserId!, sent, kinds);

      const resultRules = policy.textRules.length > 0 || policy.fieldRules.length > 0;
      // The inner backend logs the call; a result withheld here must not stay logged as `ok`.
      const held = resultRules && !GATEWAY_TOOLS.has(name) ? toolCallLog(() => rt.db).hold(call.signal) : null;
      let blocked = false;
      try {
        const result = await backend.callTool(name, sent, call);
        if (!held || (result.isError && GATEWAY_RESULT_CODES.has(result.structuredContent?.code as string))) return result;
        const scanned = await withSpan("security.scan", { "latchkey.direction": "results" }, async (span) => {
          const out = await scanResultOf(c, policy, name, result);
          span.setAttribute("latchkey.blocked", out.blocked);
          return out;
        });
        blocked = scanned.blocked;
        return scanned.result;
      } finally {
        held?.release(blocked ? { status: "error", errorCode: BLOCKED_BY_POLICY } : undefined);
      }
    },
  };
}
