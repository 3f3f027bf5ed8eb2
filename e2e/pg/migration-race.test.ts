// Two replicas started at the same moment on one fresh PostgreSQL database: migrations and the
// first-start bootstrap run once, under the advisory lock, and both serve. PostgreSQL only.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "../helpers/db";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, createDatabase, keyring, randomKey, ROOT, startServer, TEST_DB, type TestServer } from "../helpers/server";

const servers: TestServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  cleanupTempDirs();
});

describe.runIf(TEST_DB === "postgres")("migration race [postgres]", () => {
  it("migration race: two servers started together on one fresh database both become healthy; exactly one organization is bootstrapped; both serve the same API key", async () => {
    const databaseUrl = await createDatabase();
    const env = {
      LATCHKEY_ENCRYPTION_KEYS: keyring(["k1", randomKey()]),
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      LATCHKEY_ADMIN_PASSWORD: `pw-${randomBytes(12).toString("base64url")}`,
      // Keep each replica's pool small; both hold connections while they wait on the lock.
      DATABASE_POOL_MAX: "5",
    };
    const started = await Promise.allSettled([startServer({ db: "postgres", databaseUrl, env }), startServer({ db: "postgres", databaseUrl, env })]);
    for (const r of started) if (r.status === "fulfilled") servers.push(r.value);
    for (const r of started) if (r.status === "rejected") throw r.reason;
    const [a, b] = servers;
    const httpA = client(a!.url);
    const httpB = client(b!.url);
    expect((await httpA.get("/api/health")).body).toEqual({ status: "ok" });
    expect((await httpB.get("/api/health")).body).toEqual({ status: "ok" });
    expect((await httpA.get("/api/ready")).body).toMatchObject({ status: "ok", checks: { migrations: "current" } });
    expect((await httpB.get("/api/ready")).body).toMatchObject({ status: "ok", checks: { migrations: "current" } });

    // Exactly one of them bootstrapped.
    const firstStarts = [a!, b!].filter((s) => s.logs().includes("First start: created organization"));
    expect(firstStarts).toHaveLength(1);
    expect(a!.logs() + b!.logs()).not.toMatch(/startup failed|duplicate key|already exists/);

    const h = await openDb("postgres", { dataDir: "", databaseUrl });
    try {
      const count = async (table: string) => (await h.rows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n;
      expect(await count("organizations")).toBe(1);
      expect(await count("environments")).toBe(2);
      expect(await count("users")).toBe(1);
      expect(await count("memberships")).toBe(1);
      expect(await count("encryption_keys")).toBe(1);
      const journal = JSON.parse(readFileSync(path.join(ROOT, "db", "migrations", "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
      const [{ n: applied } = { n: -1 }] = await h.rows<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      expect(applied).toBe(journal.entries.length);
      const [{ last_seq: lastSeq } = { last_seq: -1 }] = await h.rows<{ last_seq: number }>(sql`select last_seq::int as last_seq from audit_chain_head`);
      expect(await count("audit_log")).toBe(lastSeq);
    } finally {
      await h.close();
    }

    // One key, served by both replicas; a key made through one is seen by the other.
    const key = await createApiKeyViaCli(a!, "test", "race");
    const listA = await httpA.get("/api/v1/api-keys", { key: key.secret });
    const listB = await httpB.get("/api/v1/api-keys", { key: key.secret });
    expect(listA.status).toBe(200);
    expect(listB.status).toBe(200);
    expect(listB.body.data.map((k: { id: string }) => k.id)).toEqual(listA.body.data.map((k: { id: string }) => k.id));
    const viaB = await httpB.post("/api/v1/api-keys", { key: key.secret, json: { name: "made-on-b" } });
    expect(viaB.status).toBe(201);
    expect((await httpA.get("/api/v1/api-keys?limit=1", { key: viaB.body.secret })).status).toBe(200);
    // Revoked on A, refused on B at once.
    expect((await httpA.del(`/api/v1/api-keys/${viaB.body.id}`, { key: key.secret })).status).toBe(200);
    expect((await httpB.get("/api/v1/api-keys?limit=1", { key: viaB.body.secret })).status).toBe(401);
  });
});
