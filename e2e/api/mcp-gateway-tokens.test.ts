// MCP URL 3 (issue 4, item 4): /mcp/{tool_pack_slug} with a gateway token in Authorization
// (service token, a registered user's personal token, or a JWT from the team's IdP, here a real
// oidc-provider), through the production server with the real MCP SDK client.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { client as httpClient } from "../helpers/http";
import { startAuthServer, type LocalAuthServer } from "../helpers/oidc";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
const ACCEPT = "application/json, text/event-stream";
const SHARED_KEY = "sk_test_sharedenv000000001";
let server: TestServer;
let http: ReturnType<typeof httpClient>;
let key: CreatedKey;
let auth: LocalAuthServer;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let githubApi: Awaited<ReturnType<typeof serveSandbox>>;
let slug = "";

const mcpUrl = (s = slug) => `${server.url}/mcp/${s}`;

async function connect(token: string, url = mcpUrl()) {
  const c = new Client({ name: "gateway-test", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return c;
}

/** A legacy-era initialize with raw fetch; returns the response and its session id. */
async function initialize(token: string | null, url = mcpUrl(), extra: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: ACCEPT, ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
  });
  return { res, sid: res.headers.get("mcp-session-id") };
}

function callTool(token: string, sid: string, name: string, args: Record<string, unknown> = {}, url = mcpUrl()) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: ACCEPT, authorization: `Bearer ${token}`, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name, arguments: args } }),
  });
}

const lastStripeAuth = () => stripeApi.requests.at(-1)?.headers.authorization;

