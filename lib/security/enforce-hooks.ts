import { log } from "@/lib/log";
import type { Action, Direction } from "./policy";

/**
 * Where the data plane reports security hits, so alerts can be raised (issue 7 item 5). The
 * alerts module installs its sink at start-up with `setSecurityHitSink`; until then hits are
 * logged at info, counted by rule, without excerpts. A hit never carries a scanned value: the
 * excerpt is masked by the engine (`maskExcerpt`), the path names keys, not values.
 */
export type SecurityHit = {
  environmentId: string;
  toolPackId: string;
  registeredUserId: string | null;
  tool: string;
  ruleId: string;
  /** Built-in detector id (`email`, `aws_access_key_id`…), or `pattern` / `field_path` for custom rules, `engine` for a scanner failure. */
  detector: string;
  action: Action;
  direction: Direction;
  fieldPath: string;
  maskedExcerpt: string;
};
export type SecurityHitSink = (hits: SecurityHit[]) => void;

const defaultSink: SecurityHitSink = (hits) => {
  const byRule: Record<string, number> = {};
  for (const h of hits) byRule[h.ruleId] = (byRule[h.ruleId] ?? 0) + 1;
  const h = hits[0]!;
  log.info("security gateway hits", { environment: h.environmentId, tool_pack: h.toolPackId, tool: h.tool, direction: h.direction, rules: byRule });
};

// On globalThis: the custom server and Next's route bundles load this module separately.
const SINK = Symbol.for("latchkey.securityHitSink");
type Holder = { [SINK]?: SecurityHitSink };
const holder = globalThis as Holder;

/** Install the sink (null restores the default log). */
export function setSecurityHitSink(fn: SecurityHitSink | null): void {
  holder[SINK] = fn ?? undefined;
}

/** Hands hits to the sink; a failing sink never fails the call. */
export function reportSecurityHits(hits: SecurityHit[]): void {
  if (hits.length === 0) return;
  try {
    (holder[SINK] ?? defaultSink)(hits);
  } catch (err) {
    log.warn("security hit sink failed", { error: err instanceof Error ? err.name : "unknown" });
  }
}
