import { describe, expect, it } from "vitest";
import type { OutboundFetch } from "@/lib/net/outbound-guard";
import { OutboundError } from "@/lib/net/outbound-guard";
import { authorizationServerMetadataUrls, discoverMcpServer, parseWwwAuthenticate, protectedResourceMetadataUrls, recommendAuthMode } from "@/lib/mcp-servers/discovery";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** A fake network: exact URL → response; everything else 404; records what was asked. */
function net(routes: Record<string, () => Response>) {
  const asked: string[] = [];
  const fetcher: OutboundFetch = async (url) => {
    asked.push(String(url));
    const r = routes[String(url)];
    return r ? r() : new Response("no", { status: 404 });
  };
  return { fetcher, asked };
}

describe("parseWwwAuthenticate", () => {
  it("reads quoted and bare params of each challenge, with escapes and several schemes", () => {
    const m = parseWwwAuthenticate('Basic realm="x", Bearer resource_metadata="https://a.example/.well-known/oauth-protected-resource/mcp", scope="a b", error=invalid_token, error_description="say \\"hi\\""');
    expect(m.get("basic")).toEqual({ realm: "x" });
    expect(m.get("bearer")).toEqual({ resource_metadata: "https://a.example/.well-known/oauth-protected-resource/mcp", scope: "a b", error: "invalid_token", error_description: 'say "hi"' });
    expect(parseWwwAuthenticate(null).size).toBe(0);
    expect(parseWwwAuthenticate("Bearer").get("bearer")).toEqual({});
  });
});

describe("well-known URL orders", () => {
  it("protected resource metadata: path-aware first, then root", () => {
    expect(protectedResourceMetadataUrls("https://a.example/v1/mcp/")).toEqual(["https://a.example/.well-known/oauth-protected-resource/v1/mcp", "https://a.example/.well-known/oauth-protected-resource"]);
    expect(protectedResourceMetadataUrls("https://a.example")).toEqual(["https://a.example/.well-known/oauth-protected-resource"]);
  });
  it("authorization server metadata: MCP 2025-11-25 order with and without an issuer path", () => {
    expect(authorizationServerMetadataUrls("https://as.example/tenant1")).toEqual([
      "https://as.example/.well-known/oauth-authorization-server/tenant1",
      "https://as.example/.well-known/openid-configuration/tenant1",
      "https://as.example/tenant1/.well-known/openid-configuration",
    ]);
    expect(authorizationServerMetadataUrls("https://as.example/")).toEqual(["https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"]);
  });
});

describe("recommendAuthMode", () => {
  it("none without a challenge, token without an AS, else the grant the AS offers", () => {
    expect(recommendAuthMode({ requires_auth: false, token_url: null, grant_types_supported: [] })).toBe("none");
    expect(recommendAuthMode({ requires_auth: true, token_url: null, grant_types_supported: [] })).toBe("token");
    expect(recommendAuthMode({ requires_auth: true, token_url: "https://t", grant_types_supported: [] })).toBe("oauth_authorization_code");
    expect(recommendAuthMode({ requires_auth: true, token_url: "https://t", grant_types_supported: ["client_credentials"] })).toBe("oauth_client_credentials");
  });
});