async function registeredUser(originUserId: string, stripeKey?: string) {
  const ru = await http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: originUserId } });
  expect([200, 201]).toContain(ru.status);
  if (stripeKey) {
    const conn = await http.post(`/api/v1/registered-users/${ru.body.id}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: stripeKey } } });
    expect(conn.status).toBe(201);
  }
  return ru.body.id as string;
}

async function userToken(ru: string, json: Record<string, unknown> = {}) {
  const r = await http.post(`/api/v1/registered-users/${ru}/tokens`, { key: key.secret, json });
  expect(r.status).toBe(201);
  return r.body as { id: string; token: string; expires_at: string | null; prefix: string };
}

async function serviceToken(name: string, apiKey = key.secret) {
  const r = await http.post("/api/v1/gateway-tokens", { key: apiKey, json: { name } });
  expect(r.status).toBe(201);
  return r.body as { id: string; token: string; prefix: string };
}

/** A JWT access token (RFC 9068, audience = the resource) that oidc-provider issues for `login`. */
async function idpJwt(login: string) {
  const oauthClient = await auth.registerClient();
  const t = await auth.authorize(oauthClient, "openid", login);
  expect(t.access_token.split(".")).toHaveLength(3);
  return t.access_token;
}

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  githubApi = await serveSandbox(createGithubSandbox());
  auth = await startAuthServer();
  // The IdP is on loopback over http: only its host:port is allowlisted, as an operator would.
  server = await startServer({ db, env: { LATCHKEY_OUTBOUND_ALLOWLIST: new URL(auth.issuer).host } });
  http = httpClient(server.url);
  key = await createApiKeyViaCli(server, "test", "gateway");
  for (const [connector, url] of [["stripe", stripeApi.url], ["github", githubApi.url]] as const) {
    expect((await http.req(`/api/v1/connectors/${connector}/config`, { method: "PATCH", key: key.secret, json: { base_url: url } })).status).toBe(200);
  }
  const pack = await http.post("/api/v1/tool-packs", {
    key: key.secret,
    json: { name: "Gateway agent", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }, { connector: "github", tools: ["github_get_authenticated_user"] }] },
  });
  expect(pack.status).toBe(201);
  slug = pack.body.slug;
  // The environment's own (shared) Stripe connection: what a service token uses.
  const shared = await http.post("/api/v1/environment/connections", { key: key.secret, json: { connector: "stripe", credentials: { secret_key: SHARED_KEY } } });
  expect(shared.status).toBe(201);
  expect(shared.body).toMatchObject({ owner_type: "environment", registered_user_id: null, connector: "stripe" });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await auth?.close();
  await stripeApi?.close();
  await githubApi?.close();
  cleanupTempDirs();
});

describe(`MCP URL 3: service tokens [${db}]`, () => {
  it("created by REST (shown once, never listed); serves the pack on the shared connection only, without authenticate_meta", async () => {
    const created = await serviceToken("support bot");
    expect(created).toMatchObject({ object: "gateway_token", name: "support bot", status: "active", environment_id: expect.stringMatching(/^env_/) });
    expect(created.token).toMatch(/^lk_svc_[0-9A-Za-z]{43}$/);
    expect(created.id).toMatch(/^gwt_[0-9a-z]{22}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const list = await http.get("/api/v1/gateway-tokens", { key: key.secret });
    expect(list.body.data.map((t: { id: string }) => t.id)).toContain(created.id);
    expect(list.text).not.toContain(created.token);
    expect((await http.get(`/api/v1/gateway-tokens/${created.id}`, { key: key.secret })).body).not.toHaveProperty("token");

    const c = await connect(created.token);
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(["stripe_get_balance", "github_get_authenticated_user"]);
    const balance = await c.callTool({ name: "stripe_get_balance", arguments: {} });
    expect(balance.isError).toBeFalsy();
    expect(lastStripeAuth()).toBe(`Bearer ${SHARED_KEY}`);
    // No end user, so no link: the failure stays a tool result, not McpAuthRequiredError.
    const gh = await c.callTool({ name: "github_get_authenticated_user", arguments: {} });
    expect(gh.isError).toBe(true);
    expect(gh.structuredContent).toMatchObject({ code: "authentication_required", connector: "github" });
    expect(gh.structuredContent).not.toHaveProperty("link_url");
    await c.close();

    let lastUsed: string | null = null;
    for (let i = 0; i < 20 && !lastUsed; i++) {
      lastUsed = (await http.get(`/api/v1/gateway-tokens/${created.id}`, { key: key.secret })).body.last_used_at;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 100));
    }
    expect(lastUsed).not.toBeNull();
  });

  it("revoked: refused with 401 within a second, also inside a live session; revoking again is idempotent", async () => {
    const t = await serviceToken("short-lived");
    const { sid } = await initialize(t.token);
    expect((await callTool(t.token, sid!, "stripe_get_balance")).status).toBe(200);
    const revoked = await http.del(`/api/v1/gateway-tokens/${t.id}`, { key: key.secret });
    expect(revoked.body).toMatchObject({ status: "revoked", revoked_at: expect.any(String) });
    const t0 = Date.now();
    const after = await callTool(t.token, sid!, "stripe_get_balance");
    expect(after.status).toBe(401);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(after.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await after.json()).error.code).toBe("unauthorized");
    expect((await http.del(`/api/v1/gateway-tokens/${t.id}`, { key: key.secret })).status).toBe(200);
    expect((await http.get("/api/v1/gateway-tokens", { key: key.secret })).body.data.map((x: { id: string }) => x.id)).not.toContain(t.id);
    expect((await http.get("/api/v1/gateway-tokens?include_revoked=true", { key: key.secret })).body.data.map((x: { id: string }) => x.id)).toContain(t.id);
  });

  it("an expired service token is refused", async () => {
    const r = await http.post("/api/v1/gateway-tokens", { key: key.secret, json: { name: "expiring", expires_at: new Date(Date.now() + 1500).toISOString() } });
    expect(r.status).toBe(201);
    await new Promise((res) => setTimeout(res, 1700));
    expect((await initialize(r.body.token)).res.status).toBe(401);
    expect((await http.get(`/api/v1/gateway-tokens/${r.body.id}`, { key: key.secret })).body.status).toBe("expired");
  });
});

describe(`MCP URL 3: personal tokens of registered users [${db}]`, () => {
  it("serves the user's own connection (the provider receives that user's credential); list and revoke", async () => {
    const ru = await registeredUser("gw-alice", "sk_test_gwalice0000000001");
    const t = await userToken(ru, { name: "alice's agent", expires_in: 3600 });
    expect(t.token).toMatch(/^lk_pat_[0-9A-Za-z]{43}$/);
    expect(t.id).toMatch(/^ut_/);
    expect(Math.abs(Date.parse(t.expires_at!) - (Date.now() + 3600_000))).toBeLessThan(60_000);

    const c = await connect(t.token);
    expect((await c.listTools()).tools.map((x) => x.name)).toEqual(["stripe_get_balance", "github_get_authenticated_user", "authenticate_meta"]);
    const balance = await c.callTool({ name: "stripe_get_balance", arguments: {} });
    expect(balance.isError).toBeFalsy();
    expect(lastStripeAuth()).toBe("Bearer sk_test_gwalice0000000001");

    // Another user's token on the same URL uses that user's credential.
    const bobRu = await registeredUser("gw-bob", "sk_test_gwbob000000000001");
    const bob = await connect((await userToken(bobRu)).token);
    await bob.callTool({ name: "stripe_get_balance", arguments: {} });
    expect(lastStripeAuth()).toBe("Bearer sk_test_gwbob000000000001");
    await bob.close();

    const list = await http.get(`/api/v1/registered-users/${ru}/tokens`, { key: key.secret });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ id: t.id, object: "registered_user_token", registered_user_id: ru, name: "alice's agent", status: "active" })]);
    expect(list.text).not.toContain(t.token);

    const revoked = await http.del(`/api/v1/registered-users/${ru}/tokens/${t.id}`, { key: key.secret });
    expect(revoked.body).toMatchObject({ id: t.id, status: "revoked" });
    await expect(c.callTool({ name: "stripe_get_balance", arguments: {} })).rejects.toThrow();
    expect((await initialize(t.token)).res.status).toBe(401);
    // A token id under another user is not found.
    expect((await http.del(`/api/v1/registered-users/${bobRu}/tokens/${t.id}`, { key: key.secret })).status).toBe(404);
  });

  it("McpAuthRequiredError: a user with no connection gets HTTP 401 with authorization_urls and server_names (URL 2 keeps the tool result)", async () => {
    const ru = await registeredUser("gw-needs-github");
    const t = await userToken(ru);
    const { sid } = await initialize(t.token);
    const before = githubApi.requests.length;
    const res = await callTool(t.token, sid!, "github_get_authenticated_user");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(body).toEqual({
      error: { type: "McpAuthRequiredError", code: "authentication_required", message: expect.stringContaining("GitHub") },
      authorization_urls: { github: expect.stringMatching(/\/link#link_token=lk_link_/) },
      server_names: { github: "GitHub" },
      message: expect.any(String),
    });
    expect(githubApi.requests.length).toBe(before);

    // The modern era answers the same way.
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
    const modern = await fetch(mcpUrl(), {
      method: "POST",
      headers: { "content-type": "application/json", accept: ACCEPT, authorization: `Bearer ${t.token}`, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "github_get_authenticated_user" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "github_get_authenticated_user", arguments: {}, _meta: meta } }),
    });
    expect(modern.status).toBe(401);
    expect((await modern.json()).error.type).toBe("McpAuthRequiredError");

    // The SDK client surfaces it as an HTTP 401 error carrying the body.
    const c = await connect(t.token);
    await expect(c.callTool({ name: "github_get_authenticated_user", arguments: {} })).rejects.toMatchObject({ code: 401, message: expect.stringContaining("McpAuthRequiredError") });
    await c.close();

    // URL 2 for the same pack and user: unchanged, a tool result with the link.
    const packId = (await http.get("/api/v1/tool-packs", { key: key.secret })).body.data.find((p: { slug: string }) => p.slug === slug).id;
    const inst = await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "gw-needs-github" } });
    const viaInstance = await connect("unused", inst.body.url);
    const result = await viaInstance.callTool({ name: "github_get_authenticated_user", arguments: {} });
    expect(result.structuredContent).toMatchObject({ code: "authentication_required", link_url: expect.stringContaining("/link#link_token=") });
    await viaInstance.close();
  });
});

describe(`MCP URL 3: JWTs from the team's identity provider (oidc-provider) [${db}]`, () => {
  it("an environment without IdP settings refuses JWTs; settings are validated by REST", async () => {
    const jwt = await idpJwt("idp-early");
    expect((await initialize(jwt)).res.status).toBe(401);
    const empty = await http.get("/api/v1/environment/settings", { key: key.secret });
    expect(empty.body).toMatchObject({ object: "environment_settings", idp: null });
    for (const jwks_url of ["http://idp.example.com/jwks", "https://10.0.0.1/jwks", "https://169.254.169.254/jwks"]) {
      const bad = await http.req("/api/v1/environment/settings", { method: "PATCH", key: key.secret, json: { idp: { issuer: auth.issuer, jwks_url, audience: auth.resource } } });
      expect(bad.status, jwks_url).toBe(422);
      expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["idp.jwks_url"]);
    }
  });

  it("verifies issuer, audience and signature; auto_create_users off → 401 for unknown users, on → the user is created; known users use their own connection", async () => {
    const patch = (idp: Record<string, unknown> | null) => http.req("/api/v1/environment/settings", { method: "PATCH", key: key.secret, json: { idp } });
    const idp = { issuer: auth.issuer, jwks_url: `${auth.issuer}/jwks`, audience: auth.resource, auto_create_users: false };
    const saved = await patch(idp);
    expect(saved.status).toBe(200);
    expect(saved.body.idp).toEqual({ ...idp, user_claim: "sub" });

    // Unknown user, auto-create off: 401, nothing created.
    const daveJwt = await idpJwt("idp-dave");
    expect((await initialize(daveJwt)).res.status).toBe(401);
    expect((await http.get("/api/v1/registered-users?search=idp-dave", { key: key.secret })).body.data).toEqual([]);

    // A known user: their own connection.
    await registeredUser("idp-carol", "sk_test_idpcarol000000001");
    const carol = await connect(await idpJwt("idp-carol"));
    expect((await carol.listTools()).tools.map((t) => t.name)).toContain("authenticate_meta");
    expect((await carol.callTool({ name: "stripe_get_balance", arguments: {} })).isError).toBeFalsy();
    expect(lastStripeAuth()).toBe("Bearer sk_test_idpcarol000000001");
    await carol.close();

    // Auto-create on: the same token now works and the registered user exists.
    expect((await patch({ ...idp, auto_create_users: true })).status).toBe(200);
    const dave = await connect(daveJwt);
    expect((await dave.callTool({ name: "stripe_get_balance", arguments: {} })).isError).toBeFalsy();
    // No connection of their own: the environment's shared one.
    expect(lastStripeAuth()).toBe(`Bearer ${SHARED_KEY}`);
    await expect(dave.callTool({ name: "github_get_authenticated_user", arguments: {} })).rejects.toMatchObject({ code: 401 });
    await dave.close();
    const created = (await http.get("/api/v1/registered-users?search=idp-dave", { key: key.secret })).body.data;
    expect(created).toEqual([expect.objectContaining({ origin_user_id: "idp-dave" })]);

    // Tampered signature, or a token for another audience: refused.
    const [h, p, s] = daveJwt.split(".");
    expect((await initialize(`${h}.${p}.${s!.startsWith("A") ? "B" : "A"}${s!.slice(1)}`)).res.status).toBe(401);
    expect((await patch({ ...idp, audience: "https://not-this-api.example/" })).status).toBe(200);
    expect((await initialize(daveJwt)).res.status).toBe(401);
    // Another issuer claimed: no environment trusts it.
    expect((await patch({ ...idp, issuer: "https://someone-else.example/" })).status).toBe(200);
    expect((await initialize(daveJwt)).res.status).toBe(401);
    // Removed: refused again.
    expect((await patch({ ...idp, auto_create_users: true })).status).toBe(200);
    expect((await initialize(daveJwt)).res.status).toBe(200);
    expect((await patch(null)).body.idp).toBeNull();
    expect((await initialize(daveJwt)).res.status).toBe(401);
  });
});

