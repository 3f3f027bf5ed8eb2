import { describe, expect, it } from "vitest";
import { unsafeEndpointUrl } from "@/lib/mcp-servers/oauth-urls";
import { canUseClientMetadata, clientMetadataDocument, isServerKey, metadataDocumentClientId, pkceRefusal } from "@/lib/mcp-servers/oauth";
import type { McpDiscoveryResult } from "@/db/schema";

describe("O10 endpoint URL check", () => {
  it.each([
    ["javascript:alert(1)", "scheme"],
    ["data:text/html,hi", "scheme"],
    ["file:///etc/passwd", "scheme"],
    ["http://as.example.com/authorize", "scheme"],
    ['https://as.example.com/a"onload="x', "characters"],
    ["https://as.example.com/`id`", "characters"],
    ["https://as.example.com/$(id)", "characters"],
    ["https://as.example.com/a\nb", "characters"],
    ["https://as.example.com/a\rb", "characters"],
    ["--help", "characters"],
    ["https://user:pw@as.example.com/auth", "credentials"],
    ["not a url", "characters"],
  ])("%j is refused (%s)", (url, reason) => {
    expect(unsafeEndpointUrl(url)).toBe(reason);
  });
  it.each(["https://as.example.com/authorize?x=1", "http://127.0.0.1:3000/auth", "http://localhost/auth", "http://[::1]:8080/token"])("%s is fine", (url) => {
    expect(unsafeEndpointUrl(url)).toBeNull();
  });
});

const discovery = (methods: string[]): McpDiscoveryResult =>
  ({ issuer: "https://as.example.com", code_challenge_methods_supported: methods }) as unknown as McpDiscoveryResult;

describe("O4 PKCE S256 required", () => {
  it("refuses metadata without S256, absent list included", () => {
    expect(pkceRefusal({ name: "X", discoveryResult: discovery([]) })).toMatch(/lists no code_challenge_methods_supported/);
    expect(pkceRefusal({ name: "X", discoveryResult: discovery(["plain"]) })).toMatch(/S256/);
    expect(pkceRefusal({ name: "X", discoveryResult: discovery(["plain", "S256"]) })).toBeNull();
  });
});

describe("server keys and the client metadata document", () => {
  it("server ids are keys, connector slugs are not", () => {
    expect(isServerKey("srv_0abc1234567890abcdefghij")).toBe(true);
    expect(isServerKey("github")).toBe(false);
    expect(isServerKey("srv_")).toBe(false);
  });
  it("the document's client_id is its own URL; only https deployments use it", () => {
    expect(clientMetadataDocument("https://lk.example.com/")).toMatchObject({ client_id: "https://lk.example.com/oauth/client-metadata.json", redirect_uris: ["https://lk.example.com/oauth/callback"] });
    expect(canUseClientMetadata("https://lk.example.com")).toBe(true);
    expect(canUseClientMetadata("http://127.0.0.1:3000")).toBe(false);
  });
  it("the document URL is the client_id only where the AS supports CIMD, on https, for a public client", () => {
    const yes = { client_id_metadata_document_supported: true };
    expect(metadataDocumentClientId(yes, "https://lk.example.com/oauth/callback", undefined)).toBe("https://lk.example.com/oauth/client-metadata.json");
    expect(metadataDocumentClientId(yes, "https://lk.example.com/oauth/callback", "public")).toBe("https://lk.example.com/oauth/client-metadata.json");
    expect(metadataDocumentClientId(yes, "https://lk.example.com/oauth/callback", "confidential")).toBeNull();
    expect(metadataDocumentClientId(yes, "http://127.0.0.1:3000/oauth/callback", undefined)).toBeNull();
    expect(metadataDocumentClientId({ client_id_metadata_document_supported: false }, "https://lk.example.com/oauth/callback", undefined)).toBeNull();
    expect(metadataDocumentClientId(null, "https://lk.example.com/oauth/callback", undefined)).toBeNull();
    // Latchkey on plain http behind a TLS proxy: the operator's document URL is the client_id.
    expect(metadataDocumentClientId(yes, "http://127.0.0.1:3000/oauth/callback", undefined, "https://lk.example.com/client.json")).toBe("https://lk.example.com/client.json");
    expect(metadataDocumentClientId(yes, "http://127.0.0.1:3000/oauth/callback", "confidential", "https://lk.example.com/client.json")).toBeNull();
    expect(clientMetadataDocument("http://127.0.0.1:3000", "https://lk.example.com/client.json").client_id).toBe("https://lk.example.com/client.json");
  });
});
