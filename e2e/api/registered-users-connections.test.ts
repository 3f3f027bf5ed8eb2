// Registered users, the connections vault and the connector catalog through the production
// server (issue 3): idempotency, groups, masked connections, connector settings, T1, T2, C7, C8.
// Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc } from "drizzle-orm";
import { auditLog } from "@/db/schema";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { withDb } from "../helpers/db";
import { client, unknownId, withoutRequestId, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, parseJsonOutput, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let http: ReturnType<typeof client>;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let keyA: CreatedKey; // org A, test environment
let keyB: CreatedKey; // org B, test environment
let keyLive: CreatedKey; // org A, production

// Canaries: unique strings planted as secrets. Any appearance in a response, log or audit row fails (C7, C8).
const CANARY_STRIPE = `sk_test_CANARY${Math.random().toString(36).slice(2, 12)}STRIPEKEY`;
const CANARY_CLIENT_SECRET = `canary-client-secret-${Math.random().toString(36).slice(2)}`;
const responses: string[] = [];
const record = async <T>(p: Promise<ApiResponse<T>>) => {
  const r = await p;
  responses.push(r.text);
  return r;
};

beforeAll(async () => {
  // Like Stripe, the sandbox refuses keys it does not know: here, any key containing "Revoked".
  stripeApi = await serveSandbox(createStripeSandbox({ authorize: (k) => !k.includes("Revoked") }));
  server = await startServer({ db, env: { LATCHKEY_LOG_LEVEL: "info" } });
  http = client(server.url);
  keyA = await createApiKeyViaCli(server, "test", "org-a");
  keyLive = await createApiKeyViaCli(server, "production", "org-a-live");
  const org = await server.cli(["create-organization", "--name", "Org B", "--owner-email", server.env.LATCHKEY_ADMIN_EMAIL ?? "admin@latchkey.local", "--json"]);
  expect(org.code, org.stderr).toBe(0);
  const orgB = parseJsonOutput<{ id: string }>(org.stdout);
  const r = await server.cli(["create-api-key", "--env", "test", "--org", orgB.id, "--name", "org-b", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  keyB = parseJsonOutput<CreatedKey>(r.stdout);
  // Both orgs' test environments call the Stripe sandbox instead of api.stripe.com.
  for (const k of [keyA, keyB]) {
    const cfg = await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: k.secret, json: { base_url: stripeApi.url } });
    expect(cfg.status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stripeApi?.close();
  cleanupTempDirs();
});

describe(`registered users [${db}]`, () => {
  it("create is idempotent on origin_user_id: 201 then 200 with the same user; 20 concurrent creates make one", async () => {
    const a = await record(http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "user-1", email: "u1@example.com", metadata: { plan: "pro" } } }));
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ object: "registered_user", origin_user_id: "user-1", email: "u1@example.com", metadata: { plan: "pro" }, shared_credential_group: null });
    expect(a.body.id).toMatch(/^ru_[0-9a-z]{22}$/);
    const again = await http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "user-1" } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(a.body.id);

    const burst = await Promise.all(Array.from({ length: 20 }, () => http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "burst" } })));
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(burst.filter((r) => r.status === 201)).toHaveLength(1);
    expect(burst.filter((r) => r.status === 200)).toHaveLength(19);
  });

  it("validates input with field paths, filters by group, searches by prefix, paginates, and patches", async () => {
    const bad = await http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "", email: "nope", shared_credential_group: "has space" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["email", "origin_user_id", "shared_credential_group"]);

    for (let i = 0; i < 5; i++) {
      expect((await http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: `acme-${i}`, shared_credential_group: "acme" } })).status).toBe(201);
    }
    const group = await http.get("/api/v1/registered-users?shared_credential_group=acme&limit=2", { key: keyA.secret });
    expect(group.body.data).toHaveLength(2);
    expect(group.body.has_more).toBe(true);
    const seen = new Set(group.body.data.map((u: { id: string }) => u.id));
    let cursor = group.body.next_cursor;
    while (cursor) {
      const page = await http.get(`/api/v1/registered-users?shared_credential_group=acme&limit=2&cursor=${cursor}`, { key: keyA.secret });
      for (const u of page.body.data) seen.add(u.id);
      cursor = page.body.next_cursor;
    }
    expect(seen.size).toBe(5);
    const search = await http.get("/api/v1/registered-users?search=acme-3", { key: keyA.secret });
    expect(search.body.data.map((u: { origin_user_id: string }) => u.origin_user_id)).toEqual(["acme-3"]);

    const id = search.body.data[0].id;
    const patched = await http.req(`/api/v1/registered-users/${id}`, { method: "PATCH", key: keyA.secret, json: { email: "three@example.com", shared_credential_group: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ email: "three@example.com", shared_credential_group: null });
  });
});

