import { parseWwwAuthenticate } from "@/lib/mcp-servers/discovery";

/**
 * Scope step-up (MCP 2025-11-25 "scope challenge handling", SEP-2350): an upstream that refuses
 * a call with 403 `error="insufficient_scope"` names the scopes it wants; the client authorizes
 * again asking for what it asked before plus those, never fewer (a narrower token would break
 * the tools that worked). Only a challenge that adds a scope leads to a new authorization, and
 * the scope set is bounded, so a server that keeps refusing cannot loop anyone through consent
 * screens: at most MAX_AUTHORIZATIONS in a row for one need.
 */

/** Initial authorization plus two step-ups: a third refusal of the same need is final. */
export const MAX_AUTHORIZATIONS = 3;
const MAX_SCOPES = 64;
const MAX_SCOPE_LENGTH = 200;

/** RFC 6749 §3.3 scope-token characters, and not absurdly long. */
const isScopeToken = (s: string) => s.length > 0 && s.length <= MAX_SCOPE_LENGTH && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s);

/**
 * The scopes a 403 asks for, when it is a Bearer insufficient_scope challenge (RFC 6750 §3.1);
 * null for any other refusal. A challenge without a scope parameter gives [].
 */
export function insufficientScopeChallenge(status: number, wwwAuthenticate: string | null): string[] | null {
  if (status !== 403) return null;
  const bearer = parseWwwAuthenticate(wwwAuthenticate).get("bearer");
  if (bearer?.error !== "insufficient_scope") return null;
  return [...new Set((bearer.scope ?? "").split(/\s+/).filter(isScopeToken))];
}

/**
 * The scopes for the next authorization: the ones requested so far, in their order, then the
 * challenged ones not among them. Null when the challenge adds nothing (asking again cannot
 * help) or the set would grow past the bound.
 */
export function widenScopes(requested: readonly string[], challenged: readonly string[]): string[] | null {
  const have = new Set(requested);
  const added = challenged.filter((s) => isScopeToken(s) && !have.has(s));
  if (added.length === 0) return null;
  const out = [...requested, ...new Set(added)];
  return out.length > MAX_SCOPES ? null : out;
}

/**
 * What a client that has already authorized `authorizations` times for this need does after a
 * scope challenge: authorize again with these scopes, or stop (null).
 */
export function nextAuthorizationScopes(requested: readonly string[], challenged: readonly string[], authorizations: number): string[] | null {
  if (authorizations >= MAX_AUTHORIZATIONS) return null;
  return widenScopes(requested, challenged);
}
