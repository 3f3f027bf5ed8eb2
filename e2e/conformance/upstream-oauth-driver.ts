// The MCP conformance suite's client under test (`conformance client --suite auth --command …`):
// Latchkey's upstream OAuth client run headlessly against the harness's mock MCP server and AS.
// Discovery, PKCE refusal (O4), the Client ID Metadata Document choice, DCR, the authorization
// request, the token request, the endpoint checks (O10), the upstream MCP client and scope
// step-up (a 403 insufficient_scope → authorize again with the union, bounded) are the
// product's own code; only storage (Link, connections) is left out. The harness's authorization
// endpoint redirects at once, so the code is read from the redirect without a browser.
// Usage: tsx upstream-oauth-driver.ts <server-url>
import { randomBytes } from "node:crypto";
import { Agent } from "undici";
import { discoverMcpServer } from "@/lib/mcp-servers/discovery";
import { metadataDocumentClientId } from "@/lib/mcp-servers/oauth";
import { authorizationUrl, pkceRefusal, tokenRequestFor, type ClientFields } from "@/lib/mcp-servers/oauth-client";
import { chooseTokenEndpointAuthMethod, registerClient } from "@/lib/mcp-servers/registration";
import { nextAuthorizationScopes } from "@/lib/mcp-servers/scopes";
import { UpstreamClient, UpstreamError } from "@/lib/mcp-servers/upstream";
import type { OutboundFetch } from "@/lib/net/outbound-guard";

const serverUrl = process.argv.at(-1)!;
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? "";
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? "{}") as { client_id?: string; client_secret?: string };
const REDIRECT_URI = "http://127.0.0.1:39999/oauth/callback";
// The document URL the harness expects, standing in for the operator's LATCHKEY_CLIENT_METADATA_URL.
const CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json";

// The harness runs on loopback; the product's outbound guard is the deployment's concern, not the OAuth client's.
const fetcher: OutboundFetch = (url, init) => fetch(url, { method: init?.method ?? "GET", headers: init?.headers ?? {}, body: (init?.body ?? null) as BodyInit | null, redirect: init?.redirect ?? "follow" });

/** Lists the tools and calls the first, through the same client Latchkey uses for every upstream. */
async function connectAndCall(token: string | null) {
  const client = new UpstreamClient({ id: `srv_conformance${process.pid}`, url: serverUrl, slug: "upstream" }, new Agent(), { headers: async (): Promise<Record<string, string>> => (token ? { authorization: `Bearer ${token}` } : {}), rejected: () => {} });
  try {
    const listed = await client.rpc("tools/list", {});
    const first = Array.isArray(listed.tools) ? (listed.tools[0] as { name?: unknown } | undefined) : undefined;
    if (typeof first?.name === "string") await client.rpc("tools/call", { name: first.name, arguments: {} });
  } finally {
    client.close();
  }
}

async function main() {
  const d = await discoverMcpServer(serverUrl, fetcher);
  if (!d.requires_auth) return connectAndCall(null);
  const refusal = pkceRefusal({ name: "server", discoveryResult: d });
  if (refusal && !scenario.includes("client-credentials")) throw new Error(refusal);
  if (d.errors.length) console.error(`discovery: ${d.errors.join(" ")}`);

  const fields: ClientFields = { name: "server", authUrl: d.auth_url, tokenUrl: d.token_url, clientId: context.client_id ?? null, scopes: d.scopes, resource: d.resource, tokenEndpointAuthMethod: null };
  let secret = context.client_secret ?? null;
  if (scenario.includes("client-credentials")) {
    fields.tokenEndpointAuthMethod = chooseTokenEndpointAuthMethod(d.token_endpoint_auth_methods_supported);
    const t = await tokenRequestFor(fields, secret, { grant_type: "client_credentials", ...(d.scopes.length ? { scope: d.scopes.join(" ") } : {}) }, fetcher);
    return connectAndCall(t.access_token);
  }
  if (fields.clientId) {
    fields.tokenEndpointAuthMethod = secret ? chooseTokenEndpointAuthMethod(d.token_endpoint_auth_methods_supported) : "none";
  } else if ((fields.clientId = metadataDocumentClientId(d, REDIRECT_URI, undefined, CLIENT_METADATA_URL))) {
    fields.tokenEndpointAuthMethod = "none";
  } else {
    if (!d.register_url) throw new Error("no registration endpoint and no client_id");
    const method = chooseTokenEndpointAuthMethod(d.token_endpoint_auth_methods_supported);
    if (!method) throw new Error("no supported token endpoint auth method");
    const reg = await registerClient(fetcher, { registerUrl: d.register_url, redirectUri: REDIRECT_URI, mode: "oauth_authorization_code", authMethod: method, scopes: d.scopes, clientName: "Latchkey conformance driver" });
    fields.clientId = reg.client_id;
    fields.tokenEndpointAuthMethod = reg.token_endpoint_auth_method;
    secret = reg.client_secret;
  }

  // Authorize, call; on a scope challenge authorize again with the union, as long as the product's rule allows.
  for (let authorizations = 1; ; authorizations++) {
    const token = await authorize(fields, secret, d.issuer);
    try {
      return await connectAndCall(token);
    } catch (err) {
      if (!(err instanceof UpstreamError) || err.code !== "insufficient_scope") throw err;
      const next = nextAuthorizationScopes(fields.scopes, err.requiredScopes ?? [], authorizations);
      if (!next) throw err;
      fields.scopes = next;
    }
  }
}

async function authorize(fields: ClientFields, secret: string | null, issuer: string | null): Promise<string> {
  const state = randomBytes(16).toString("base64url");
  const verifier = randomBytes(32).toString("base64url");
  const res = await fetch(authorizationUrl(fields, { redirectUri: REDIRECT_URI, state, verifier }), { redirect: "manual" });
  const location = res.headers.get("location");
  if (!location) throw new Error(`the authorization endpoint answered HTTP ${res.status} without a redirect`);
  const back = new URL(location, REDIRECT_URI);
  if (back.searchParams.get("state") !== state) throw new Error("state mismatch");
  // RFC 9207: an `iss` must be the issuer discovery verified.
  const iss = back.searchParams.get("iss");
  if (iss !== null && iss !== issuer) throw new Error("issuer mismatch");
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code (${back.searchParams.get("error") ?? "no error"})`);
  const tokens = await tokenRequestFor(fields, secret, { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, fetcher);
  return tokens.access_token;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
