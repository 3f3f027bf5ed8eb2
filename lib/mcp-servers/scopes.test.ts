import { describe, expect, it } from "vitest";
import { insufficientScopeChallenge, MAX_AUTHORIZATIONS, nextAuthorizationScopes, widenScopes } from "@/lib/mcp-servers/scopes";

describe("scope step-up", () => {
  it("reads the scopes of a 403 insufficient_scope challenge, and nothing else", () => {
    expect(insufficientScopeChallenge(403, 'Bearer error="insufficient_scope", scope="mcp:write files:read", resource_metadata="https://x/.well-known/oauth-protected-resource"')).toEqual(["mcp:write", "files:read"]);
    expect(insufficientScopeChallenge(403, 'Bearer error="insufficient_scope"')).toEqual([]);
    expect(insufficientScopeChallenge(403, 'Bearer error="invalid_token", scope="a"')).toBeNull();
    expect(insufficientScopeChallenge(401, 'Bearer error="insufficient_scope", scope="a"')).toBeNull();
    expect(insufficientScopeChallenge(403, null)).toBeNull();
    // Characters a scope token cannot hold are dropped rather than sent to an authorization server.
    expect(insufficientScopeChallenge(403, 'Bearer error="insufficient_scope", scope="ok bad\\"quote"')).toEqual(["ok"]);
  });

  it("keeps what was asked before and adds only what is new (the union, in order)", () => {
    expect(widenScopes(["mcp:basic"], ["mcp:write"])).toEqual(["mcp:basic", "mcp:write"]);
    expect(widenScopes(["a", "b"], ["b", "c", "c"])).toEqual(["a", "b", "c"]);
    expect(widenScopes([], ["a"])).toEqual(["a"]);
  });

  it("stops when the challenge adds nothing, the set would grow without bound, or the attempts are used up", () => {
    expect(widenScopes(["mcp:admin"], ["mcp:admin"])).toBeNull();
    expect(widenScopes(["a"], [])).toBeNull();
    const many = Array.from({ length: 64 }, (_, i) => `s${i}`);
    expect(widenScopes(many, ["one-more"])).toBeNull();
    expect(nextAuthorizationScopes(["a"], ["b"], 1)).toEqual(["a", "b"]);
    expect(nextAuthorizationScopes(["a"], ["b"], MAX_AUTHORIZATIONS)).toBeNull();
  });
});
