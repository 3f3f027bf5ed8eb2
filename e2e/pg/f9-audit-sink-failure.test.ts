// F9 (audit sink failure), PostgreSQL only: the app runs as a role that may not INSERT into
// audit_log (REVOKE), and every audited operation that touches a credential fails closed —
// nothing is stored, no secret is handed out — while reads that write no audit row keep working.
// Tool calls audit each credential injection off the request path (lib/audit/batch.ts). Their
// documented policy: once a batch is refused, an audit_sink_failure alert is raised and every
// call that would use a stored credential answers audit_unavailable until the database takes
// rows again; the refused rows are kept and written then, so none is lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

let server: TestServer;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;

async function asSuperuser(url: string, statements: string[]) {
  const { default: postgres } = await import("postgres");
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const s of statements) await sql.unsafe(s);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe.runIf(TEST_DB === "postgres")("F9: audit sink failure [postgres]", () => {
  beforeAll(async () => {
    stripeApi = await serveSandbox(createStripeSandbox());
  });
  afterAll(async () => {
    await server?.stop();
    await stripeApi?.close();
    cleanupTempDirs();
  });

  it("with INSERT on audit_log revoked, connect, key creation, link redemption and credential use fail closed; nothing is stored or lost", async () => {
    // 1. Set up as usual (the test cluster's superuser), then stop.
    const first = await startServer({ db: "postgres", env: { LATCHKEY_TRUST_PROXY_HOPS: "1" } });
    server = first;
    let http = client(first.url);
    const key: CreatedKey = await createApiKeyViaCli(first, "test", "f9");
    expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
    const ru = (await http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "f9-user" } })).body.id as string;
    const lt = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru } });
    expect(lt.status).toBe(201);
    // A second user with a stored credential, and a pack to call it through.
    const caller = (await http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "f9-caller" } })).body.id as string;
    const stored = await http.post(`/api/v1/registered-users/${caller}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_f9callercredential123" } } });
    expect(stored.status, stored.text).toBe(201);
    const pack = (await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "F9", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } })).body.id as string;
    await first.stop();

    // 2. An application role with every privilege but INSERT on the audit log.
    const admin = first.databaseUrl!;
    const role = `f9_app_${Math.random().toString(36).slice(2, 8)}`;
    const dbName = new URL(admin).pathname.slice(1);
    await asSuperuser(admin, [
      `CREATE ROLE ${role} LOGIN PASSWORD 'f9-password'`,
      `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${dbName} TO ${role}`,
      `GRANT USAGE, CREATE ON SCHEMA public TO ${role}`,
      `GRANT USAGE, CREATE ON SCHEMA drizzle TO ${role}`,
      `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`,
      `GRANT ALL ON ALL TABLES IN SCHEMA drizzle TO ${role}`,
      `GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
      `GRANT ALL ON ALL SEQUENCES IN SCHEMA drizzle TO ${role}`,
      `REVOKE INSERT ON audit_log FROM ${role}`,
    ]);
    const asApp = new URL(admin);
    asApp.username = role;
    asApp.password = "f9-password";

    // 3. The same installation, served as that role.
    const sameInstall = { ...first.env };
    delete sameInstall.DATABASE_URL;
    delete sameInstall.PORT;
    server = await startServer({ db: "postgres", dataDir: first.dataDir, databaseUrl: asApp.toString(), env: sameInstall });
    http = client(server.url);
    // Reads that write no audit row still work: the key authenticates, lists answer.
    const before = await http.get(`/api/v1/registered-users/${ru}/connections`, { key: key.secret });
    expect(before.status, before.text).toBe(200);
    expect(before.body.data).toHaveLength(0);

    // Connect (stores a credential): refused, nothing stored, no secret echoed.
    const secret = "sk_test_f9secretvalue98765";
    const connect = await http.post(`/api/v1/registered-users/${ru}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: secret } } });
    expect(connect.status).toBeGreaterThanOrEqual(500);
    expect(connect.text).not.toContain(secret);
    expect((await http.get(`/api/v1/registered-users/${ru}/connections`, { key: key.secret })).body.data).toHaveLength(0);

    // Key creation: refused, and no key appears.
    const keysBefore = (await http.get("/api/v1/api-keys?limit=100", { key: key.secret })).body.data.length;
    const newKey = await http.post("/api/v1/api-keys", { key: key.secret, json: { name: "f9-key" } });
    expect(newKey.status).toBeGreaterThanOrEqual(500);
    expect(JSON.stringify(newKey.body)).not.toMatch(/lk_(live|test)_/);
    expect((await http.get("/api/v1/api-keys?limit=100", { key: key.secret })).body.data.length).toBe(keysBefore);

    // Link redemption: no session cookie, and the token is not spent.
    const redeem = await http.post("/api/link/redeem", { json: { link_token: lt.body.link_token }, headers: { "x-forwarded-for": "10.9.9.9" } });
    expect(redeem.status).toBeGreaterThanOrEqual(500);
    expect(redeem.headers.getSetCookie().some((c) => /lk_link=/.test(c))).toBe(false);

    // Tool calls: the first goes through (its row is queued); once the batch is refused, calls
    // that need the stored credential are refused before it is read, and an alert is raised.
    const exec = () => http.post(`/api/v1/tool-packs/${pack}/registered-users/${caller}/tools/stripe_get_balance/execute`, { key: key.secret, json: { arguments: {} } });
    const calls = await exec();
    expect(calls.body.is_error, calls.text).toBe(false);
    let succeeded = 1;
    let refused: Awaited<ReturnType<typeof exec>> | null = null;
    for (const until = Date.now() + 10_000; Date.now() < until && !refused; ) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await exec();
      if (r.body.is_error) refused = r;
      else succeeded++;
    }
    expect(refused, "calls are refused once the audit sink fails").not.toBeNull();
    expect(refused!.body.result).toMatchObject({ code: "audit_unavailable", connector: "stripe" });
    let alert: { kind: string; severity: string; details: Record<string, unknown> } | undefined;
    for (const until = Date.now() + 10_000; Date.now() < until && !alert; await new Promise((r) => setTimeout(r, 200))) {
      alert = (await http.get("/api/v1/alerts?kind=audit_sink_failure", { key: key.secret })).body.data?.[0];
    }
    expect(alert, "an audit_sink_failure alert is raised").toMatchObject({ kind: "audit_sink_failure", severity: "critical", details: { reason: "permission_denied" } });

    // The database takes rows again: calls resume without a restart, and the queued rows are written.
    await asSuperuser(admin, [`GRANT INSERT ON audit_log TO ${role}`]);
    let resumed = false;
    for (const until = Date.now() + 30_000; Date.now() < until && !resumed; ) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await exec();
      if (!r.body.is_error) {
        resumed = true;
        succeeded++;
      } else expect(r.body.result.code).toBe("audit_unavailable");
    }
    expect(resumed, "calls resume once the audit log accepts rows").toBe(true);
    await server.stop();
    const { default: postgres } = await import("postgres");
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`SELECT count(*)::int AS n FROM audit_log WHERE action = 'credential.injected'`;
      expect(row!.n, "every call that used the credential has its row: none was lost").toBe(succeeded);
    } finally {
      await sql.end({ timeout: 5 });
    }

    // 4. Back as the owner: the link token still works (it was not consumed by the failed attempt).
    server = await startServer({ db: "postgres", dataDir: first.dataDir, databaseUrl: admin, env: sameInstall });
    const again = await client(server.url).post("/api/link/redeem", { json: { link_token: lt.body.link_token }, headers: { "x-forwarded-for": "10.9.9.10" } });
    expect(again.status, again.text).toBe(200);
  }, 240_000);
});
