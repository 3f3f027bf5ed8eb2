// Issue 9: sandbox providers served by Latchkey itself (/sandbox/{environment}/{connector}), for
// sandbox connections of a test environment, driven through the production server with the real
// MCP SDK client: stateful sample data, reset, production refusal, and injected provider errors
// surfacing as reauth_required, rate_limited (with retry_after) and upstream_timeout.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client as httpClient } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let http: ReturnType<typeof httpClient>;
let testKey: CreatedKey;
let prodKey: CreatedKey;
let userId = "";
let instanceUrl = "";
let mcp: Client;
const conns: Record<string, string> = {};

type Result = { isError?: boolean; structuredContent?: any; content?: any };
const call = (name: string, args: Record<string, unknown> = {}) => mcp.callTool({ name, arguments: args }) as Promise<Result>;
const fault = (connector: string, body: Record<string, unknown>) => http.post(`/api/v1/sandbox/connections/${conns[connector]}/faults`, { key: testKey.secret, json: body });

beforeAll(async () => {
  // A short call timeout so a "slow" sandbox answer becomes upstream_timeout quickly.
  server = await startServer({ db, env: { LATCHKEY_CONNECTOR_TIMEOUT_MS: "1500" } });
  http = httpClient(server.url);
  testKey = await createApiKeyViaCli(server, "test", "sandbox");
  prodKey = await createApiKeyViaCli(server, "production", "sandbox-prod");
  const ru = await http.post("/api/v1/registered-users", { key: testKey.secret, json: { origin_user_id: "sandbox-user" } });
  expect(ru.status).toBe(201);
  userId = ru.body.id;
  for (const connector of ["github", "slack"]) {
    const c = await http.post("/api/v1/sandbox/connections", { key: testKey.secret, json: { registered_user_id: userId, connector } });
    expect(c.status, c.text).toBe(201);
    expect(c.body).toMatchObject({ connector, sandbox: true, status: "active", auth_kind: "oauth2", registered_user_id: userId });
    conns[connector] = c.body.id;
  }
  const pack = await http.post("/api/v1/tool-packs", {
    key: testKey.secret,
    json: {
      name: "Sandbox pack",
      entries: [
        { connector: "github", tools: ["github_list_issues", "github_create_issue", "github_get_authenticated_user"] },
        { connector: "slack", tools: ["slack_list_channels", "slack_post_message", "slack_get_channel_history"] },
      ],
    },
  });
  expect(pack.status).toBe(201);
  const inst = await http.post("/api/v1/mcp-instances/ensure", { key: testKey.secret, json: { tool_pack_id: pack.body.id, user_identifier: "sandbox-user" } });
  expect(inst.status).toBe(200);
  instanceUrl = inst.body.url;
  mcp = new Client({ name: "latchkey-sandbox-test", version: "1.0.0" });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(instanceUrl)));
}, 120_000);

afterAll(async () => {
  await mcp?.close().catch(() => {});
  if (process.env.SBX_DEBUG) console.log(server.logs());
  await server?.stop();
  cleanupTempDirs();
});

