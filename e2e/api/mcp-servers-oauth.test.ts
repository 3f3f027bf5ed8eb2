// Bring your own MCP server (issue 6), the OAuth part, through the production server: a real
// oidc-provider AS (resource indicators, DCR, PKCE S256 only) and SDK MCP servers on 127.0.0.1
// that accept only JWTs whose audience is themselves. Every auth mode end to end through a real
// MCP SDK client on Latchkey's MCP URL: DCR + public PKCE per user (connected through Link),
// a pre-registered confidential client (gateway-token URL → McpAuthRequiredError), client
// credentials shared, a static token. Plus O4 (no PKCE S256 → refused, no redirect), O9 (audience,
// no passthrough) and O10 (unsafe endpoint URLs refused before any redirect).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../helpers/http";
import { startAuthServer, type LocalAuthServer } from "../helpers/oidc";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";
import { startUpstreamMcp, type UpstreamMcp } from "../helpers/upstream-mcp";

const db = TEST_DB;
const ACCESS_TTL = 12;
let server: TestServer;
let api: ReturnType<typeof client>;
let key: CreatedKey;
let upstream: UpstreamMcp;
let other: UpstreamMcp;
let as: LocalAuthServer;
let bad: { url: string; issuer: string; meta: Record<string, unknown>; hits: string[]; close(): Promise<void> };

/** Tokens a client handed to Latchkey: none may ever reach an upstream. */
const clientSecrets: string[] = [];

