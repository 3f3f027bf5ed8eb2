// Issue 7, the security gateway in the data plane, through the built app: rules over REST
// (ReDoS refused at save time, audited), enforcement on MCP tools/call and the REST execute
// route (block before the call, redact results), pack overrides, and reversible redaction
// with a real MCP SDK client against the GitHub sandbox connected through Link's OAuth flow.
import { randomBytes } from "node:crypto";
import nodeHttp from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import * as z from "zod";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, securityVaultEntries } from "@/db/schema";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { withDb } from "../helpers/db";
import { client, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const CLIENT_ID = "Iv1.latchkey-security-test";
const CLIENT_SECRET = `gh-client-secret-${randomBytes(8).toString("hex")}`;
const EMAIL = "octocat@github.example";
const METRICS_TOKEN = "metrics-token-for-security-tests-0123";

let server: TestServer;
let http: ReturnType<typeof client>;
let key: CreatedKey;
let githubApi: Awaited<ReturnType<typeof serveSandbox>>;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let upstream: { url: string; received: string[]; close(): Promise<void> };
let ipCounter = 1;
const newIp = () => `10.30.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

/** An upstream MCP server (no auth, SSE answers) whose tool echoes its argument and records what it received. */
async function startEchoUpstream() {
  const received: string[] = [];
  const srv = nodeHttp.createServer(async (req, res) => {
    const mcp = new McpServer({ name: "echo-upstream", version: "1.0.0" });
    mcp.registerTool("echo", { description: "Echoes the text.", inputSchema: { text: z.string() } }, async ({ text }) => {
      received.push(text);
      return { content: [{ type: "text", text: `echo: ${text}` }], structuredContent: { echoed: text, note: JSON.stringify({ owner_ssn: "234-56-7890" }) } };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    received,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

beforeAll(async () => {
  const up = await startEchoUpstream();
  upstream = up;
  server = await startServer({ db: TEST_DB, env: { LATCHKEY_TRUST_PROXY_HOPS: "1", LATCHKEY_LOG_LEVEL: "info", LATCHKEY_OUTBOUND_ALLOWLIST: `127.0.0.1:${up.port}`, LATCHKEY_METRICS_TOKEN: METRICS_TOKEN } });
  http = client(server.url);
  key = await createApiKeyViaCli(server, "test", "security");
  githubApi = await serveSandbox(createGithubSandbox({ oauth: { clients: { [CLIENT_ID]: { secret: CLIENT_SECRET, redirectUris: [`${server.url}/oauth/callback`] } }, issuerParameter: true } }));
  stripeApi = await serveSandbox(createStripeSandbox());
  const gcfg = await http.req("/api/v1/connectors/github/config", {
    method: "PATCH",
    key: key.secret,
    json: {
      base_url: githubApi.url,
      oauth_client_id: CLIENT_ID,
      oauth_client_secret: CLIENT_SECRET,
      oauth_authorize_url: `${githubApi.url}/login/oauth/authorize`,
      oauth_token_url: `${githubApi.url}/login/oauth/access_token`,
    },
  });
  expect(gcfg.status, gcfg.text).toBe(200);
  expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await githubApi?.close();
  await stripeApi?.close();
  await upstream?.close();
  cleanupTempDirs();
});

const cookieOf = (res: ApiResponse) => {
  const set = res.headers.getSetCookie().find((c) => /^(__Host-)?lk_link=/.test(c));
  return set ? set.split(";")[0]! : null;
};

/** Link: redeem a link token, start OAuth, let the sandbox approve, follow the callback. */
async function connectGithub(ru: string) {
  const lt = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru } });
  expect(lt.status, lt.text).toBe(201);
  const redeemed = await http.post("/api/link/redeem", { json: { link_token: lt.body.link_token }, headers: { "x-forwarded-for": newIp() } });
  expect(redeemed.status, redeemed.text).toBe(200);
  const cookie = cookieOf(redeemed)!;
  const start = await http.post("/api/link/oauth/start", { json: { connector: "github" }, headers: { cookie, origin: server.url, "x-forwarded-for": newIp() } });
  expect(start.status, start.text).toBe(200);
  const approved = await fetch(start.body.authorize_url, { redirect: "manual" });
  expect(approved.status).toBe(302);
  const cb = new URL(approved.headers.get("location")!);
  const done = await http.get(`${cb.pathname}${cb.search}`, { headers: { cookie, "x-forwarded-for": newIp() } });
  expect(done.status).toBe(303);
  expect(new URL(done.headers.get("location")!).searchParams.get("connected")).toBe("github");
}

async function mcpClient(url: string) {
  const c = new Client({ name: "security-test", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
}

/** Database queries made on the MCP path so far (the server counts them, DESIGN §8). */
async function mcpQueries(): Promise<number> {
  const text = await (await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith('latchkey_db_queries_total{scope="mcp"} '));
  return line ? Number(line.split(" ").pop()) : 0;
}

const rules = async () => {
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const r: ApiResponse = await http.get(`/api/v1/security/rules?limit=7${cursor ? `&cursor=${cursor}` : ""}`, { key: key.secret });
    expect(r.status, r.text).toBe(200);
    all.push(...r.body.data);
    cursor = r.body.next_cursor;
  } while (cursor);
  return all;
};

const setRule = async (id: string, patch: Record<string, unknown>) => {
  const r = await http.req(`/api/v1/security/rules/${id}`, { method: "PATCH", key: key.secret, json: patch });
  expect(r.status, r.text).toBe(200);
  return r.body;
};

describe(`security gateway [${TEST_DB}]`, () => {
  let customRuleId = "";

  it("rules API: built-in detectors listed and pageable; a custom regex with catastrophic backtracking is refused at save time; field-path rules validated", async () => {
    const before = await rules();
    expect(before.length).toBeGreaterThanOrEqual(17);
    expect(new Set(before.map((r) => r.id)).size).toBe(before.length);
    expect(before.find((r) => r.id === "builtin.email")).toMatchObject({ object: "security_rule", type: "detector", builtin: true, detector: "email", kind: "EMAIL", action: "log", applies_to: "both", enabled: true, created_at: null });

    const redos = await http.post("/api/v1/security/rules", { key: key.secret, json: { type: "pattern", pattern: "(a+)+$", action: "redact" } });
    expect(redos.status, redos.text).toBe(422);
    expect(redos.body.error.code).toBe("validation_error");
    expect(redos.body.error.issues[0]).toMatchObject({ path: "pattern", code: "nested_quantifier" });
    // Past the static check, recheck's analysis (run inside the built app) refuses super-linear ones.
    const poly = await http.post("/api/v1/security/rules", { key: key.secret, json: { type: "pattern", pattern: "\\d+\\d+x", action: "redact" } });
    expect(poly.status, poly.text).toBe(422);
    expect(poly.body.error.issues[0]).toMatchObject({ path: "pattern", code: "polynomial_backtracking" });
    expect(poly.body.error.message).toMatch(/backtracking/);

    const badPath = await http.post("/api/v1/security/rules", { key: key.secret, json: { type: "field_path", field_path: "$.items[", action: "redact" } });
    expect(badPath.status).toBe(422);

    const ok = await http.post("/api/v1/security/rules", { key: key.secret, json: { type: "pattern", name: "Employee id", pattern: "EMP-[0-9]{6}", kind: "EMPLOYEE_ID", action: "block", applies_to: "arguments" } });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ id: expect.stringMatching(/^secr_/), type: "pattern", builtin: false, kind: "EMPLOYEE_ID", action: "block", applies_to: "arguments" });
    customRuleId = ok.body.id;
    const field = await http.post("/api/v1/security/rules", { key: key.secret, json: { type: "field_path", field_path: "$..node_id", kind: "NODE", action: "redact", applies_to: "results" } });
    expect(field.status, field.text).toBe(201);

    const after = await rules();
    expect(after.map((r) => r.id)).toEqual([...before.map((r) => r.id), ok.body.id, field.body.id]);
    // Built-ins cannot be deleted, only reset; a reset one reads as the default again.
    await setRule("builtin.ip_address", { enabled: false });
    expect((await http.get("/api/v1/security/rules/builtin.ip_address", { key: key.secret })).body).toMatchObject({ enabled: false, created_at: expect.any(String) });
    expect((await http.req("/api/v1/security/rules/builtin.ip_address", { method: "DELETE", key: key.secret })).status).toBe(200);
    expect((await http.get("/api/v1/security/rules/builtin.ip_address", { key: key.secret })).body).toMatchObject({ enabled: true, created_at: null });
    expect((await http.get("/api/v1/security/rules/builtin.nope", { key: key.secret })).status).toBe(404);
    expect((await http.req(`/api/v1/security/rules/${customRuleId}`, { method: "PATCH", key: key.secret, json: { field_path: "$.x" } })).status).toBe(422);
    expect((await http.req(`/api/v1/security/rules/${customRuleId}`, { method: "PATCH", key: key.secret, json: { pattern: "([0-9]|[0-9a])+x" } })).status).toBe(422);
  });

  it("a block rule stops the call before it leaves (MCP and REST execute): blocked_by_policy, nothing reaches the provider, the tool-call log says why", async () => {
    const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Blocker", entries: [{ connector: "stripe", tools: ["stripe_list_customers", "stripe_create_customer"] }] } });
    expect(pack.status, pack.text).toBe(201);
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "blocked-user" } })).body;
    const ru = inst.registered_user_id;
    expect((await http.post(`/api/v1/registered-users/${ru}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_security1234567" } } })).status).toBe(201);
    const c = await mcpClient(inst.url);
    const before = stripeApi.requests.length;
    const r = await c.callTool({ name: "stripe_create_customer", arguments: { name: "Ann", description: "badge EMP-123456" } });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: "blocked_by_policy", direction: "arguments", rule_ids: [customRuleId] });
    expect(JSON.stringify(r)).not.toContain("EMP-123456");
    const rest = await http.post(`/api/v1/tool-packs/${pack.body.id}/registered-users/${ru}/tools/stripe_create_customer/execute`, { key: key.secret, json: { arguments: { name: "Ann", description: "EMP-654321" } } });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ is_error: true, result: { code: "blocked_by_policy" } });
    expect(stripeApi.requests.length).toBe(before);

    // Without the badge number, the same call goes through.
    expect((await c.callTool({ name: "stripe_create_customer", arguments: { name: "Ann" } })).isError).toBeFalsy();
    expect(stripeApi.requests.length).toBe(before + 1);

    let calls: any[] = [];
    for (let i = 0; i < 40 && calls.filter((x) => x.error_code === "blocked_by_policy").length < 2; i++) {
      await new Promise((res) => setTimeout(res, 250));
      calls = (await http.get(`/api/v1/tool-calls?registered_user_id=${ru}&limit=100`, { key: key.secret })).body.data;
    }
    expect(calls.filter((x) => x.tool === "stripe_create_customer" && x.status === "error" && x.error_code === "blocked_by_policy")).toHaveLength(2);

    // Each hit is an alert: one per rule, pack, user, tool and field per window (the two blocked
    // calls share one, counted twice), carrying a masked excerpt, never the value.
    let alerts: any[] = [];
    for (let i = 0; i < 40 && (alerts.length === 0 || alerts[0].count < 2); i++) {
      await new Promise((res) => setTimeout(res, 150));
      alerts = (await http.get(`/api/v1/alerts?kind=security_rule_hit&registered_user_id=${ru}`, { key: key.secret })).body.data;
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: "security_rule_hit", rule_id: customRuleId, tool_pack_id: pack.body.id, tool: "stripe_create_customer", count: 2, severity: "high" });
    expect(JSON.stringify(alerts)).not.toMatch(/EMP-(123456|654321)/);
    await c.close();
  });

  it("upstream MCP server tools are covered too: arguments redacted or blocked before they are forwarded, results (with JSON inside strings) redacted", async () => {
    const srv = await http.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Echo", slug: "echo", url: upstream.url, auth: { mode: "none" } } });
    expect(srv.status, srv.text).toBe(201);
    const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Upstream", entries: [{ server: "echo", tools: "*" }] } });
    expect(pack.status, pack.text).toBe(201);
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "upstream-user" } })).body;
    const c = await mcpClient(inst.url);
    const r = await c.callTool({ name: "echo__echo", arguments: { text: "my ssn is 123-45-6789" } });
    expect(r.isError, JSON.stringify(r)).toBeFalsy();
    expect(upstream.received).toEqual(["my ssn is [SSN_1]"]);
    expect(JSON.stringify(r)).not.toContain("234-56-7890");
    expect(JSON.parse((r.structuredContent as { note: string }).note)).toEqual({ owner_ssn: "[SSN_1]" });

    const blocked = await c.callTool({ name: "echo__echo", arguments: { text: "badge EMP-777777" } });
    expect(blocked.structuredContent).toMatchObject({ code: "blocked_by_policy" });
    expect(upstream.received).toHaveLength(1);

    // A results-only block rule: the call goes out, its result is withheld, and the tool-call log
    // records the call as blocked, not as the upstream's `ok`.
    const rule = await http.post("/api/v1/security/rules", { key: key.secret, json: { type: "pattern", name: "Project code", pattern: "PRJ-[0-9]{4}", kind: "PROJECT_CODE", action: "block", applies_to: "results" } });
    expect(rule.status, rule.text).toBe(201);
    try {
      let withheld: Awaited<ReturnType<typeof c.callTool>> | null = null;
      let attempts = 0;
      // Rule changes reach the hot cache by NOTIFY: give it a moment.
      for (let i = 0; i < 40 && !withheld; i++) {
        attempts++;
        const r2 = await c.callTool({ name: "echo__echo", arguments: { text: "status of PRJ-4242" } });
        if ((r2.structuredContent as { code?: string } | undefined)?.code === "blocked_by_policy") withheld = r2;
        else await new Promise((res) => setTimeout(res, 100));
      }
      expect(withheld?.structuredContent).toMatchObject({ code: "blocked_by_policy", direction: "results", rule_ids: [rule.body.id] });
      expect(JSON.stringify(withheld)).not.toContain("PRJ-4242");
      expect(upstream.received.at(-1)).toBe("status of PRJ-4242");
      let rows: any[] = [];
      const calls = 2 + attempts;
      for (let i = 0; i < 40 && rows.length < calls; i++) {
        await new Promise((res) => setTimeout(res, 250));
        rows = (await http.get(`/api/v1/tool-calls?registered_user_id=${inst.registered_user_id}&tool=echo__echo&limit=100`, { key: key.secret })).body.data;
      }
      // One row per call; the arguments block and the withheld result both say blocked_by_policy.
      expect(rows, JSON.stringify(rows)).toHaveLength(calls);
      const policyRows = rows.filter((x) => x.error_code === "blocked_by_policy");
      expect(policyRows, JSON.stringify(rows)).toHaveLength(2);
      expect(policyRows.every((x) => x.status === "error")).toBe(true);
    } finally {
      expect((await http.del(`/api/v1/security/rules/${rule.body.id}`, { key: key.secret })).status).toBeLessThan(300);
    }
    await c.close();
  });

  it("reversible redaction: the agent sees [EMAIL_1] in a GitHub result, sends it back as an argument, and the provider receives the real address; pack overrides let one tool through", async () => {
    await setRule("builtin.email", { action: "redact" });
    const pack = await http.post("/api/v1/tool-packs", {
      key: key.secret,
      json: {
        name: "Reversible",
        entries: [{ connector: "github", tools: ["github_get_authenticated_user", "github_create_issue"] }],
        security: { reversible_redaction: true, retention_hours: 2 },
      },
    });
    expect(pack.status, pack.text).toBe(201);
    expect(pack.body.security).toEqual({ reversible_redaction: true, retention_hours: 2, reversible_kinds: ["EMAIL", "PHONE"], overrides: [] });
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "reversible-user" } })).body;
    await connectGithub(inst.registered_user_id);

    const c = await mcpClient(inst.url);
    const me = await c.callTool({ name: "github_get_authenticated_user", arguments: {} });
    expect(me.isError, JSON.stringify(me)).toBeFalsy();
    const seen = JSON.stringify(me);
    expect(seen).not.toContain(EMAIL);
    expect(me.structuredContent).toMatchObject({ login: "octocat", email: "[EMAIL_1]" });
    expect((me.content as { text: string }[])[0]!.text).toContain("[EMAIL_1]");
    // The field-path rule of the first test applies to results (node_id) and is not reversible.
    expect(seen).not.toContain("MDQ6VXNlcjU4MzIzMQ==");

    // Stable: the same value is the same placeholder on the next call (and in a new session).
    const c2 = await mcpClient(inst.url);
    expect((await c2.callTool({ name: "github_get_authenticated_user", arguments: {} })).structuredContent).toMatchObject({ email: "[EMAIL_1]" });
    // Warm calls that return a value already in the vault make no database query.
    const queries = await mcpQueries();
    for (let i = 0; i < 3; i++) expect((await c.callTool({ name: "github_get_authenticated_user", arguments: {} })).structuredContent).toMatchObject({ email: "[EMAIL_1]" });
    expect(await mcpQueries()).toBe(queries);

    const before = githubApi.requests.length;
    const created = await c.callTool({ name: "github_create_issue", arguments: { owner: "octocat", repo: "hello-world", title: "Ping", body: "Please reply to [EMAIL_1] today" } });
    expect(created.isError, JSON.stringify(created)).toBeFalsy();
    const sent = githubApi.requests.slice(before).find((r) => r.method === "POST" && r.path.endsWith("/issues"));
    expect(sent?.body).toMatchObject({ body: `Please reply to ${EMAIL} today` });
    // The echo of the created issue comes back redacted again, with the same placeholder.
    expect(JSON.stringify(created)).not.toContain(EMAIL);
    expect(JSON.stringify(created)).toContain("[EMAIL_1]");

    // Another user's agent cannot restore this user's placeholder.
    const other = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "other-user" } })).body;
    await connectGithub(other.registered_user_id);
    const c3 = await mcpClient(other.url);
    const b2 = githubApi.requests.length;
    expect((await c3.callTool({ name: "github_create_issue", arguments: { owner: "octocat", repo: "hello-world", title: "Ping", body: "to [EMAIL_1]" } })).isError).toBeFalsy();
    expect(githubApi.requests.slice(b2).find((r) => r.method === "POST")?.body).toMatchObject({ body: "to [EMAIL_1]" });

    // Pack override: this tool's results go through unredacted (the rule still records hits).
    const upd = await http.req(`/api/v1/tool-packs/${pack.body.id}`, {
      method: "PATCH",
      key: key.secret,
      json: { security: { reversible_redaction: true, overrides: [{ rule_id: "builtin.email", allow_unredacted_for_tools: ["github_get_authenticated_user"] }] } },
    });
    expect(upd.status, upd.text).toBe(200);
    expect(upd.body.security.overrides).toEqual([{ rule_id: "builtin.email", allow_unredacted_for_tools: ["github_get_authenticated_user"] }]);
    expect((await c.callTool({ name: "github_get_authenticated_user", arguments: {} })).structuredContent).toMatchObject({ email: EMAIL });
    // Override: the rule switched off for the pack altogether; an unknown rule id is refused.
    const bad = await http.req(`/api/v1/tool-packs/${pack.body.id}`, { method: "PATCH", key: key.secret, json: { security: { overrides: [{ rule_id: "secr_0000000000000000000000", enabled: false }] } } });
    expect(bad.status).toBe(422);
    expect((await http.req(`/api/v1/tool-packs/${pack.body.id}`, { method: "PATCH", key: key.secret, json: { security: { overrides: [{ rule_id: `${customRuleId}`, action: "log" }] } } })).status).toBe(200);
    for (const x of [c, c2, c3]) await x.close();
  });

  it("audit: rule changes and pack overrides are recorded; the vault keeps only ciphertext and HMACs", async () => {
    await server.stop();
    await withDb(TEST_DB, server, async (h) => {
      const rows = await h.db.select().from(auditLog).where(inArray(auditLog.action, ["security_rule.created", "security_rule.updated", "security_rule.reset", "security_rule.deleted", "tool_pack.updated"]));
      const actions = rows.map((r) => r.action);
      expect(actions.filter((a) => a === "security_rule.created")).toHaveLength(3);
      expect(actions).toContain("security_rule.deleted");
      expect(actions).toContain("security_rule.updated");
      expect(actions).toContain("security_rule.reset");
      for (const r of rows) expect(r).toMatchObject({ actorType: "api_key", environmentId: expect.stringMatching(/^env_/), requestId: expect.any(String) });
      const packUpdate = rows.find((r) => r.action === "tool_pack.updated" && JSON.stringify(r.metadata).includes("allowUnredactedForTools"));
      expect(packUpdate).toBeTruthy();
      const vault = await h.db.select().from(securityVaultEntries).where(and(eq(securityVaultEntries.kind, "EMAIL")));
      expect(vault.length).toBeGreaterThanOrEqual(1);
      expect(vault[0]).toMatchObject({ placeholder: "[EMAIL_1]", lookupDigest: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), ciphertext: expect.any(String) });
      const dump = JSON.stringify(vault);
      expect(dump).not.toContain(EMAIL);
      expect(dump).not.toContain("octocat@");
    });
  });
});
