// API key lifecycle against the production server: the issue's acceptance test (CLI → REST →
// revoke), K3, the embedded admin socket, T2 (environment part), C9 and the audit trail.
// Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { verifyAuditLog } from "@/lib/audit/verify";
import { generateApiKey } from "@/lib/crypto/tokens";
import { withDb } from "../helpers/db";
import { client, unknownId, withoutRequestId } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let http: ReturnType<typeof client>;

// Remembered for the audit check at the end of the file.
const mismatchKeyIds: string[] = [];

beforeAll(async () => {
  server = await startServer({ db });
  http = client(server.url);
});

afterAll(async () => {
  await server?.stop();
  cleanupTempDirs();
});

describe(`API keys [${db}]`, () => {
  it("issue acceptance + K3: `cli create-api-key --env test --json` prints one JSON object whose secret authenticates; after DELETE the very next request is 401 invalid_api_key (no cache, < 1 s)", async () => {
    const r = await server.cli(["create-api-key", "--env", "test", "--name", "acceptance", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const key = JSON.parse(lines[0]!) as CreatedKey & Record<string, unknown>;
    expect(key).toMatchObject({ object: "api_key", mode: "test", status: "active", name: "acceptance", revoked_at: null });
    expect(key.id).toMatch(/^key_[0-9a-z]{22}$/);
    expect(key.environment_id).toMatch(/^env_[0-9a-z]{22}$/);
    expect(key.secret).toMatch(/^lk_test_[0-9A-Za-z]{49}$/);
    expect(key.prefix).toBe(key.secret.slice(0, 12));

    const list = await http.get("/api/v1/api-keys", { key: key.secret });
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(key.id);
    // The secret is shown once: never in a list or a read.
    expect(list.text).not.toContain(key.secret);
    const one = await http.get(`/api/v1/api-keys/${key.id}`, { key: key.secret });
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty("secret");
    expect(one.text).not.toContain(key.secret.slice(12));

    // A second key, used a few times first so any cache would be warm, then revoked by the first.
    const victim = await createApiKeyViaCli(server, "test", "k3-victim");
    for (let i = 0; i < 3; i++) expect((await http.get("/api/v1/api-keys?limit=1", { key: victim.secret })).status).toBe(200);
    const del = await http.del(`/api/v1/api-keys/${victim.id}`, { key: key.secret });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: victim.id, status: "revoked" });
    const revokedAt = Date.now();
    const next = await http.get("/api/v1/api-keys", { key: victim.secret });
    const elapsed = Date.now() - revokedAt;
    expect(next.status).toBe(401);
    expect(next.body.error.code).toBe("invalid_api_key");
    expect(elapsed).toBeLessThan(1000);
    // Revoking again is idempotent; the revoked key stays listed only with include_revoked.
    expect((await http.del(`/api/v1/api-keys/${victim.id}`, { key: key.secret })).body.status).toBe("revoked");
    const active = await http.get("/api/v1/api-keys?limit=100", { key: key.secret });
    expect(active.body.data.map((k: { id: string }) => k.id)).not.toContain(victim.id);
    const all = await http.get("/api/v1/api-keys?limit=100&include_revoked=true", { key: key.secret });
    expect(all.body.data.find((k: { id: string }) => k.id === victim.id)?.status).toBe("revoked");

    // A key that revokes itself is refused from its very next request.
    const self = await http.del(`/api/v1/api-keys/${key.id}`, { key: key.secret });
    expect(self.status).toBe(200);
    const after = await http.get("/api/v1/api-keys", { key: key.secret });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("invalid_api_key");
  });

  it("K3: rotation returns a new secret once; with overlap 0 the old key stops at once, with an overlap it keeps working", async () => {
    const admin = await createApiKeyViaCli(server, "test", "k3-admin");
    const old = await createApiKeyViaCli(server, "test", "k3-rotate-now");
    const rotated = await http.post(`/api/v1/api-keys/${old.id}/rotate`, { key: admin.secret, json: { overlap_seconds: 0 } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).toMatch(/^lk_test_/);
    expect(rotated.body.id).not.toBe(old.id);
    expect(rotated.body.name).toBe("k3-rotate-now");
    expect((await http.get("/api/v1/api-keys?limit=1", { key: rotated.body.secret })).status).toBe(200);
    expect((await http.get("/api/v1/api-keys?limit=1", { key: old.secret })).status).toBe(401);

    const overlapping = await createApiKeyViaCli(server, "test", "k3-rotate-overlap");
    const r2 = await http.post(`/api/v1/api-keys/${overlapping.id}/rotate`, { key: admin.secret, json: { overlap_seconds: 3600 } });
    expect(r2.status).toBe(201);
    expect((await http.get("/api/v1/api-keys?limit=1", { key: overlapping.secret })).status).toBe(200);
    const oldRow = await http.get(`/api/v1/api-keys/${overlapping.id}`, { key: admin.secret });
    expect(oldRow.body.expires_at).not.toBeNull();
    // Only an active key can be rotated.
    const again = await http.post(`/api/v1/api-keys/${old.id}/rotate`, { key: admin.secret, json: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
  });

  it.runIf(db === "pglite")(
    "issue acceptance (embedded): the CLI talks to the running server over its admin socket, never opens PGlite itself; the server keeps serving and a second CLI call works",
    async () => {
      const lockFile = path.join(server.dataDir, "latchkey.lock");
      const lock = JSON.parse(readFileSync(lockFile, "utf8"));
      expect(lock).toMatchObject({ role: "server", pid: server.pid, url: server.url });
      expect(statSync(lock.adminSocket).isSocket()).toBe(true);

      // Had the CLI opened the data directory it would have failed on the server's lock.
      const first = await createApiKeyViaCli(server, "test", "socket-1");
      expect((await http.get("/api/health")).status).toBe(200);
      expect((await http.get("/api/v1/api-keys", { key: first.secret })).status).toBe(200);
      const second = await createApiKeyViaCli(server, "production", "socket-2");
      expect(second.secret).toMatch(/^lk_live_/);
      expect((await http.get("/api/v1/api-keys", { key: second.secret })).status).toBe(200);
      const verify = await server.cli(["verify-audit-log", "--json"]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);

      // Still the same server holding the same lock, alive and serving.
      expect(JSON.parse(readFileSync(lockFile, "utf8"))).toMatchObject({ role: "server", pid: server.pid });
      expect(() => process.kill(server.pid, 0)).not.toThrow();
      expect((await http.get("/api/v1/api-keys", { key: first.secret })).status).toBe(200);
      expect(server.logs()).not.toMatch(/in use by process|DataDirInUse|admin command failed/);
    },
  );

  describe("T2: test/live environment isolation", () => {
    let prod: CreatedKey;
    let test: CreatedKey;

    beforeAll(async () => {
      prod = await createApiKeyViaCli(server, "production", "t2-prod");
      test = await createApiKeyViaCli(server, "test", "t2-test");
    });

    it("T2: a test key cannot see production keys and vice versa; the other environment's ids are 404 not_found with the same body as an unknown id", async () => {
      expect(prod.secret).toMatch(/^lk_live_/);
      expect(test.secret).toMatch(/^lk_test_/);
      expect(prod.environment_id).not.toBe(test.environment_id);
      expect(prod.organization_id).toBe(test.organization_id);

      const prod2 = await http.post("/api/v1/api-keys", { key: prod.secret, json: { name: "t2-prod-2" } });
      const test2 = await http.post("/api/v1/api-keys", { key: test.secret, json: { name: "t2-test-2" } });
      expect(prod2.status).toBe(201);
      expect(test2.status).toBe(201);
      expect(prod2.body).toMatchObject({ mode: "live", environment_id: prod.environment_id });
      expect(test2.body).toMatchObject({ mode: "test", environment_id: test.environment_id });

      const prodList = await http.get("/api/v1/api-keys?limit=100&include_revoked=true", { key: prod.secret });
      const testList = await http.get("/api/v1/api-keys?limit=100&include_revoked=true", { key: test.secret });
      const prodIds = new Set<string>(prodList.body.data.map((k: { id: string }) => k.id));
      const testIds = new Set<string>(testList.body.data.map((k: { id: string }) => k.id));
      expect(prodList.body.data.every((k: { environment_id: string; mode: string }) => k.environment_id === prod.environment_id && k.mode === "live")).toBe(true);
      expect(testList.body.data.every((k: { environment_id: string; mode: string }) => k.environment_id === test.environment_id && k.mode === "test")).toBe(true);
      expect([...prodIds].filter((id) => testIds.has(id))).toEqual([]);
      expect(prodIds.has(prod.id) && prodIds.has(prod2.body.id)).toBe(true);
      expect(testIds.has(test.id) && testIds.has(test2.body.id)).toBe(true);

      const cases: [viewer: CreatedKey, victimId: string][] = [
        [test, prod2.body.id],
        [test, prod.id],
        [prod, test2.body.id],
        [prod, test.id],
      ];
      for (const [viewer, victimId] of cases) {
        const missing = unknownId("key");
        const probes: [string, string, unknown][] = [
          ["GET", `/api/v1/api-keys/${victimId}`, undefined],
          ["DELETE", `/api/v1/api-keys/${victimId}`, undefined],
          ["POST", `/api/v1/api-keys/${victimId}/rotate`, { overlap_seconds: 0 }],
        ];
        for (const [method, url, json] of probes) {
          const cross = await http.req(url, { method, key: viewer.secret, ...(json ? { json } : {}) });
          const unknown = await http.req(url.replace(victimId, missing), { method, key: viewer.secret, ...(json ? { json } : {}) });
          expect(cross.status, `${method} ${url} with the other environment's key`).toBe(404);
          expect(cross.body.error.code).toBe("not_found");
          expect(withoutRequestId(cross.body)).toEqual(withoutRequestId(unknown.body));
          expect(unknown.status).toBe(404);
          expect(cross.headers.get("content-type")).toBe(unknown.headers.get("content-type"));
        }
      }
      // Nothing was revoked or rotated across the boundary.
      for (const [key, id] of [
        [prod, prod2.body.id],
        [prod, prod.id],
        [test, test2.body.id],
        [test, test.id],
      ] as const) {
        const r = await http.get(`/api/v1/api-keys/${id}`, { key: key.secret });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ status: "active", expires_at: null });
      }
    });

    it("T2: a lk_live_ prefix on a test key's body (and lk_test_ on a live key) → 401 environment_mismatch", async () => {
      const liveOnTest = `lk_live_${test.secret.slice("lk_test_".length)}`;
      const testOnLive = `lk_test_${prod.secret.slice("lk_live_".length)}`;
      for (const forged of [liveOnTest, testOnLive]) {
        const r = await http.get("/api/v1/api-keys", { key: forged });
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe("environment_mismatch");
        expect(r.headers.get("www-authenticate")).toMatch(/^Bearer /);
        const w = await http.post("/api/v1/api-keys", { key: forged, json: { name: "never" } });
        expect(w.status).toBe(401);
        expect(w.body.error.code).toBe("environment_mismatch");
      }
      // The Latchkey-Environment header must name the key's own environment.
      const hdr = await http.get("/api/v1/api-keys", { key: test.secret, headers: { "latchkey-environment": prod.environment_id } });
      expect(hdr.status).toBe(401);
      expect(hdr.body.error.code).toBe("environment_mismatch");
      const own = await http.get("/api/v1/api-keys", { key: test.secret, headers: { "latchkey-environment": test.environment_id } });
      expect(own.status).toBe(200);
      // The genuine keys are unaffected.
      expect((await http.get("/api/v1/api-keys", { key: test.secret })).status).toBe(200);
      expect((await http.get("/api/v1/api-keys", { key: prod.secret })).status).toBe(200);
      mismatchKeyIds.push(test.id, prod.id);
    });
  });

  it("C9: wrong length, wrong prefix, bad checksum, revoked, forged well-formed, missing Bearer and a 10 KB header all get the same 401 invalid_api_key, never 5xx", async () => {
    const good = await createApiKeyViaCli(server, "test", "c9-good");
    const revoked = await createApiKeyViaCli(server, "test", "c9-revoked");
    expect((await http.del(`/api/v1/api-keys/${revoked.id}`, { key: good.secret })).status).toBe(200);

    const body = good.secret.slice("lk_test_".length); // 43 random + 6 checksum
    const swapLast = (s: string) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A");
    const swapFirstBodyChar = (s: string) => s.slice(0, 8) + (s[8] === "A" ? "B" : "A") + s.slice(9);
    const cases: [label: string, authorization: string | null][] = [
      ["no Authorization header", null],
      ["Bearer missing", good.secret],
      ["Basic scheme", `Basic ${Buffer.from(`user:${good.secret}`).toString("base64")}`],
      ["empty Bearer", "Bearer "],
      ["Bearer with two tokens", `Bearer ${good.secret} ${good.secret}`],
      ["too short by one", `Bearer ${good.secret.slice(0, -1)}`],
      ["too long by one", `Bearer ${good.secret}A`],
      ["only the prefix", "Bearer lk_test_"],
      ["wrong prefix lk_prod_", `Bearer lk_prod_${body}`],
      ["wrong prefix sk_test_", `Bearer sk_test_${body}`],
      ["upper-case prefix", `Bearer LK_TEST_${body}`],
      ["no prefix", `Bearer ${body}`],
      ["bad checksum", `Bearer ${swapLast(good.secret)}`],
      ["secret changed, checksum kept", `Bearer ${swapFirstBodyChar(good.secret)}`],
      ["revoked key", `Bearer ${revoked.secret}`],
      ["right prefix, random well-formed secret (valid checksum)", `Bearer ${generateApiKey("test").secret}`],
      ["random well-formed live secret", `Bearer ${generateApiKey("live").secret}`],
      ["10 KB token", `Bearer ${"a".repeat(10 * 1024)}`],
      ["10 KB after a valid key", `Bearer ${good.secret}${"x".repeat(10 * 1024)}`],
      ["non-alphanumeric junk", "Bearer lk_test_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"],
    ];
    const endpoints: [method: string, url: string, json?: unknown][] = [
      ["GET", "/api/v1/api-keys"],
      ["POST", "/api/v1/api-keys", { name: "must-not-exist" }],
      ["GET", `/api/v1/api-keys/${good.id}`],
      ["DELETE", `/api/v1/api-keys/${good.id}`],
      ["POST", `/api/v1/api-keys/${good.id}/rotate`, { overlap_seconds: 0 }],
    ];
    let reference: { body: unknown; wwwAuth: string | null } | undefined;
    for (const [label, authorization] of cases) {
      for (const [method, url, json] of endpoints) {
        const r = await http.req(url, { method, headers: authorization === null ? {} : { authorization }, ...(json ? { json } : {}) });
        const what = `${label}: ${method} ${url}`;
        expect(r.status, what).toBeLessThan(500);
        expect(r.status, what).toBe(401);
        expect(r.body?.error?.code, what).toBe("invalid_api_key");
        expect(r.body.error.request_id).toBe(r.headers.get("x-request-id"));
        const shape = { body: withoutRequestId(r.body), wwwAuth: r.headers.get("www-authenticate") };
        reference ??= shape;
        expect(shape, what).toEqual(reference);
      }
    }
    expect(reference!.wwwAuth).toMatch(/^Bearer realm="latchkey"/);
    // None of it did anything: the good key still works and nothing named must-not-exist was created.
    const list = await http.get("/api/v1/api-keys?limit=100&include_revoked=true", { key: good.secret });
    expect(list.status).toBe(200);
    expect(list.body.data.find((k: { id: string }) => k.id === good.id)?.status).toBe("active");
    expect(list.body.data.some((k: { name: string }) => k.name === "must-not-exist")).toBe(false);
  });

  // Last in the file: on PGlite the server has to stop before the test process can open its database.
  it("Audit: creating and revoking a key via the API records api_key.created and api_key.revoked with actor api_key:<id>, the environment and the response's request id", async () => {
    const caller = await createApiKeyViaCli(server, "test", "audit-caller");
    const sentId = `audit-create-${Date.now()}`;
    const created = await http.post("/api/v1/api-keys", { key: caller.secret, json: { name: "audit-target" }, headers: { "x-request-id": sentId } });
    expect(created.status).toBe(201);
    const createRequestId = created.headers.get("x-request-id");
    expect(createRequestId).toBe(sentId);
    const revoked = await http.del(`/api/v1/api-keys/${created.body.id}`, { key: caller.secret });
    expect(revoked.status).toBe(200);
    const revokeRequestId = revoked.headers.get("x-request-id");
    expect(revokeRequestId).toMatch(/^req_[0-9a-z]{22}$/);

    if (db === "pglite") expect(await server.stop()).toBe(0);
    await withDb(db, server, async (h) => {
      const rows = await h.db.select().from(auditLog).where(eq(auditLog.targetId, created.body.id)).orderBy(asc(auditLog.seq));
      expect(rows.map((r) => r.action)).toEqual(["api_key.created", "api_key.revoked"]);
      for (const row of rows) {
        expect(`${row.actorType}:${row.actorId}`).toBe(`api_key:${caller.id}`);
        expect(row.environmentId).toBe(caller.environment_id);
        expect(row.organizationId).toBe(caller.organization_id);
        expect(row.targetType).toBe("api_key");
      }
      expect(rows[0]!.requestId).toBe(createRequestId);
      expect(rows[1]!.requestId).toBe(revokeRequestId);
      // A1: the key is named by an HMAC fingerprint, the same at creation and revocation, never by any part of it.
      expect(rows[0]!.metadata).toMatchObject({ name: "audit-target", key_fingerprint: expect.stringMatching(/^hmac-sha256:[A-Za-z0-9_-]{22}$/) });
      expect(rows[1]!.metadata).toMatchObject({ key_fingerprint: (rows[0]!.metadata as { key_fingerprint: string }).key_fingerprint });
      expect(JSON.stringify(rows)).not.toContain(created.body.secret);
      expect(JSON.stringify(rows)).not.toContain(created.body.prefix);

      // The CLI-created caller was audited with the operator as actor.
      const [cliRow] = await h.db.select().from(auditLog).where(eq(auditLog.targetId, caller.id));
      expect(cliRow).toMatchObject({ action: "api_key.created", actorType: "cli", environmentId: caller.environment_id });

      // T2's prefix swaps left security.environment_mismatch rows.
      if (mismatchKeyIds.length) {
        const mism = await h.db.select().from(auditLog).where(inArray(auditLog.targetId, mismatchKeyIds));
        expect(mism.filter((r) => r.action === "security.environment_mismatch").length).toBeGreaterThanOrEqual(2);
      }
      // After all of the above the hash chain is intact.
      const verified = await verifyAuditLog(h.db);
      expect(verified).toMatchObject({ ok: true });
    });
  });
});