describe(`sandbox providers [${db}]`, () => {
  it("the connector's real code runs against the sandbox: seeded data, and what you create can be listed", async () => {
    const list = await call("github_list_issues", { owner: "octocat", repo: "hello-world" });
    expect(list.isError, JSON.stringify(list.structuredContent)).toBeFalsy();
    expect(JSON.stringify(list.structuredContent)).toContain("Found a bug");

    const created = await call("github_create_issue", { owner: "octocat", repo: "hello-world", title: "Filed through the sandbox" });
    expect(created.isError, JSON.stringify(created.structuredContent)).toBeFalsy();
    const again = await call("github_list_issues", { owner: "octocat", repo: "hello-world" });
    expect(JSON.stringify(again.structuredContent)).toContain("Filed through the sandbox");

    const channels = await call("slack_list_channels");
    expect(channels.isError, JSON.stringify(channels.structuredContent)).toBeFalsy();
    const general = (channels.structuredContent as { channels: { id: string; name: string }[] }).channels.find((c) => c.name === "general")!;
    expect(general).toBeTruthy();
    const posted = await call("slack_post_message", { channel: general.id, text: "Hello from the sandbox test" });
    expect(posted.isError, JSON.stringify(posted.structuredContent)).toBeFalsy();
    const history = await call("slack_get_channel_history", { channel: general.id });
    expect(JSON.stringify(history.structuredContent)).toContain("Hello from the sandbox test");
  });

  it("reset brings the sample data back (API), for one connector", async () => {
    const reset = await http.post("/api/v1/sandbox/reset", { key: testKey.secret, json: { connector: "github" } });
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ object: "sandbox_reset", connectors: ["github"] });
    const list = await call("github_list_issues", { owner: "octocat", repo: "hello-world" });
    expect(JSON.stringify(list.structuredContent)).toContain("Found a bug");
    expect(JSON.stringify(list.structuredContent)).not.toContain("Filed through the sandbox");
  });

  it("429 with Retry-After → rate_limited with retry_after; the next call works again", async () => {
    const f = await fault("github", { mode: "rate_limited", retry_after: 7 });
    expect(f.status).toBe(200);
    expect(f.body).toMatchObject({ object: "sandbox_fault", mode: "rate_limited", remaining: 1, retry_after: 7 });
    const limited = await call("github_list_issues", { owner: "octocat", repo: "hello-world" });
    expect(limited.isError).toBe(true);
    expect(limited.structuredContent).toMatchObject({ code: "rate_limited", retry_after: 7, connector: "github" });
    expect((await call("github_list_issues", { owner: "octocat", repo: "hello-world" })).isError).toBeFalsy();

    // Slack says it its own way (HTTP 429 + ok:false ratelimited): same result for the agent.
    await fault("slack", { mode: "rate_limited", retry_after: 3 });
    expect((await call("slack_list_channels")).structuredContent).toMatchObject({ code: "rate_limited", retry_after: 3, connector: "slack" });
  });

  it("a slow provider beyond the call timeout → upstream_timeout", async () => {
    expect((await fault("github", { mode: "slow", delay_ms: 5000 })).status).toBe(200);
    const t0 = Date.now();
    const slow = await call("github_list_issues", { owner: "octocat", repo: "hello-world" });
    expect(slow.isError).toBe(true);
    expect(slow.structuredContent).toMatchObject({ code: "upstream_timeout", connector: "github" });
    expect(Date.now() - t0).toBeLessThan(4500);
  });

  it("500 → upstream_error; 403 missing scope → insufficient_scope", async () => {
    await fault("github", { mode: "server_error" });
    expect((await call("github_list_issues", { owner: "octocat", repo: "hello-world" })).structuredContent).toMatchObject({ code: "upstream_error", provider_status: 500 });
    await fault("github", { mode: "missing_scope" });
    expect((await call("github_list_issues", { owner: "octocat", repo: "hello-world" })).structuredContent).toMatchObject({ code: "insufficient_scope", missing_scopes: ["repo"] });
  });

  it("401 once → refreshed through the sandbox authorization server, transparently; 401 after the refresh too → reauth_required", async () => {
    await fault("github", { mode: "expired_token", count: 1 });
    const refreshed = await call("github_get_authenticated_user");
    expect(refreshed.isError, JSON.stringify(refreshed.structuredContent)).toBeFalsy();
    const after = await http.get(`/api/v1/connections/${conns.github}`, { key: testKey.secret });
    expect(after.body.last_refreshed_at).not.toBeNull();

    await fault("github", { mode: "expired_token", count: 2 });
    const reauth = await call("github_get_authenticated_user");
    expect(reauth.isError).toBe(true);
    expect(reauth.structuredContent).toMatchObject({ code: "reauth_required", connector: "github" });
    expect((await http.get(`/api/v1/connections/${conns.github}`, { key: testKey.secret })).body.status).toBe("reauth_required");

    // Reconnecting the sandbox account brings it back, in place.
    const again = await http.post("/api/v1/sandbox/connections", { key: testKey.secret, json: { registered_user_id: userId, connector: "github" } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: conns.github, status: "active" });
    expect((await call("github_get_authenticated_user")).isError).toBeFalsy();
  });

  it("faults only for sandbox connections; bad modes are validation errors", async () => {
    expect((await fault("github", { mode: "explode" })).status).toBe(422);
  });
});

describe(`sandbox only where safe [${db}]`, () => {
  it("a production environment refuses sandbox connections with sandbox_not_allowed", async () => {
    const ru = await http.post("/api/v1/registered-users", { key: prodKey.secret, json: { origin_user_id: "prod-user" } });
    expect(ru.status).toBe(201);
    const r = await http.post("/api/v1/sandbox/connections", { key: prodKey.secret, json: { registered_user_id: ru.body.id, connector: "github" } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("sandbox_not_allowed");
    expect(r.body.error.message).toMatch(/test environments/);
    const reset = await http.post("/api/v1/sandbox/reset", { key: prodKey.secret, json: {} });
    expect(reset.status).toBe(403);
    expect(reset.body.error.code).toBe("sandbox_not_allowed");
  });

  it("the sandbox provider itself never serves a production environment", async () => {
    const res = await fetch(`${server.url}/sandbox/${prodKey.environment_id}/github/user`, { headers: { authorization: "Bearer anything" } });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("sandbox_not_allowed");
    // Knowing a test environment's id is not enough: its sandbox takes only credentials it issued.
    const test = await fetch(`${server.url}/sandbox/${testKey.environment_id}/github/user`, { headers: { authorization: "Bearer ghu_guessed" } });
    expect(test.status).toBe(401);
    expect((await test.json()).message).toBe("Bad credentials");
  });
});
