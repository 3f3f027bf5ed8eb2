import { describe, expect, it } from "vitest";
import type { OutboundFetch } from "@/lib/net/outbound-guard";
import { applicationTypeFor, chooseTokenEndpointAuthMethod, registerClient, RegistrationError } from "@/lib/mcp-servers/registration";

describe("chooseTokenEndpointAuthMethod", () => {
  it("prefers client_secret_basic, then client_secret_post, then none; absent list means basic", () => {
    expect(chooseTokenEndpointAuthMethod(["none", "client_secret_post", "client_secret_basic"])).toBe("client_secret_basic");
    expect(chooseTokenEndpointAuthMethod(["private_key_jwt", "none", "client_secret_post"])).toBe("client_secret_post");
    expect(chooseTokenEndpointAuthMethod(["none"])).toBe("none");
    expect(chooseTokenEndpointAuthMethod([])).toBe("client_secret_basic");
    expect(chooseTokenEndpointAuthMethod(["private_key_jwt"])).toBeNull();
  });
});

describe("registerClient", () => {
  it("sends application_type, the callback and the grant of the mode; returns what the AS issued", async () => {
    let sent: Record<string, unknown> = {};
    const fetcher: OutboundFetch = async (_url, init) => {
      sent = JSON.parse(String(init?.body));
      return new Response(JSON.stringify({ client_id: "c1", client_secret: "s1", token_endpoint_auth_method: "client_secret_basic" }), { status: 201 });
    };
    const c = await registerClient(fetcher, { registerUrl: "https://as/reg", redirectUri: "http://127.0.0.1:3000/oauth/callback", mode: "oauth_client_credentials", authMethod: "client_secret_basic", scopes: ["a"], clientName: "Latchkey" });
    expect(c).toEqual({ client_id: "c1", client_secret: "s1", token_endpoint_auth_method: "client_secret_basic" });
    expect(sent).toMatchObject({ application_type: "native", grant_types: ["client_credentials"], redirect_uris: ["http://127.0.0.1:3000/oauth/callback"], token_endpoint_auth_method: "client_secret_basic", scope: "a" });
    expect(applicationTypeFor("https://latchkey.example/oauth/callback")).toBe("web");
  });

  it("an RFC 7591 error comes back in words; a confidential client without a secret is refused", async () => {
    const refuse: OutboundFetch = async () => new Response(JSON.stringify({ error: "invalid_client_metadata", error_description: "bad redirect" }), { status: 400 });
    await expect(registerClient(refuse, { registerUrl: "https://as/reg", redirectUri: "https://l/cb", mode: "oauth_authorization_code", authMethod: "client_secret_post", scopes: [], clientName: "x" })).rejects.toThrow(/invalid_client_metadata: bad redirect/);
    const noSecret: OutboundFetch = async () => new Response(JSON.stringify({ client_id: "c" }), { status: 201 });
    await expect(registerClient(noSecret, { registerUrl: "https://as/reg", redirectUri: "https://l/cb", mode: "oauth_authorization_code", authMethod: "client_secret_post", scopes: [], clientName: "x" })).rejects.toThrow(RegistrationError);
  });
});
