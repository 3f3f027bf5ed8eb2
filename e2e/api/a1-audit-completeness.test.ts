// A1 (audit completeness), through the built app: connect, disconnect, key create, key revoke,
// link redemption and security-policy changes each write exactly one audit row carrying the
// actor, the tenant (organization), the environment and the request id the response named; no
// secret (API key, provider credential, link token) appears anywhere in the audit log.
// Each injection of a stored credential into a provider or upstream call (REST execute and MCP
// tools/call, connector and upstream MCP server) writes one `credential.injected` row too, off the
// request path (lib/audit/batch.ts): the rows are checked after the server has stopped.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { withDb } from "../helpers/db";
import { startOpenUpstreamMcp, type OpenUpstreamMcp } from "../helpers/open-upstream-mcp";
import { client, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

let server: TestServer;
let key: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let upstream: OpenUpstreamMcp;
const UPSTREAM_TOKEN = "upstream-static-token-a1-0123456789";

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  upstream = await startOpenUpstreamMcp({ name: "a1-upstream", tools: ["echo"], token: UPSTREAM_TOKEN });
  server = await startServer({ db: TEST_DB, env: { LATCHKEY_TRUST_PROXY_HOPS: "1", LATCHKEY_OUTBOUND_ALLOWLIST: new URL(upstream.url).host } });
  key = await createApiKeyViaCli(server, "test", "a1");
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
  await upstream?.close();
  cleanupTempDirs();
});

describe(`A1: audit completeness [${TEST_DB}]`, () => {
  it("each sensitive operation writes exactly one row with actor, tenant, environment and its request id; no secret is ever in the log", async () => {
    const http = client(server.url);
    expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
    const expected: { what: string; action: string; actorType: string; res: ApiResponse }[] = [];
    const op = (what: string, action: string, actorType: string, res: ApiResponse) => {
      expect(res.status, `${what}: ${res.text}`).toBeLessThan(300);
      expected.push({ what, action, actorType, res });
      return res;
    };
    const secrets: string[] = [key.secret];

    const created = op("key create", "api_key.created", "api_key", await http.post("/api/v1/api-keys", { key: key.secret, json: { name: "a1-key" } }));
    secrets.push(created.body.secret);
    op("key revoke", "api_key.revoked", "api_key", await http.del(`/api/v1/api-keys/${created.body.id}`, { key: key.secret }));

    const ru = (await http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "a1-user" } })).body.id as string;
    const stripeSecret = "sk_test_a1secretvalue12345";
    secrets.push(stripeSecret);
    op("connect", "connection.created", "api_key", await http.post(`/api/v1/registered-users/${ru}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: stripeSecret } } }));
    const conn = (await http.get(`/api/v1/registered-users/${ru}/connections`, { key: key.secret })).body.data[0];

    // Credential injections: a connector call over REST (its response names the request id), the
    // same over MCP, and an upstream MCP server holding a static token.
    secrets.push(UPSTREAM_TOKEN);
    const srv = await http.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "A1 upstream", slug: "a1up", url: upstream.url, auth: { mode: "token", token: UPSTREAM_TOKEN } } });
    expect(srv.status, srv.text).toBe(201);
    const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "A1 pack", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }, { server: "a1up", tools: "*" }] } });
    expect(pack.status, pack.text).toBe(201);
    const exec = await http.post(`/api/v1/tool-packs/${pack.body.id}/registered-users/${ru}/tools/stripe_get_balance/execute`, { key: key.secret, json: { arguments: {} } });
    expect(exec.status, exec.text).toBe(200);
    expect(exec.body.is_error, exec.text).toBe(false);
    const mcp = new Client({ name: "a1", version: "1.0.0" });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/api/v1/tool-packs/${pack.body.id}/registered-users/${ru}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key.secret}` } } }));
    const viaMcp = await mcp.callTool({ name: "stripe_get_balance", arguments: {} });
    expect(viaMcp.isError ?? false, JSON.stringify(viaMcp)).toBe(false);
    const viaUpstream = await mcp.callTool({ name: "a1up__echo", arguments: { text: "hello" } });
    expect(viaUpstream.isError ?? false, JSON.stringify(viaUpstream)).toBe(false);
    await mcp.close();

    op("disconnect", "connection.deleted", "api_key", await http.del(`/api/v1/connections/${conn.id}`, { key: key.secret }));

    const lt = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru } });
    expect(lt.status).toBe(201);
    secrets.push(lt.body.link_token);
    const redeemed = op("link redemption", "link_token.redeemed", "end_user", await http.post("/api/link/redeem", { json: { link_token: lt.body.link_token }, headers: { "x-forwarded-for": "10.9.8.7" } }));
    const cookie = redeemed.headers.getSetCookie().find((c) => /lk_link=/.test(c))!;
    secrets.push(cookie.split(";")[0]!.split("=").slice(1).join("="));

    op("security rule change", "security_rule.updated", "api_key", await http.req("/api/v1/security/rules/builtin.email", { method: "PATCH", key: key.secret, json: { action: "redact" } }));

    await server.stop();
    await withDb(TEST_DB, server, async (h) => {
      const all = await h.db.select().from(auditLog);
      const envId = key.environment_id;
      for (const e of expected) {
        const requestId = e.res.headers.get("x-request-id");
        expect(requestId, e.what).toMatch(/^req_[0-9a-z]{22}$/);
        const rows = await h.db.select().from(auditLog).where(eq(auditLog.requestId, requestId!));
        expect(rows, `${e.what}: exactly one audit row for its request`).toHaveLength(1);
        expect(rows[0], e.what).toMatchObject({ action: e.action, actorType: e.actorType, actorId: expect.any(String), organizationId: key.organization_id, environmentId: envId });
        expect(rows[0]!.actorId.length, e.what).toBeGreaterThan(3);
      }
      const injected = all.filter((r) => r.action === "credential.injected");
      const actor = { actorType: "api_key", actorId: expect.stringMatching(/^key_/), organizationId: key.organization_id, environmentId: envId };
      expect(injected, "one row per call that used a stored credential").toHaveLength(3);
      const restRow = injected.find((r) => r.requestId === exec.headers.get("x-request-id"));
      expect(restRow, "the REST call's row carries its request id").toMatchObject({ ...actor, targetType: "connection", targetId: conn.id, metadata: { tool: "stripe_get_balance", connector: "stripe", registered_user_id: ru } });
      const mcpRows = injected.filter((r) => r !== restRow);
      expect(mcpRows.map((r) => r.targetType).sort()).toEqual(["connection", "mcp_server"]);
      for (const r of mcpRows) {
        expect(r).toMatchObject(actor);
        expect(r.requestId).toMatch(/^req_[0-9a-z]{22}$/);
      }
      expect(mcpRows.find((r) => r.targetType === "mcp_server")).toMatchObject({ targetId: srv.body.id, metadata: { tool: "echo", server: "a1up", registered_user_id: ru } });

      const dump = JSON.stringify(all);
      for (const s of secrets) expect(dump.includes(s), `a secret (${s.slice(0, 6)}…) is in the audit log`).toBe(false);
    });
  });
});
