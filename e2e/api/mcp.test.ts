// The MCP data plane through the production server with the real MCP SDK client (issue 4):
// tool packs, instance URLs, API-key URLs, authenticate_meta, unauthorized_tool, T3.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client as httpClient } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let http: ReturnType<typeof httpClient>;
let key: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let githubApi: Awaited<ReturnType<typeof serveSandbox>>;
let packId = "";

async function connect(url: string, headers?: Record<string, string>) {
  const c = new Client({ name: "latchkey-test", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined));
  return c;
}

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  githubApi = await serveSandbox(createGithubSandbox());
  server = await startServer({ db });
  http = httpClient(server.url);
  key = await createApiKeyViaCli(server, "test", "mcp");
  for (const [slug, url] of [["stripe", stripeApi.url], ["github", githubApi.url]] as const) {
    expect((await http.req(`/api/v1/connectors/${slug}/config`, { method: "PATCH", key: key.secret, json: { base_url: url } })).status).toBe(200);
  }
  const pack = await http.post("/api/v1/tool-packs", {
    key: key.secret,
    json: { name: "Support agent", entries: [{ connector: "stripe", tools: ["stripe_get_balance", "stripe_list_customers"] }, { connector: "github", tools: ["github_get_authenticated_user", "github_list_issues"] }] },
  });
  expect(pack.status).toBe(201);
  expect(pack.body).toMatchObject({ slug: "support-agent", tools: ["stripe_get_balance", "stripe_list_customers", "github_get_authenticated_user", "github_list_issues"] });
  expect(pack.body.required_scopes.github).toEqual(expect.arrayContaining(["repo", "read:user"]));
  packId = pack.body.id;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
  await githubApi?.close();
  cleanupTempDirs();
});

describe(`tool packs [${db}]`, () => {
  it("rejects unknown connectors and tools with field paths, and duplicate slugs with 409", async () => {
    const bad = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "x", entries: [{ connector: "nope", tools: "*" }, { connector: "github", tools: ["github_fly"] }] } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["entries.0.connector", "entries.1.tools.0"]);
    const dup = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Support agent" } });
    expect(dup.status).toBe(409);
  });

  it("the Scalekit-compatible mcp-configs alias creates a pack usable by config_name", async () => {
    const cfg = await http.post("/api/v1/mcp-configs", { key: key.secret, json: { name: "reminder-manager", connection_tool_mappings: [{ connection_name: "stripe", tools: ["stripe_get_balance"] }] } });
    expect(cfg.status).toBe(201);
    const inst = await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { config_name: "reminder-manager", user_identifier: "john-doe" } });
    expect(inst.status).toBe(200);
    expect(inst.body).toMatchObject({ tool_pack_id: cfg.body.id, status: "active" });
  });
});