describe("discoverMcpServer", () => {
  const as = { issuer: "https://as.example/t", authorization_endpoint: "https://as.example/t/auth", token_endpoint: "https://as.example/t/token", registration_endpoint: "https://as.example/t/reg", token_endpoint_auth_methods_supported: ["client_secret_post", "none"], grant_types_supported: ["authorization_code", "client_credentials"], code_challenge_methods_supported: ["S256"] };

  it("follows the 401's resource_metadata to the AS, prefers the challenge's scope, and reads mcp.json", async () => {
    const { fetcher, asked } = net({
      "https://mcp.example/mcp": () => json(401, { error: "unauthorized" }, { "www-authenticate": 'Bearer resource_metadata="https://mcp.example/prm", scope="api:read"' }),
      "https://mcp.example/prm": () => json(200, { resource: "https://mcp.example/mcp", authorization_servers: ["https://as.example/t"], scopes_supported: ["api:read", "api:write"] }),
      // RFC 8414 path form missing: the OpenID path-insert form answers.
      "https://as.example/.well-known/openid-configuration/t": () => json(200, as),
      "https://mcp.example/.well-known/mcp.json": () => json(200, { name: "demo" }),
    });
    const r = await discoverMcpServer("https://mcp.example/mcp", fetcher);
    expect(r).toMatchObject({
      requires_auth: true,
      recommended_auth_mode: "oauth_authorization_code",
      resource: "https://mcp.example/mcp",
      resource_metadata_url: "https://mcp.example/prm",
      authorization_servers: ["https://as.example/t"],
      issuer: "https://as.example/t",
      auth_url: "https://as.example/t/auth",
      token_url: "https://as.example/t/token",
      register_url: "https://as.example/t/reg",
      scopes: ["api:read"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "none"],
      mcp_json: { name: "demo" },
      errors: [],
    });
    expect(asked).toEqual([
      "https://mcp.example/mcp",
      "https://mcp.example/prm",
      "https://as.example/.well-known/oauth-authorization-server/t",
      "https://as.example/.well-known/openid-configuration/t",
      "https://mcp.example/.well-known/mcp.json",
    ]);
  });

  it("falls back to the well-known PRM URLs without a header, and rejects metadata for another issuer", async () => {
    const { fetcher } = net({
      "https://mcp.example/v1/mcp": () => new Response("", { status: 401 }),
      "https://mcp.example/.well-known/oauth-protected-resource": () => json(200, { resource: "https://mcp.example/v1/mcp", authorization_servers: ["https://as.example/t"] }),
      "https://as.example/.well-known/oauth-authorization-server/t": () => json(200, { ...as, issuer: "https://evil.example/t" }),
      "https://as.example/t/.well-known/openid-configuration": () => json(200, as),
    });
    const r = await discoverMcpServer("https://mcp.example/v1/mcp", fetcher);
    expect(r.resource_metadata_url).toBe("https://mcp.example/.well-known/oauth-protected-resource");
    expect(r.token_url).toBe("https://as.example/t/token");
    expect(r.tried.find((t) => t.url.includes("oauth-authorization-server"))?.outcome).toMatch(/does not match/);
    expect(r.tried.map((t) => t.url)).toContain("https://mcp.example/.well-known/oauth-protected-resource/v1/mcp");
  });

  it("a server that lets anyone initialize but challenges the tool list needs auth, with the challenge's scope", async () => {
    const seen: { method: string; session: string | null }[] = [];
    const fetcher: OutboundFetch = async (url, init) => {
      const u = String(url);
      if (u === "https://mcp.example/mcp") {
        const method = (JSON.parse(String(init?.body)) as { method: string }).method;
        seen.push({ method, session: (init?.headers as Record<string, string>)["mcp-session-id"] ?? null });
        if (method === "initialize") return json(200, { jsonrpc: "2.0", id: 1, result: {} }, { "mcp-session-id": "s-1" });
        return json(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer scope="mcp:basic", resource_metadata="https://mcp.example/prm"' });
      }
      if (u === "https://mcp.example/prm") return json(200, { resource: "https://mcp.example/mcp", authorization_servers: ["https://as.example/t"], scopes_supported: ["mcp:profile"] });
      if (u === "https://as.example/.well-known/oauth-authorization-server/t") return json(200, as);
      return new Response("no", { status: 404 });
    };
    const r = await discoverMcpServer("https://mcp.example/mcp", fetcher);
    expect(seen).toEqual([{ method: "initialize", session: null }, { method: "tools/list", session: "s-1" }]);
    expect(r.requires_auth).toBe(true);
    // The challenge's scope wins over scopes_supported (MCP scope selection strategy).
    expect(r.scopes).toEqual(["mcp:basic"]);
    expect(r.token_url).toBe("https://as.example/t/token");
  });

  it("a server that answers without auth needs none; one that publishes nothing says what it tried", async () => {
    const open = net({ "https://open.example/mcp": () => json(200, { jsonrpc: "2.0", id: 1, result: {} }) });
    expect(await discoverMcpServer("https://open.example/mcp", open.fetcher)).toMatchObject({ requires_auth: false, recommended_auth_mode: "none", errors: [] });
    const closed = net({ "https://closed.example/mcp": () => new Response("", { status: 401 }) });
    const r = await discoverMcpServer("https://closed.example/mcp", closed.fetcher);
    expect(r).toMatchObject({ requires_auth: true, recommended_auth_mode: "token" });
    expect(r.errors.join(" ")).toMatch(/No protected resource metadata/);
    expect(r.tried.length).toBeGreaterThanOrEqual(3);
  });

  it("a refused server URL is the caller's error; a refused metadata URL is a recorded miss", async () => {
    const refuse: OutboundFetch = async (url) => {
      if (String(url).startsWith("https://10.")) throw new OutboundError("blocked_address", "private");
      return new Response("", { status: 401, headers: { "www-authenticate": 'Bearer resource_metadata="https://10.0.0.1/prm"' } });
    };
    await expect(discoverMcpServer("https://10.0.0.1/mcp", refuse)).rejects.toThrow(OutboundError);
    const r = await discoverMcpServer("https://ok.example/mcp", refuse);
    expect(r.tried.find((t) => t.url === "https://10.0.0.1/prm")?.outcome).toMatch(/blocked_address/);
  });
});
