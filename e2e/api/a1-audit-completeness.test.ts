// A1 (audit completeness), through the built app: connect, disconnect, key create, key revoke,
// link redemption and security-policy changes each write exactly one audit row carrying the
// actor, the tenant (organization), the environment and the request id the response named; no
// secret (API key, provider credential, link token) appears anywhere in the audit log.
// Not covered here because the product does not audit it (see the report): each injection of a
// credential into a provider call (the MCP hot path makes no database write per call).
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { withDb } from "../helpers/db";
import { client, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

let server: TestServer;
let key: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  server = await startServer({ db: TEST_DB, env: { LATCHKEY_TRUST_PROXY_HOPS: "1" } });
  key = await createApiKeyViaCli(server, "test", "a1");
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
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
      const dump = JSON.stringify(all);
      for (const s of secrets) expect(dump.includes(s), `a secret (${s.slice(0, 6)}…) is in the audit log`).toBe(false);
    });
  });
});