describe(`MCP URLs with the SDK client [${db}]`, () => {
  it("instance URL: ensure is idempotent; tools/list shows the pack plus authenticate_meta; calls run with the user's connection", async () => {
    const ensure = () => http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "alice" } });
    const first = await ensure();
    expect(first.status).toBe(200);
    expect(first.body.url).toMatch(/\/mcp\/i\/lk_mcp_[0-9A-Za-z]{43}$/);
    const again = await ensure();
    expect(again.body).toMatchObject({ id: first.body.id, url: first.body.url });

    // Alice connects Stripe (api-key connector) but not GitHub.
    const ru = first.body.registered_user_id;
    expect((await http.post(`/api/v1/registered-users/${ru}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_alice1234567890" } } })).status).toBe(201);

    const state = await http.get(`/api/v1/mcp-instances/${first.body.id}/auth-state?include_auth_links=true`, { key: key.secret });
    expect(state.body.connections).toEqual([
      expect.objectContaining({ connection_name: "stripe", connected_account_status: "active", authentication_link: null }),
      expect.objectContaining({ connection_name: "github", connected_account_status: "not_connected", authentication_link: expect.stringContaining("/link#link_token=lk_link_") }),
    ]);

    const c = await connect(first.body.url);
    const { tools } = await c.listTools();
    expect(tools.map((t) => t.name)).toEqual(["stripe_get_balance", "stripe_list_customers", "github_get_authenticated_user", "github_list_issues", "authenticate_meta"]);
    expect(tools[0]).toMatchObject({ inputSchema: { type: "object" }, annotations: { readOnlyHint: true } });

    const balance = await c.callTool({ name: "stripe_get_balance", arguments: {} });
    expect(balance.isError).toBeFalsy();
    expect(balance.structuredContent).toMatchObject({ livemode: false });
    expect(stripeApi.requests.at(-1)!.headers.authorization).toBe("Bearer sk_test_alice1234567890");

    const gh = await c.callTool({ name: "github_get_authenticated_user", arguments: {} });
    expect(gh.isError).toBe(true);
    expect(gh.structuredContent).toMatchObject({ code: "authentication_required", connector: "github", link_token: expect.stringMatching(/^lk_link_/), link_url: expect.stringContaining("/link#link_token=") });

    const meta = await c.callTool({ name: "authenticate_meta", arguments: { connector: "github" } });
    expect(meta.structuredContent).toMatchObject({ connectors: ["github"], link_token: expect.stringMatching(/^lk_link_/) });

    const bad = await c.callTool({ name: "stripe_list_customers", arguments: { limit: 1000 } });
    expect(bad.isError).toBe(true);
    expect(bad.structuredContent).toMatchObject({ code: "invalid_arguments" });

    // Not in the pack: HTTP 403 unauthorized_tool, never reaches the provider.
    const before = githubApi.requests.length;
    await expect(c.callTool({ name: "github_create_issue", arguments: { owner: "o", repo: "r", title: "t" } })).rejects.toThrow();
    expect(githubApi.requests.length).toBe(before);
    await c.close();
  });

  it("unauthorized_tool is HTTP 403 with the code in the JSON-RPC error", async () => {
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "alice" } })).body;
    const init = await fetch(inst.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
    });
    const sid = init.headers.get("mcp-session-id")!;
    expect(sid).toBeTruthy();
    const res = await fetch(inst.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "github_create_issue", arguments: {} } }),
    });
    expect(res.status).toBe(403);
    const body = await res.json();
    expect(body).toMatchObject({ jsonrpc: "2.0", id: 2, error: { data: { code: "unauthorized_tool" } } });
  });

  it("T3: a session minted on one user's URL is refused on another's, and never reaches the provider", async () => {
    const a = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "t3-a" } })).body;
    const b = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "t3-b" } })).body;
    const init = await fetch(a.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
    });
    const sid = init.headers.get("mcp-session-id")!;
    const before = stripeApi.requests.length;
    const replay = await fetch(b.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "stripe_get_balance", arguments: {} } }),
    });
    expect(replay.status).toBe(404);
    expect(stripeApi.requests.length).toBe(before);
  });

  it("rotate: the old URL stops at once, the new one works; revoke: 401; pack edits apply on the next request", async () => {
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "rotator" } })).body;
    const rotated = await http.post(`/api/v1/mcp-instances/${inst.id}/rotate`, { key: key.secret });
    expect(rotated.status).toBe(200);
    expect(rotated.body.url).not.toBe(inst.url);
    await expect(connect(inst.url)).rejects.toThrow();
    const c = await connect(rotated.body.url);
    expect((await c.listTools()).tools.map((t) => t.name)).toContain("github_list_issues");

    expect((await http.req(`/api/v1/tool-packs/${packId}`, { method: "PATCH", key: key.secret, json: { entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).status).toBe(200);
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(["stripe_get_balance", "authenticate_meta"]);
    await c.close();

    const revoked = await http.del(`/api/v1/mcp-instances/${inst.id}`, { key: key.secret });
    expect(revoked.body).toMatchObject({ status: "revoked", url: null });
    const after = await fetch(rotated.body.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
    expect(after.status).toBe(401);
    // restore for later tests
    await http.req(`/api/v1/tool-packs/${packId}`, { method: "PATCH", key: key.secret, json: { entries: [{ connector: "stripe", tools: ["stripe_get_balance", "stripe_list_customers"] }, { connector: "github", tools: ["github_get_authenticated_user", "github_list_issues"] }] } });
  });

  it("API-key URL: /api/v1/tool-packs/{tp}/registered-users/{ru}/mcp with the key; no key → 401; another environment's key → 401/404", async () => {
    const ru = (await http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "backend-user" } })).body.id;
    const url = `${server.url}/api/v1/tool-packs/${packId}/registered-users/${ru}/mcp`;
    const c = await connect(url, { authorization: `Bearer ${key.secret}` });
    expect((await c.listTools()).tools.length).toBe(5);
    await c.close();
    const anon = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(anon.status).toBe(401);
    const live = await createApiKeyViaCli(server, "production", "other-env");
    const cross = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${live.secret}` }, body: "{}" });
    expect(cross.status).toBe(404);
  });

  it("REST execute: the same pack rules without MCP; every call lands in the tool-call log within a second", async () => {
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: packId, user_identifier: "alice" } })).body;
    const base = `/api/v1/tool-packs/${packId}/registered-users/${inst.registered_user_id}/tools`;
    const ok = await http.post(`${base}/stripe_get_balance/execute`, { key: key.secret, json: { arguments: {} } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ object: "tool_result", tool: "stripe_get_balance", is_error: false, result: { livemode: false } });
    const needsAuth = await http.post(`${base}/github_list_issues/execute`, { key: key.secret, json: { arguments: { owner: "octocat", repo: "hello-world" } } });
    expect(needsAuth.body).toMatchObject({ is_error: true, result: { code: "authentication_required", link_url: expect.stringContaining("/link#link_token=") } });
    const outside = await http.post(`${base}/github_create_issue/execute`, { key: key.secret, json: { arguments: {} } });
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe("unauthorized_tool");

    let calls: { tool: string; status: string; error_code: string | null; registered_user_id: string; latency_ms: number }[] = [];
    const have = () => ["github_create_issue", "github_list_issues"].every((t) => calls.some((c) => c.tool === t));
    for (let i = 0; i < 30 && !have(); i++) {
      await new Promise((r) => setTimeout(r, 100));
      calls = (await http.get(`/api/v1/tool-calls?registered_user_id=${inst.registered_user_id}&limit=100`, { key: key.secret })).body.data;
    }
    expect(calls.find((c) => c.tool === "github_create_issue")).toMatchObject({ status: "unauthorized" });
    expect(calls.find((c) => c.tool === "github_list_issues")).toMatchObject({ status: "error", error_code: "authentication_required" });
    expect(calls.find((c) => c.tool === "stripe_get_balance")).toMatchObject({ status: "ok", error_code: null });
    expect(calls.every((c) => c.latency_ms >= 0)).toBe(true);
  });
});