describe(`MCP URL 3: scoping [${db}]`, () => {
  it("no or foreign credentials → 401 with a Bearer challenge; unknown slug → 404; another environment's token → 404", async () => {
    const anon = await initialize(null);
    expect(anon.res.status).toBe(401);
    expect(anon.res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await anon.res.json()).error.code).toBe("unauthorized");
    // An API key is not a gateway token; neither is an instance URL token or junk.
    for (const bogus of [key.secret, `lk_mcp_${"a".repeat(43)}`, `lk_svc_${"a".repeat(43)}`, "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"]) {
      expect((await initialize(bogus)).res.status, bogus.slice(0, 12)).toBe(401);
    }

    // Not an MCP path at all: a 404, never a 500.
    expect((await fetch(`${server.url}/mcp/i/abc/def`, { method: "POST" })).status).toBe(404);

    const t = await serviceToken("scoping");
    const missing = await initialize(t.token, mcpUrl("no-such-pack"));
    expect(missing.res.status).toBe(404);
    expect((await missing.res.json()).error.code).toBe("not_found");
    expect((await initialize(t.token, mcpUrl("Not A Slug"))).res.status).toBe(404);
    const mismatch = await initialize(t.token, mcpUrl(), { "latchkey-environment": "env_0000000000000000000000" });
    expect(mismatch.res.status).toBe(401);
    expect((await mismatch.res.json()).error.code).toBe("environment_mismatch");

    // Production's tokens never see the test environment's pack.
    const live = await createApiKeyViaCli(server, "production", "gateway-live");
    const liveSvc = await serviceToken("live bot", live.secret);
    expect((await initialize(liveSvc.token)).res.status).toBe(404);
    const liveRu = await http.post("/api/v1/registered-users", { key: live.secret, json: { origin_user_id: "live-user" } });
    const liveUser = await http.post(`/api/v1/registered-users/${liveRu.body.id}/tokens`, { key: live.secret, json: {} });
    expect((await initialize(liveUser.body.token)).res.status).toBe(404);
    // And the test environment's key cannot manage production's tokens.
    expect((await http.get(`/api/v1/gateway-tokens/${liveSvc.id}`, { key: key.secret })).status).toBe(404);
    expect((await http.del(`/api/v1/gateway-tokens/${liveSvc.id}`, { key: key.secret })).status).toBe(404);
    expect((await http.get(`/api/v1/registered-users/${liveRu.body.id}/tokens`, { key: key.secret })).status).toBe(404);
  });

  it("a session minted for one token is refused with another (404) and never reaches the provider", async () => {
    const a = await serviceToken("session-a");
    const b = await serviceToken("session-b");
    const ru = await registeredUser("session-user", "sk_test_sessionuser000001");
    const u = await userToken(ru);
    const { sid } = await initialize(a.token);
    expect(sid).toBeTruthy();
    const before = stripeApi.requests.length;
    expect((await callTool(b.token, sid!, "stripe_get_balance")).status).toBe(404);
    expect((await callTool(u.token, sid!, "stripe_get_balance")).status).toBe(404);
    expect(stripeApi.requests.length).toBe(before);
    expect((await callTool(a.token, sid!, "stripe_get_balance")).status).toBe(200);
  });
});
