// Bring your own MCP server (issue 6), through the production server: registration with
// discovery against a real SDK MCP server that accepts only audience-bound JWTs from a real
// oidc-provider, DCR when client_id is omitted, the outbound guard on every URL, and secrets
// that never come back. Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, secrets as secretsTable } from "@/db/schema";
import { withDb } from "../helpers/db";
import { client, type ApiResponse } from "../helpers/http";
import { startAuthServer, type LocalAuthServer } from "../helpers/oidc";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";
import { startUpstreamMcp, type UpstreamMcp } from "../helpers/upstream-mcp";

const db = TEST_DB;
let server: TestServer;
let http_: ReturnType<typeof client>;
let key: CreatedKey;
let otherKey: CreatedKey;
let upstream: UpstreamMcp;
let as: LocalAuthServer;

/** Every secret handed to the API, and every response body after creation: none may show one. */
const given: string[] = [];
const responses: string[] = [];
const record = async <T>(p: Promise<ApiResponse<T>>) => {
  const r = await p;
  responses.push(r.text);
  return r;
};

beforeAll(async () => {
  upstream = await startUpstreamMcp({ scopes: ["api:read"] });
  as = await startAuthServer({ resource: upstream.url, clientCredentials: true });
  upstream.setIssuer(as.issuer);
  const asPort = new URL(as.issuer).port;
  const upPort = new URL(upstream.url).port;
  server = await startServer({ db, env: { LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${asPort},127.0.0.1:${upPort}` } });
  http_ = client(server.url);
  key = await createApiKeyViaCli(server, "test", "mcp-servers");
  otherKey = await createApiKeyViaCli(server, "production", "mcp-servers-other");
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  await as?.close();
  cleanupTempDirs();
});

describe(`MCP servers [${db}]`, () => {
  it("discover: 401 → resource_metadata → the issuer's authorization server metadata, with everything an OAuth client needs", async () => {
    const r = await record(http_.post("/api/v1/mcp-servers/discover", { key: key.secret, json: { url: upstream.url } }));
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      requires_auth: true,
      recommended_auth_mode: "oauth_authorization_code",
      resource: upstream.url,
      resource_metadata_url: `${upstream.origin}/.well-known/oauth-protected-resource/mcp`,
      authorization_servers: [as.issuer],
      issuer: as.issuer,
      auth_url: `${as.issuer}/auth`,
      token_url: `${as.issuer}/token`,
      register_url: `${as.issuer}/reg`,
      scopes: ["api:read"],
      errors: [],
    });
    expect(r.body.token_endpoint_auth_methods_supported).toContain("client_secret_basic");
    expect(r.body.grant_types_supported).toContain("client_credentials");
    // The header's metadata URL, then RFC 8414 (which oidc-provider serves, so OpenID discovery is not needed).
    expect(r.body.tried.map((t: { url: string }) => t.url)).toEqual([
      upstream.url,
      `${upstream.origin}/.well-known/oauth-protected-resource/mcp`,
      `${as.issuer}/.well-known/oauth-authorization-server`,
      `${upstream.origin}/.well-known/mcp.json`,
    ]);
  });

  it("private, loopback-not-allowlisted and plain-http URLs are a 422 on the field, before any request", async () => {
    for (const url of ["https://10.0.0.7/mcp", "https://169.254.169.254/latest", "http://127.0.0.1:1/mcp", "https://[::1]/mcp", "http://mcp.example.com/mcp"]) {
      const d = await http_.post("/api/v1/mcp-servers/discover", { key: key.secret, json: { url } });
      expect(d.status, url).toBe(422);
      expect(d.body.error.issues[0].path).toBe("url");
      const c = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "bad", url } });
      expect(c.status, url).toBe(422);
    }
    const tokenUrl = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "bad-token-url", url: upstream.url, auth: { mode: "oauth_client_credentials", client_id: "x", client_secret: "y", token_url: "https://10.1.2.3/token" } } });
    expect(tokenUrl.status).toBe(422);
    expect(tokenUrl.body.error.issues[0].path).toBe("auth.token_url");
  });

  it("the seed's config shape: config.endpoint with config.auth and credential_mode; discover { endpoint }; both shapes at once is a 422", async () => {
    const d = await http_.post("/api/v1/mcp-servers/discover", { key: key.secret, json: { endpoint: upstream.url } });
    expect(d.status, d.text).toBe(200);
    expect(d.body).toMatchObject({ requires_auth: true, recommended_auth_mode: "oauth_authorization_code", resource: upstream.url });
    const r = await http_.post("/api/v1/mcp-servers", {
      key: key.secret,
      json: { name: "Config shape", config: { endpoint: upstream.url, transport: "streamable-http", auth: { mode: "oauth_authorization_code", pkce: "confidential" } }, credential_mode: "shared" },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      slug: "config-shape",
      credential_mode: "shared",
      config: { endpoint: upstream.url, transport: "streamable-http", auth: { mode: "oauth_authorization_code", pkce: "confidential", credential_mode: "shared", client_registered: true, has_client_secret: true, resource: upstream.url } },
      url: upstream.url,
      discovery_result: { requires_auth: true },
    });
    const p = await http_.req(`/api/v1/mcp-servers/${r.body.id}`, { method: "PATCH", key: key.secret, json: { credential_mode: "per_user" } });
    expect(p.status, p.text).toBe(200);
    expect(p.body.config.auth.credential_mode).toBe("per_user");
    const both = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Both", url: upstream.url, config: { endpoint: upstream.url } } });
    expect(both.status).toBe(422);
    expect(both.body.error.issues.map((i: { path: string }) => i.path)).toContain("url");
    const none = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "None", config: { auth: { mode: "none" } } } });
    expect(none.status).toBe(422);
    expect(none.body.error.issues.map((i: { path: string }) => i.path)).toContain("config.endpoint");
    expect((await http_.req(`/api/v1/mcp-servers/${r.body.id}`, { method: "DELETE", key: key.secret })).status).toBe(200);
  });

  let dcrId = "";
  it("create without client_id: discovery fills the endpoints and Latchkey registers a client at the AS (DCR, client_secret_basic)", async () => {
    const r = await record(http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Demo upstream", url: upstream.url, auth: { mode: "oauth_client_credentials" } } }));
    expect(r.status, r.text).toBe(201);
    responses.pop();
    expect(r.body.id).toMatch(/^srv_[0-9a-z]{22}$/);
    expect(r.body).toMatchObject({
      object: "mcp_server",
      name: "Demo upstream",
      slug: "demo-upstream",
      url: upstream.url,
      transport: "streamable-http",
      environment_id: key.environment_id,
      auth: {
        mode: "oauth_client_credentials",
        has_client_secret: true,
        client_registered: true,
        token_endpoint_auth_method: "client_secret_basic",
        token_url: `${as.issuer}/token`,
        register_url: `${as.issuer}/reg`,
        resource: upstream.url,
        scopes: ["api:read"],
        pkce: null,
      },
      discovery_result: { requires_auth: true, issuer: as.issuer },
    });
    expect(r.body.auth.client_id).toEqual(expect.any(String));
    expect(JSON.stringify(r.body)).not.toMatch(/"client_secret"/);
    dcrId = r.body.id;

    // The registered client is real: it gets a client-credentials token for exactly this resource.
    // (The secret is not in any output; the test reads nothing it should not.)
  });

  it("token mode stores the token encrypted; GET, list and PATCH never return it; another environment sees nothing", async () => {
    const token = `upstream-static-${Math.random().toString(36).slice(2)}`;
    given.push(token);
    const c = await record(http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Static", slug: "static", url: upstream.url, auth: { mode: "token", token, header_name: "X-Api-Key" } } }));
    expect(c.status, c.text).toBe(201);
    expect(c.body.auth).toMatchObject({ mode: "token", header_name: "X-Api-Key", has_token: true, client_id: null, has_client_secret: false });
    const id = c.body.id;

    const one = await record(http_.get(`/api/v1/mcp-servers/${id}`, { key: key.secret }));
    expect(one.status).toBe(200);
    expect(one.body.auth.has_token).toBe(true);
    const list = await record(http_.get("/api/v1/mcp-servers?limit=1", { key: key.secret }));
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.has_more).toBe(true);
    const next = await record(http_.get(`/api/v1/mcp-servers?limit=1&cursor=${list.body.next_cursor}`, { key: key.secret }));
    expect([...list.body.data, ...next.body.data].map((s: { id: string }) => s.id)).toEqual([id, dcrId]);

    const newToken = `rotated-${Math.random().toString(36).slice(2)}`;
    given.push(newToken);
    const p = await record(http_.req(`/api/v1/mcp-servers/${id}`, { method: "PATCH", key: key.secret, json: { name: "Static 2", auth: { token: newToken } } }));
    expect(p.status, p.text).toBe(200);
    expect(p.body).toMatchObject({ name: "Static 2", auth: { mode: "token", has_token: true, header_name: "X-Api-Key" } });

    // Switching to none drops the token.
    const none = await record(http_.req(`/api/v1/mcp-servers/${id}`, { method: "PATCH", key: key.secret, json: { auth: { mode: "none" } } }));
    expect(none.body.auth).toMatchObject({ mode: "none", has_token: false, header_name: null });

    expect((await http_.get(`/api/v1/mcp-servers/${id}`, { key: otherKey.secret })).status).toBe(404);
    expect((await http_.get("/api/v1/mcp-servers", { key: otherKey.secret })).body.data).toEqual([]);

    const dup = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Again", slug: "static", url: upstream.url, auth: { mode: "none" } } });
    expect(dup.status).toBe(409);
    const bad = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Under", slug: "a__b", url: upstream.url } });
    expect(bad.status).toBe(422);

    const del = await http_.del(`/api/v1/mcp-servers/${id}`, { key: key.secret });
    expect(del.body).toEqual({ id, object: "mcp_server", deleted: true });
    expect((await http_.get(`/api/v1/mcp-servers/${id}`, { key: key.secret })).status).toBe(404);
  });

  it("a given client secret is write-only; token mode without a token and OAuth without any client are 422 with the field", async () => {
    const secret = `given-client-secret-${Math.random().toString(36).slice(2)}`;
    given.push(secret);
    const c = await record(http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Preregistered", url: upstream.url, auth: { mode: "oauth_client_credentials", client_id: "pre-1", client_secret: secret, token_endpoint_auth_method: "client_secret_post" } } }));
    expect(c.status, c.text).toBe(201);
    expect(c.body.auth).toMatchObject({ client_id: "pre-1", has_client_secret: true, client_registered: false, token_endpoint_auth_method: "client_secret_post", token_url: `${as.issuer}/token` });

    const noToken = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "No token", url: upstream.url, auth: { mode: "token" } } });
    expect(noToken.status).toBe(422);
    expect(noToken.body.error.issues[0].path).toBe("auth.token");
    const noReg = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "No reg", url: upstream.url, auth: { mode: "oauth_client_credentials", register_url: `${as.issuer}/nope` } } });
    expect(noReg.status).toBe(422);
    expect(noReg.body.error.issues[0].path).toBe("auth.client_id");
    expect(noReg.body.error.message).toMatch(/registration failed/i);
  });

  it("a pack with { server, tools: \"*\" } lists the upstream's tools as slug__tool and forwards calls with a client-credentials token bound to the upstream", async () => {
    const pack = await http_.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Upstream pack", entries: [{ server: "demo-upstream", tools: "*" }] } });
    expect(pack.status, pack.text).toBe(201);
    const unknown = await http_.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Bad pack", entries: [{ server: "nope", tools: "*" }] } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.issues[0].path).toBe("entries.0.server");
    const inst = await http_.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "upstream-user" } });
    expect(inst.status, inst.text).toBeLessThan(300);
    const instanceToken = new URL(inst.body.url).pathname.split("/").pop()!;

    const seenBefore = upstream.seen.length;
    const c = new Client({ name: "latchkey-test", version: "1.0.0" });
    await c.connect(new StreamableHTTPClientTransport(new URL(inst.body.url)));
    const tools = (await c.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["demo-upstream__echo", "demo-upstream__add"]));
    const r = (await c.callTool({ name: "demo-upstream__echo", arguments: { text: "hello" } })) as { content: { text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };
    expect(r.isError ?? false).toBe(false);
    expect(r.content[0]!.text).toBe("echo: hello");
    expect(r.structuredContent).toMatchObject({ echoed: "hello", aud: upstream.url });
    const sum = (await c.callTool({ name: "demo-upstream__add", arguments: { a: 2, b: 3 } })) as { content: { text: string }[] };
    expect(sum.content[0]!.text).toBe("5");
    // A tool the upstream does not have comes back as the upstream's error, as a tool result.
    const missing = (await c.callTool({ name: "demo-upstream__nope", arguments: {} })) as { isError?: boolean; content: { text: string }[] };
    expect(missing.isError).toBe(true);
    await c.close();

    // Every token the upstream saw was a valid JWT for itself, from the AS, never Latchkey's credentials.
    const seen = upstream.seen.slice(seenBefore);
    expect(seen.length).toBeGreaterThan(0);
    for (const t of seen) {
      expect(t.claims, "a token the upstream rejected").not.toBeNull();
      expect(t.claims!.aud).toBe(upstream.url);
      expect(decodeJwt(t.token).iss).toBe(as.issuer);
      expect(t.token).not.toContain(instanceToken);
      expect(t.token).not.toContain(key.secret);
    }
    // One client-credentials grant served all the calls (the token is cached until expiry).
    expect(as.grants.filter((g) => g.grantType === "client_credentials")).toHaveLength(1);
  });

  it("an unreachable upstream is an upstream_error tool result, and its tools drop out of the list without breaking it", async () => {
    const dead = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Dead", slug: "dead", url: `${upstream.origin}/gone`, auth: { mode: "none" } } });
    expect(dead.status, dead.text).toBe(201);
    const pack = await http_.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Mixed", entries: [{ server: "dead", tools: ["x"] }, { server: "demo-upstream", tools: ["add"] }] } });
    expect(pack.status, pack.text).toBe(201);
    expect(pack.body.tools).toEqual(["dead__x", "demo-upstream__add"]);
    const inst = (await http_.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "mixed-user" } })).body;
    const c = new Client({ name: "latchkey-test", version: "1.0.0" });
    await c.connect(new StreamableHTTPClientTransport(new URL(inst.url)));
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(["demo-upstream__add"]);
    const r = (await c.callTool({ name: "dead__x", arguments: {} })) as { isError?: boolean; structuredContent?: Record<string, unknown> };
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: "upstream_error" });
    // Outside the entry's list: refused before anything goes upstream.
    await expect(c.callTool({ name: "demo-upstream__echo", arguments: { text: "x" } })).rejects.toThrow();
    await c.close();
  });

  it("PATCH with rediscover keeps a registered client while the issuer is the same; an edited server is served with its new settings", async () => {
    const before = (await http_.get(`/api/v1/mcp-servers/${dcrId}`, { key: key.secret })).body;
    const p = await record(http_.req(`/api/v1/mcp-servers/${dcrId}`, { method: "PATCH", key: key.secret, json: { rediscover: true, name: "Demo upstream 2" } }));
    expect(p.status, p.text).toBe(200);
    expect(p.body.auth).toMatchObject({ client_id: before.auth.client_id, client_registered: true, has_client_secret: true, token_url: `${as.issuer}/token`, resource: upstream.url });
    const pack = await http_.post("/api/v1/tool-packs", { key: key.secret, json: { name: "After edit", entries: [{ server: "demo-upstream", tools: ["echo"] }] } });
    const inst = (await http_.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "after-edit" } })).body;
    const c = new Client({ name: "latchkey-test", version: "1.0.0" });
    await c.connect(new StreamableHTTPClientTransport(new URL(inst.url)));
    const r = (await c.callTool({ name: "demo-upstream__echo", arguments: { text: "again" } })) as { content: { text: string }[] };
    expect(r.content[0]!.text).toBe("echo: again");
    await c.close();

    // The REST alternative to tools/call forwards too, and refuses a tool outside the entry.
    const ru = await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "rest-upstream" } });
    const exec = await http_.post(`/api/v1/tool-packs/${pack.body.id}/registered-users/${ru.body.id}/tools/demo-upstream__echo/execute`, { key: key.secret, json: { arguments: { text: "rest" } } });
    expect(exec.status, exec.text).toBe(200);
    expect(exec.body).toMatchObject({ object: "tool_result", is_error: false, text: "echo: rest", result: { echoed: "rest" } });
    const outside = await http_.post(`/api/v1/tool-packs/${pack.body.id}/registered-users/${ru.body.id}/tools/demo-upstream__add/execute`, { key: key.secret, json: { arguments: { a: 1, b: 1 } } });
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe("unauthorized_tool");
  });

  it("no response after creation ever shows a secret; the audit log has every change and no secret; secrets are stored encrypted", async () => {
    for (const text of responses) for (const s of given) expect(text).not.toContain(s);
    await server.stop();
    await withDb(db, server, async (h) => {
      const audit = JSON.stringify(await h.db.select().from(auditLog));
      for (const a of ["mcp_server.created", "mcp_server.updated", "mcp_server.deleted"]) expect(audit).toContain(a);
      for (const s of given) expect(audit).not.toContain(s);
      const stored = JSON.stringify(await h.db.select().from(secretsTable));
      expect(stored).toContain("mcp_server:");
      for (const s of given) expect(stored).not.toContain(s);
    });
  });
});