describe(`connections and connectors [${db}]`, () => {
  it("the catalog lists 8 connectors, each with ≥6 tools, JSON Schemas, annotations and scopes", async () => {
    const r = await record(http.get("/api/v1/connectors", { key: keyA.secret }));
    expect(r.status).toBe(200);
    const slugs = r.body.data.map((c: { slug: string }) => c.slug);
    expect(slugs).toEqual(expect.arrayContaining(["github", "slack", "google_calendar", "gmail", "linear", "notion", "jira", "stripe"]));
    for (const c of r.body.data) {
      expect(c.tools.length).toBeGreaterThanOrEqual(6);
      expect(c.tools.some((t: { annotations: { readOnlyHint?: boolean } }) => t.annotations.readOnlyHint === false)).toBe(true);
      for (const t of c.tools) expect(t.input_schema).toMatchObject({ type: "object" });
    }
    expect(r.body.data.find((c: { slug: string }) => c.slug === "stripe").auth).toMatchObject({ kind: "api_key", secret_fields: ["secret_key"] });
  });

  it("connects an api-key connector for a user: schema errors by field, provider rejection, then a masked connection; reposting replaces it in place", async () => {
    const user = (await http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "stripe-user" } })).body;
    const badShape = await http.post(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: "not-a-key" } } });
    expect(badShape.status).toBe(422);
    expect(badShape.body.error.issues[0].path).toBe("credentials.secret_key");
    const rejected = await http.post(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_RevokedKey1234567" } } });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.message).toMatch(/rejected/);
    const oauthViaPost = await http.post(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret, json: { connector: "github", credentials: { token: "x" } } });
    expect(oauthViaPost.status).toBe(422);

    const ok = await record(http.post(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: CANARY_STRIPE } } }));
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ object: "connection", connector: "stripe", auth_kind: "api_key", status: "active", registered_user_id: user.id, account_label: "Stripe (test mode)" });
    expect(ok.body.fields.secret_key).toBe(`••••${CANARY_STRIPE.slice(-4)}`);
    const again = await record(http.post(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: CANARY_STRIPE } } }));
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(ok.body.id);

    const list = await record(http.get(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret }));
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([ok.body.id]);
    const one = await record(http.get(`/api/v1/connections/${ok.body.id}`, { key: keyA.secret }));
    expect(one.body.status).toBe("active");
    const projected = await http.post(`/api/v1/connections/${ok.body.id}/project`, { key: keyA.secret });
    expect(projected.status).toBe(200);
    expect(projected.body).toMatchObject({ connector: "stripe", base_url: stripeApi.url, headers: { authorization: `Bearer ${CANARY_STRIPE}` } });

    // Deleting the user revokes and removes their connections.
    const del = await record(http.del(`/api/v1/registered-users/${user.id}`, { key: keyA.secret }));
    expect(del.body).toMatchObject({ deleted: true, connections_removed: 1 });
    expect((await http.get(`/api/v1/connections/${ok.body.id}`, { key: keyA.secret })).status).toBe(404);
  });

  it("a group's connection serves its members; settings: BYO OAuth secret write-only, disabling a connector blocks new connections", async () => {
    const g = await record(http.post("/api/v1/shared-credential-groups/team-x/connections", { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: CANARY_STRIPE } } }));
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ owner_type: "group", shared_credential_group: "team-x", registered_user_id: null });
    const filtered = await http.get("/api/v1/connections?shared_credential_group=team-x", { key: keyA.secret });
    expect(filtered.body.data.map((c: { id: string }) => c.id)).toEqual([g.body.id]);

    const cfg = await record(http.req("/api/v1/connectors/github/config", { method: "PATCH", key: keyA.secret, json: { oauth_client_id: "Iv1.test", oauth_client_secret: CANARY_CLIENT_SECRET, scopes: ["repo"] } }));
    expect(cfg.status).toBe(200);
    expect(cfg.body).toMatchObject({ connector: "github", oauth_client_id: "Iv1.test", oauth_client_secret_set: true, scopes: ["repo"], enabled: true });
    expect((await record(http.get("/api/v1/connectors/github/config", { key: keyA.secret }))).body.oauth_client_secret_set).toBe(true);
    const notOauth = await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: keyA.secret, json: { oauth_client_id: "x" } });
    expect(notOauth.status).toBe(422);
    const unknown = await http.get("/api/v1/connectors/nope/config", { key: keyA.secret });
    expect(unknown.status).toBe(404);

    expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: keyA.secret, json: { enabled: false } })).body.enabled).toBe(false);
    const catalog = await http.get("/api/v1/connectors", { key: keyA.secret });
    expect(catalog.body.data.find((c: { slug: string }) => c.slug === "stripe").enabled).toBe(false);
    const u = (await http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "blocked" } })).body;
    const blocked = await http.post(`/api/v1/registered-users/${u.id}/connections`, { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: CANARY_STRIPE } } });
    expect(blocked.status).toBe(403);
    // Other environments are unaffected (T2).
    expect((await http.get("/api/v1/connectors/stripe", { key: keyLive.secret })).body.enabled).toBe(true);
    await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: keyA.secret, json: { enabled: true } });
  });

  it("T1 + T2: another organization's key, or the production key, sees none of these objects: 404 identical to an unknown id, nothing changes", async () => {
    const user = (await http.post("/api/v1/registered-users", { key: keyA.secret, json: { origin_user_id: "victim" } })).body;
    const conn = (await http.post(`/api/v1/registered-users/${user.id}/connections`, { key: keyA.secret, json: { connector: "stripe", credentials: { secret_key: CANARY_STRIPE } } })).body;
    const snapshot = async () =>
      JSON.stringify([
        (await http.get("/api/v1/registered-users?limit=100", { key: keyA.secret })).body,
        (await http.get("/api/v1/connections?limit=100", { key: keyA.secret })).body,
        (await http.get("/api/v1/api-keys?limit=100", { key: keyA.secret })).body.data.map((k: { id: string; status: string }) => [k.id, k.status]),
      ]);
    const before = await snapshot();
    const probes: [string, string, unknown?][] = [
      ["GET", `/api/v1/registered-users/{ru}`],
      ["PATCH", `/api/v1/registered-users/{ru}`, { email: "x@evil.test" }],
      ["DELETE", `/api/v1/registered-users/{ru}`],
      ["GET", `/api/v1/registered-users/{ru}/connections`],
      ["POST", `/api/v1/registered-users/{ru}/connections`, { connector: "stripe", credentials: { secret_key: "sk_test_attacker12345" } }],
      ["GET", `/api/v1/connections/{conn}`],
      ["DELETE", `/api/v1/connections/{conn}`],
      ["POST", `/api/v1/connections/{conn}/project`],
      ["GET", `/api/v1/api-keys/{key}`],
      ["DELETE", `/api/v1/api-keys/{key}`],
      ["POST", `/api/v1/api-keys/{key}/rotate`, {}],
    ];
    const real = { ru: user.id, conn: conn.id, key: keyA.id };
    const fake = { ru: unknownId("ru"), conn: unknownId("conn"), key: unknownId("key") };
    const fill = (p: string, ids: Record<string, string>) => p.replace(/\{(\w+)\}/g, (_m, k: string) => ids[k]!);
    for (const attacker of [keyB, keyLive]) {
      for (const [method, path, json] of probes) {
        const hit = await record(http.req(fill(path, real), { method, key: attacker.secret, ...(json ? { json } : {}) }));
        const miss = await http.req(fill(path, fake), { method, key: attacker.secret, ...(json ? { json } : {}) });
        expect(hit.status, `${method} ${path}`).toBe(404);
        expect(withoutRequestId(hit.body), `${method} ${path}`).toEqual(withoutRequestId(miss.body));
      }
      expect((await http.get("/api/v1/connections", { key: attacker.secret })).body.data.map((c: { id: string }) => c.id)).not.toContain(conn.id);
      expect((await http.get("/api/v1/registered-users?search=victim", { key: attacker.secret })).body.data).toEqual([]);
    }
    expect(await snapshot()).toBe(before);
  });

  it("C7 + C8: no planted secret appears in any response, in the server's logs, or in the audit log", async () => {
    const joined = responses.join("\n");
    expect(responses.length).toBeGreaterThan(10);
    for (const canary of [CANARY_STRIPE, CANARY_CLIENT_SECRET]) {
      expect(joined).not.toContain(canary);
      expect(server.logs()).not.toContain(canary);
    }
    expect(server.logs()).not.toMatch(/\bsk_(?:test|live)_[0-9A-Za-z]{10,}/);
    expect(server.logs()).not.toMatch(/\blk_(?:test|live)_[0-9A-Za-z]{40,}/);
    if (db === "postgres") {
      await withDb(db, server, async (h) => {
        const rows = JSON.stringify(await h.db.select().from(auditLog).orderBy(asc(auditLog.seq)));
        expect(rows).toContain("connection.created");
        expect(rows).not.toContain(CANARY_STRIPE);
        expect(rows).not.toContain(CANARY_CLIENT_SECRET);
      });
    }
  });
});