/** An MCP server whose AS metadata the test controls (O4, O10): records every path it is asked for. */
async function startBadAs() {
  const hits: string[] = [];
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const state = {
    url: `${origin}/mcp`,
    issuer: origin,
    hits,
    meta: {} as Record<string, unknown>,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
  const base = () => ({ issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, response_types_supported: ["code"], grant_types_supported: ["authorization_code"], token_endpoint_auth_methods_supported: ["none"] });
  srv.on("request", (req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/mcp") return void res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"` }).end();
    if (req.url === "/.well-known/oauth-protected-resource/mcp") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ resource: state.url, authorization_servers: [origin] }));
    if (req.url === "/.well-known/oauth-authorization-server") {
      const m: Record<string, unknown> = { ...base(), ...state.meta };
      for (const k of Object.keys(m)) if (m[k] === undefined) delete m[k];
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(m));
    }
    res.writeHead(404).end();
  });
  return state;
}

beforeAll(async () => {
  upstream = await startUpstreamMcp({ scopes: ["api:read"], toolScopes: { publish: "api:write" } });
  other = await startUpstreamMcp({ scopes: ["api:read"] });
  as = await startAuthServer({ resource: upstream.url, clientCredentials: true, accessTokenTtl: ACCESS_TTL });
  upstream.setIssuer(as.issuer);
  other.setIssuer(as.issuer);
  bad = await startBadAs();
  const ports = [as.issuer, upstream.url, other.url, bad.url].map((u) => `127.0.0.1:${new URL(u).port}`);
  server = await startServer({ db, env: { LATCHKEY_OUTBOUND_ALLOWLIST: ports.join(",") } });
  api = client(server.url);
  key = await createApiKeyViaCli(server, "test", "mcp-servers-oauth");
  clientSecrets.push(key.secret);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  await other?.close();
  await as?.close();
  await bad?.close();
  cleanupTempDirs();
});

type ToolResult = { content: { type: string; text: string }[]; structuredContent?: Record<string, any>; isError?: boolean };

async function createServer(json: Record<string, unknown>) {
  const r = await api.post("/api/v1/mcp-servers", { key: key.secret, json });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

async function packFor(slug: string, tools: string[] | "*" = "*") {
  const r = await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: `Pack ${slug}`, entries: [{ server: slug, tools }] } });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; slug: string };
}

/** URL 1: the per-user instance URL of a pack (the registered user is created on the way). */
async function instanceFor(packId: string, user: string) {
  const r = await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: user } });
  expect(r.status, r.text).toBeLessThan(300);
  clientSecrets.push(new URL(r.body.url).pathname.split("/").pop()!);
  return r.body as { url: string; registered_user_id: string };
}

async function mcpClient(url: string, headers: Record<string, string> = {}) {
  const c = new Client({ name: "oauth-test", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return c;
}

const call = (c: Client, name: string, args: Record<string, unknown>) => c.callTool({ name, arguments: args }) as Promise<ToolResult>;

let ipN = 0;
const newIp = () => `198.18.${Math.floor(++ipN / 250)}.${(ipN % 250) + 1}`;
const browser = (cookie: string) => ({ cookie, origin: server.url, "x-forwarded-for": newIp() });

/** Link as a browser without JS: redeem the link's token, start the OAuth flow for `connector`. */
async function linkStart(linkUrl: string, connector: string) {
  const token = new URL(linkUrl).hash.replace(/^#link_token=/, "");
  const redeem = await api.post("/api/link/redeem", { json: { link_token: token }, headers: { "x-forwarded-for": newIp() } });
  expect(redeem.status, redeem.text).toBe(200);
  const set = redeem.headers.getSetCookie().find((c) => /^(__Host-)?lk_link=/.test(c))!;
  const cookie = set.split(";")[0]!;
  const view = await api.get("/api/link/session", { headers: browser(cookie) });
  const start = await api.post("/api/link/oauth/start", { json: { connector }, headers: browser(cookie) });
  return { cookie, view: view.body, start };
}

/** The AS side, as a person would do it: oidc-provider's dev login and consent forms, until it redirects to Latchkey's callback. */
async function approveAtAs(authorizeUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  let url = authorizeUrl;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, { redirect: "manual", headers: { cookie: cookieHeader() } });
    keep(res);
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get("location")!, url);
      if (loc.toString().startsWith(`${server.url}/oauth/callback`)) return loc;
      url = loc.toString();
      continue;
    }
    const html = await res.text();
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    const action = /action="([^"]+)"/.exec(html)?.[1];
    if (!prompt || !action) throw new Error(`unexpected AS page (HTTP ${res.status}): ${html.slice(0, 300)}`);
    const form: Record<string, string> = prompt === "login" ? { prompt, login, password: "x" } : { prompt };
    const post = await fetch(new URL(action, url), { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader() }, body: new URLSearchParams(form).toString() });
    keep(post);
    url = new URL(post.headers.get("location")!, url).toString();
  }
  throw new Error("the AS never redirected back");
}

/** Link → AS → Latchkey's callback; returns where the callback sent the browser. */
async function connectThroughLink(linkUrl: string, serverId: string, login: string) {
  const { cookie, view, start } = await linkStart(linkUrl, serverId);
  expect(view.connectors.map((c: { slug: string }) => c.slug)).toContain(serverId);
  expect(start.status, start.text).toBe(200);
  const authorize = new URL(start.body.authorize_url);
  // RFC 8707 resource exactly as the server publishes it; PKCE S256; the exact redirect URI.
  expect(authorize.searchParams.get("resource")).toBe(upstream.url);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("redirect_uri")).toBe(`${server.url}/oauth/callback`);
  const cb = await approveAtAs(authorize.toString(), login);
  expect(cb.searchParams.get("iss")).toBe(as.issuer);
  const back = await api.get(`${cb.pathname}${cb.search}`, { headers: { cookie, "x-forwarded-for": newIp() } });
  expect(back.status).toBe(303);
  return new URL(back.headers.get("location")!);
}

function expectOnlyAudienceBoundTokens(up: UpstreamMcp, from: number) {
  const seen = up.seen.slice(from);
  expect(seen.length).toBeGreaterThan(0);
  for (const t of seen) {
    expect(decodeJwt(t.token).iss).toBe(as.issuer);
    for (const s of clientSecrets) expect(t.token).not.toContain(s);
  }
}

describe(`MCP servers, upstream OAuth [${db}]`, () => {
  let perUser: { id: string; auth: Record<string, unknown> };

  it("oauth_authorization_code without client_id: discovery, DCR of a public client (none), pkce public, credential_mode per_user", async () => {
    perUser = await createServer({ name: "Per user", slug: "peruser", url: upstream.url, auth: { mode: "oauth_authorization_code", pkce: "public" } });
    expect(perUser.auth).toMatchObject({
      mode: "oauth_authorization_code",
      pkce: "public",
      credential_mode: "per_user",
      client_registered: true,
      token_endpoint_auth_method: "none",
      has_client_secret: false,
      auth_url: `${as.issuer}/auth`,
      token_url: `${as.issuer}/token`,
      resource: upstream.url,
      scopes: ["api:read"],
    });
    expect(perUser).toMatchObject({ discovery_result: { issuer: as.issuer, code_challenge_methods_supported: ["S256"] } });
  });

  it("per user: no connection → authentication_required with a Link URL; connecting through Link (state, PKCE, resource, iss) → the upstream's tool result with an audience-bound token", async () => {
    const pack = await packFor("peruser");
    const inst = await instanceFor(pack.id, "alice");
    const c = await mcpClient(inst.url);
    const tools = (await c.listTools()).tools;
    const meta = tools.find((t) => t.name === "authenticate_meta");
    expect(meta, "authenticate_meta lists the per-user server").toBeTruthy();
    expect((meta!.inputSchema.properties as Record<string, { enum: string[] }>).connector!.enum).toContain(perUser.id);

    const before = upstream.seen.length;
    const first = await call(c, "peruser__echo", { text: "hi" });
    expect(first.isError).toBe(true);
    expect(first.structuredContent).toMatchObject({ code: "authentication_required", connector: perUser.id, connector_name: "Per user", link_url: expect.stringMatching(/\/link#link_token=lk_link_/) });
    // Nothing went upstream for a user without a token.
    expect(upstream.seen.length).toBe(before);

    const done = await connectThroughLink(first.structuredContent!.link_url, perUser.id, "alice");
    expect(done.searchParams.get("connected")).toBe(perUser.id);

    const ok = await call(c, "peruser__echo", { text: "hi" });
    expect(ok.isError ?? false, JSON.stringify(ok)).toBe(false);
    expect(ok.content[0]!.text).toBe("echo: hi");
    expect(ok.structuredContent).toMatchObject({ echoed: "hi", aud: upstream.url });
    const last = upstream.seen.at(-1)!;
    expect(last.claims).toMatchObject({ sub: "alice", aud: upstream.url });
    expectOnlyAudienceBoundTokens(upstream, before);

    // authenticate_meta hands out a link covering the server.
    const link = await call(c, "authenticate_meta", { connector: perUser.id });
    expect(link.structuredContent).toMatchObject({ connectors: [perUser.id], link_url: expect.stringContaining("/link#link_token=") });

    // The connection is the user's own: another user of the same pack still has to connect.
    const bob = await mcpClient((await instanceFor(pack.id, "bob")).url);
    // Not connected, bob's agent still sees the server's pinned tools (and how to connect), even
    // when no one's live listing is cached (an edit starts the server's cache afresh).
    expect((await api.req(`/api/v1/mcp-servers/${perUser.id}`, { method: "PATCH", key: key.secret, json: { name: "Per user" } })).status).toBe(200);
    const bobTools = (await bob.listTools()).tools;
    expect(bobTools.map((t) => t.name)).toEqual(expect.arrayContaining(["peruser__echo", "peruser__add", "authenticate_meta"]));
    expect(bobTools.find((t) => t.name === "peruser__add")!.inputSchema).toMatchObject({ properties: { a: { type: "number" }, b: { type: "number" } } });
    expect((await call(bob, "peruser__add", { a: 1, b: 2 })).structuredContent).toMatchObject({ code: "authentication_required" });
    await bob.close();

    // The access token expires; the next call refreshes it (rotating refresh token) and works.
    const refreshesBefore = as.grants.filter((g) => g.grantType === "refresh_token").length;
    await new Promise((r) => setTimeout(r, (ACCESS_TTL - 1) * 1000));
    const later = await call(c, "peruser__add", { a: 2, b: 3 });
    expect(later.isError ?? false, JSON.stringify(later)).toBe(false);
    expect(later.content[0]!.text).toBe("5");
    expect(as.grants.filter((g) => g.grantType === "refresh_token").length).toBe(refreshesBefore + 1);
    await c.close();
  }, 60_000);

  it("confidential PKCE with a pre-registered client: the gateway-token URL answers McpAuthRequiredError, then Link connects and calls work", async () => {
    const pre = await as.registerClient(`${server.url}/oauth/callback`, "client_secret_basic");
    clientSecrets.push(pre.client_secret);
    const srv = await createServer({ name: "Confidential", slug: "confidential", url: upstream.url, auth: { mode: "oauth_authorization_code", pkce: "confidential", client_id: pre.client_id, client_secret: pre.client_secret, token_endpoint_auth_method: "client_secret_basic" } });
    expect(srv.auth).toMatchObject({ pkce: "confidential", credential_mode: "per_user", client_id: pre.client_id, client_registered: false, has_client_secret: true });
    const pack = await packFor("confidential", ["echo"]);
    const ru = await api.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "carol" } });
    const tok = await api.post(`/api/v1/registered-users/${ru.body.id}/tokens`, { key: key.secret, json: {} });
    expect(tok.status, tok.text).toBe(201);
    clientSecrets.push(tok.body.token);
    const url = `${server.url}/mcp/${pack.slug}`;
    const c = await mcpClient(url, { authorization: `Bearer ${tok.body.token}` });

    let authUrl = "";
    await expect(
      call(c, "confidential__echo", { text: "x" }).catch((err: Error & { code?: number }) => {
        const m = /"authorization_urls":\{"([^"]+)":"([^"]+)"/.exec(err.message);
        authUrl = m?.[2] ?? "";
        expect(m?.[1]).toBe(srv.id);
        expect(err.message).toContain("Confidential");
        throw err;
      }),
    ).rejects.toMatchObject({ code: 401, message: expect.stringContaining("McpAuthRequiredError") });

    const before = upstream.seen.length;
    const done = await connectThroughLink(authUrl, srv.id, "carol");
    expect(done.searchParams.get("connected")).toBe(srv.id);
    const ok = await call(c, "confidential__echo", { text: "conf" });
    expect(ok.content[0]!.text).toBe("echo: conf");
    expect(upstream.seen.at(-1)!.claims).toMatchObject({ sub: "carol", aud: upstream.url, client_id: pre.client_id });
    // O9: the client's Authorization header (the gateway token) never reached the upstream.
    expectOnlyAudienceBoundTokens(upstream, before);
    await c.close();
  }, 60_000);

  it("client_credentials shared (DCR) and a static token: both reach the upstream with what the operator configured", async () => {
    await createServer({ name: "Machine", slug: "machine", url: upstream.url, auth: { mode: "oauth_client_credentials" } });
    // A token the operator got elsewhere: here, a client-credentials JWT for the upstream.
    const cc = await fetch(`${as.issuer}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: [], response_types: [], grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_post" }) }).then((r) => r.json() as Promise<{ client_id: string; client_secret: string }>);
    const staticToken = (await fetch(`${as.issuer}/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "client_credentials", client_id: cc.client_id, client_secret: cc.client_secret, resource: upstream.url, scope: "api:read" }).toString() }).then((r) => r.json() as Promise<{ access_token: string }>)).access_token;
    expect(staticToken).toBeTruthy();
    const t = await createServer({ name: "Static", slug: "static", url: upstream.url, auth: { mode: "token", token: staticToken } });
    expect(t.auth).toMatchObject({ mode: "token", has_token: true, credential_mode: null });

    for (const slug of ["machine", "static"]) {
      const pack = await packFor(slug, ["echo"]);
      const c = await mcpClient((await instanceFor(pack.id, `svc-${slug}`)).url);
      const before = upstream.seen.length;
      const r = await call(c, `${slug}__echo`, { text: slug });
      expect(r.isError ?? false, JSON.stringify(r)).toBe(false);
      expect(r.content[0]!.text).toBe(`echo: ${slug}`);
      expectOnlyAudienceBoundTokens(upstream, before);
      expect(upstream.seen.at(-1)!.claims).toMatchObject({ aud: upstream.url });
      await c.close();
    }
  }, 60_000);

  it("scope step-up: a 403 insufficient_scope sends the user to reconnect with the union of scopes, and a client-credentials server widens its own token", async () => {
    // Per user, authorization code (a pre-registered client, so the AS does not bound its scopes).
    const pre = await as.registerClient(`${server.url}/oauth/callback`, "client_secret_basic");
    clientSecrets.push(pre.client_secret);
    const srv = await createServer({ name: "Step up", slug: "stepup", url: upstream.url, auth: { mode: "oauth_authorization_code", pkce: "confidential", client_id: pre.client_id, client_secret: pre.client_secret, token_endpoint_auth_method: "client_secret_basic" } });
    expect(srv.auth).toMatchObject({ scopes: ["api:read"] });
    const pack = await packFor("stepup", ["echo", "publish"]);
    const c = await mcpClient((await instanceFor(pack.id, "dave")).url);
    const first = await call(c, "stepup__echo", { text: "hi" });
    await connectThroughLink(first.structuredContent!.link_url, srv.id, "dave");
    expect((await call(c, "stepup__echo", { text: "hi" })).content[0]!.text).toBe("echo: hi");

    // The upstream wants api:write for publish: the user is asked to reconnect, told what is missing.
    const refused = await call(c, "stepup__publish", { text: "post" });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ code: "reauth_required", missing_scopes: ["api:write"], connector: srv.id, link_url: expect.stringContaining("/link#link_token=") });
    // The server keeps the union, so the next authorization asks for both; the change is audited.
    const after = await api.get(`/api/v1/mcp-servers/${srv.id}`, { key: key.secret });
    expect(after.body.auth.scopes).toEqual(["api:read", "api:write"]);
    const audit = (await api.get("/api/v1/audit-logs/export?format=json", { key: key.secret })).body as { action: string; target_id: string; metadata: Record<string, unknown> }[];
    expect(audit.find((r) => r.action === "mcp_server.scopes_stepped_up" && r.target_id === srv.id)?.metadata).toMatchObject({ challenged: ["api:write"], scopes: ["api:read", "api:write"] });

    await connectThroughLink(refused.structuredContent!.link_url, srv.id, "dave");
    const posted = await call(c, "stepup__publish", { text: "post" });
    expect(posted.isError ?? false, JSON.stringify(posted)).toBe(false);
    expect(posted.content[0]!.text).toBe("published: post");
    // Nothing asked before was dropped: the new token carries both scopes.
    expect(String(posted.structuredContent!.scope).split(" ")).toEqual(expect.arrayContaining(["api:read", "api:write"]));
    expect((await call(c, "stepup__echo", { text: "still" })).content[0]!.text).toBe("echo: still");
    await c.close();

    // Client credentials: no person needed, Latchkey asks the AS again with the union and the call goes through once.
    const cc = await fetch(`${as.issuer}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: [], response_types: [], grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_post" }) }).then((r) => r.json() as Promise<{ client_id: string; client_secret: string }>);
    clientSecrets.push(cc.client_secret);
    const machine = await createServer({ name: "Machine step up", slug: "machine-stepup", url: upstream.url, auth: { mode: "oauth_client_credentials", client_id: cc.client_id, client_secret: cc.client_secret, token_endpoint_auth_method: "client_secret_post" } });
    const mpack = await packFor("machine-stepup", ["publish"]);
    const m = await mcpClient((await instanceFor(mpack.id, "svc-stepup")).url);
    const seenBefore = upstream.seen.length;
    const ok = await call(m, "machine-stepup__publish", { text: "auto" });
    expect(ok.isError ?? false, JSON.stringify(ok)).toBe(false);
    expect(ok.content[0]!.text).toBe("published: auto");
    // First a token with what discovery found, refused for publish; then one with the union.
    const scopesSeen = upstream.seen.slice(seenBefore).map((t) => String(t.claims?.scope ?? ""));
    expect(scopesSeen[0]).toBe("api:read");
    expect(String(ok.structuredContent!.scope).split(" ")).toEqual(expect.arrayContaining(["api:read", "api:write"]));
    await m.close();
    const widened = await api.get(`/api/v1/mcp-servers/${machine.id}`, { key: key.secret });
    expect(widened.body.auth.scopes).toEqual(["api:read", "api:write"]);
  }, 90_000);

  it("authorization code, credential_mode shared: users are told the operator must connect it; an operator's link naming the server makes one environment-wide connection every user's calls use", async () => {
    const srv = await createServer({ name: "Team wiki", slug: "team-wiki", url: upstream.url, auth: { mode: "oauth_authorization_code", pkce: "public", credential_mode: "shared" } });
    expect(srv.auth).toMatchObject({ credential_mode: "shared", pkce: "public", client_registered: true });
    const pack = await packFor("team-wiki", ["echo"]);
    const dave = await mcpClient((await instanceFor(pack.id, "dave")).url);
    const before = await call(dave, "team-wiki__echo", { text: "x" });
    expect(before.structuredContent).toMatchObject({ code: "authentication_required", connector: srv.id });
    // Not the user's to connect: no link for them.
    expect(before.structuredContent).not.toHaveProperty("link_url");
    expect(before.content[0]!.text).toMatch(/shared connection/);

    const ops = await api.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "ops-admin" } });
    const link = await api.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ops.body.id, connectors: [srv.id] } });
    expect(link.status, link.text).toBe(201);
    const done = await connectThroughLink(link.body.url, srv.id, "ops-admin");
    expect(done.searchParams.get("connected")).toBe(srv.id);
    const conns = await api.get("/api/v1/connections?limit=100", { key: key.secret });
    expect(conns.body.data.filter((c: { connector: string }) => c.connector === srv.id)).toEqual([expect.objectContaining({ owner_type: "environment", status: "active" })]);

    const r = await call(dave, "team-wiki__echo", { text: "shared" });
    expect(r.isError ?? false, JSON.stringify(r)).toBe(false);
    expect(upstream.seen.at(-1)!.claims).toMatchObject({ sub: "ops-admin", aud: upstream.url });
    await dave.close();

    // Deleting the server deletes the connections bound to it.
    expect((await api.del(`/api/v1/mcp-servers/${srv.id}`, { key: key.secret })).status).toBe(200);
    const after = await api.get("/api/v1/connections?limit=100", { key: key.secret });
    expect(after.body.data.filter((c: { connector: string }) => c.connector === srv.id)).toEqual([]);
  }, 60_000);

  it("O9: a token minted for another resource is refused by the upstream (401) and comes back as an upstream_error result; the client's Authorization never passes through", async () => {
    // The operator (or forged metadata) names the wrong resource: the AS mints tokens for `upstream`, `other` checks its own audience.
    await createServer({ name: "Wrong audience", slug: "wrong-aud", url: other.url, auth: { mode: "oauth_client_credentials", resource: upstream.url } });
    const pack = await packFor("wrong-aud", ["echo"]);
    const c = await mcpClient((await instanceFor(pack.id, "aud-user")).url);
    const before = other.seen.length;
    const r = await call(c, "wrong-aud__echo", { text: "x" });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: "upstream_error" });
    expect(r.content[0]!.text).toMatch(/refused Latchkey's credentials \(HTTP 401\)/);
    const seen = other.seen.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    for (const t of seen) {
      expect(t.claims, "the upstream accepted a token that is not for it").toBeNull();
      expect(decodeJwt(t.token).aud).toBe(upstream.url);
      for (const s of clientSecrets) expect(t.token).not.toContain(s);
    }
    await c.close();
  });

  it("O4: an AS whose metadata lacks code_challenge_methods_supported, or lists only plain, is refused with a clear error and never sees an authorization request", async () => {
    for (const methods of [undefined, ["plain"]]) {
      bad.meta = { code_challenge_methods_supported: methods };
      const r = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "No PKCE", url: bad.url, auth: { mode: "oauth_authorization_code", client_id: "given-client" } } });
      expect(r.status, r.text).toBe(422);
      expect(r.body.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: "auth.auth_url", message: expect.stringMatching(/PKCE with S256/) })]));
    }
    expect(bad.hits.filter((h) => h.startsWith("/authorize"))).toEqual([]);
  });

  it("O10: unsafe authorization/token endpoints (javascript:, data:, file:, http to a public host, quotes, backticks, $(, newlines, leading --) are refused before any redirect or render", async () => {
    const unsafe = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "http://as.example.com/authorize", `${bad.issuer}/authorize"onmouseover="x`, `${bad.issuer}/authorize\`id\``, `${bad.issuer}/authorize$(id)`, `${bad.issuer}/authorize\nX-Injected: 1`, "--help"];
    for (const field of ["authorization_endpoint", "token_endpoint"] as const) {
      for (const value of unsafe) {
        bad.meta = { code_challenge_methods_supported: ["S256"], [field]: value };
        const d = await api.post("/api/v1/mcp-servers/discover", { key: key.secret, json: { url: bad.url } });
        expect(d.status, d.text).toBe(200);
        expect(d.body[field === "authorization_endpoint" ? "auth_url" : "token_url"], value).toBeNull();
        expect(d.body.errors.join(" ")).toContain(`${field} was refused`);
        const c = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Unsafe", url: bad.url, auth: { mode: "oauth_authorization_code", client_id: "given-client" } } });
        expect(c.status, `${field}=${JSON.stringify(value)}`).toBe(422);
        expect(c.text).not.toContain(value);
      }
    }
    // The same values given by hand are refused on the field.
    for (const value of unsafe) {
      const r = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Unsafe given", url: upstream.url, auth: { mode: "oauth_authorization_code", client_id: "given-client", auth_url: value } } });
      expect(r.status, JSON.stringify(value)).toBe(422);
      expect(r.body.error.issues[0].path).toBe("auth.auth_url");
    }
    expect(bad.hits.filter((h) => !h.startsWith("/.well-known") && h !== "/mcp")).toEqual([]);
  });

  it("Latchkey publishes its Client ID Metadata Document; its client_id is its own URL and its redirect URI the callback", async () => {
    const r = await fetch(`${server.url}/oauth/client-metadata.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ client_id: `${server.url}/oauth/client-metadata.json`, redirect_uris: [`${server.url}/oauth/callback`], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] });
  });

  it("no registration endpoint and no client_id: a clear 422 asking for client_id and client_secret", async () => {
    bad.meta = { code_challenge_methods_supported: ["S256"] };
    const r = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "No DCR", url: bad.url, auth: { mode: "oauth_authorization_code" } } });
    expect(r.status, r.text).toBe(422);
    expect(r.body.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: "auth.client_id", message: expect.stringMatching(/give client_id \(and client_secret\)/) })]));
  });
});
