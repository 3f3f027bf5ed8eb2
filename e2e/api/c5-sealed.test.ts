// C5: booting with the wrong encryption key seals the vault (503 everywhere, nothing written);
// booting against PostgreSQL without LATCHKEY_ENCRYPTION_KEYS refuses to start. Runs on PGlite
// and on PostgreSQL.
import net from "node:net";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { environments, encryptionKeys, secrets } from "@/db/schema";
import { decryptString, parseKeyring } from "@/lib/crypto/keyring";
import { createSecret } from "@/lib/secrets/service";
import { dumpVault, withDb } from "../helpers/db";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, createDatabase, randomKey, spawnServer, startServer, TEST_DB, type TestServer } from "../helpers/server";

const db = TEST_DB;
const servers: TestServer[] = [];

afterAll(async () => {
  for (const s of servers) await s.stop();
  cleanupTempDirs();
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

describe(`C5: boot with a wrong or missing key [${db}]`, () => {
  it("C5: a wrong key for an existing database seals the vault — /api/health 503 sealed, the API 503 sealed — and nothing is re-encrypted or changed", async () => {
    const keyA = randomKey();
    const keyB = randomKey();
    const first = await startServer({ db, env: { LATCHKEY_ENCRYPTION_KEYS: `k1:${keyA}` } });
    servers.push(first);
    const http1 = client(first.url);
    expect((await http1.get("/api/health")).body).toEqual({ status: "ok" });
    const apiKey = await createApiKeyViaCli(first, "test", "c5");
    expect(await first.stop()).toBe(0);

    // Seed a stored secret under key A with the app's own service, then snapshot the vault.
    const canary = `c5-canary-${randomKey()}`;
    const before = await withDb(db, first, async (h) => {
      const [env] = await h.db.select().from(environments).where(eq(environments.id, apiKey.environment_id));
      await createSecret({ keyring: parseKeyring(`k1:${keyA}`), db: h.db }, { environment: env!, name: "c5-canary", value: canary, actor: { type: "system", id: "e2e" } });
      return dumpVault(h);
    });
    expect(before.secrets).toHaveLength(1);
    expect(before.secrets[0]!.value).toMatch(/^v1:k1:/);
    expect(before.encryptionKeys.map((k) => k.kid)).toEqual(["k1"]);

    // Same kid, different key material.
    const sealed = await startServer({ db, env: { ...first.env, LATCHKEY_ENCRYPTION_KEYS: `k1:${keyB}` } });
    servers.push(sealed);
    const http2 = client(sealed.url);
    const health = await http2.get("/api/health");
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: "sealed" });
    expect(health.text).not.toContain(keyA);
    expect(health.text).not.toContain(keyB);
    for (const [method, url] of [
      ["GET", "/api/v1/api-keys"],
      ["POST", "/api/v1/api-keys"],
      ["GET", `/api/v1/api-keys/${apiKey.id}`],
      ["DELETE", `/api/v1/api-keys/${apiKey.id}`],
      ["GET", "/api/ready"],
      ["GET", "/api/v1/openapi.json"],
      ["GET", "/"],
      ["GET", "/login"],
      ["POST", "/api/auth/callback/credentials"],
    ] as const) {
      const r = await http2.req(url, { method, key: apiKey.secret, ...(method === "POST" ? { json: { name: "x" } } : {}) });
      expect(r.status, `${method} ${url}`).toBe(503);
      expect(r.body?.error?.code, `${method} ${url}`).toBe("sealed");
    }
    expect(sealed.logs()).toMatch(/vault sealed/);

    // Operator commands that would touch keys or ciphertexts are refused while sealed.
    const rotate = await sealed.cli(["rotate-encryption-key", "--json"]);
    expect(rotate.code, rotate.stdout + rotate.stderr).not.toBe(0);
    expect(rotate.stdout + rotate.stderr).toMatch(/sealed/i);
    const retire = await sealed.cli(["retire-encryption-key", "--kid", "k0"]);
    expect(retire.code).not.toBe(0);
    expect(retire.stdout + retire.stderr).toMatch(/sealed/i);
    expect((await http2.get("/api/health")).status).toBe(503);

    expect(await sealed.stop()).toBe(0);
    await withDb(db, first, async (h) => {
      const after = await dumpVault(h);
      expect(after).toEqual(before);
      // And the secret still opens with the right key.
      const row = after.secrets[0]!;
      const [env] = await h.db.select().from(environments).where(eq(environments.id, row.environmentId));
      const aad = { org: env!.organizationId, env: env!.id, table: "secrets", row: row.id, field: "value" };
      expect(decryptString(parseKeyring(`k1:${keyA}`), row.value, aad)).toBe(canary);
      expect(() => decryptString(parseKeyring(`k1:${keyB}`), row.value, aad)).toThrow();
      const [k1] = await h.db.select().from(encryptionKeys).where(and(eq(encryptionKeys.kid, "k1")));
      expect(k1!.retiredAt).toBeNull();
    });

    // With the right key back, it serves again and the data is intact.
    const healed = await startServer({ db, env: first.env });
    servers.push(healed);
    const http3 = client(healed.url);
    expect((await http3.get("/api/health")).body).toEqual({ status: "ok" });
    expect((await http3.get("/api/v1/api-keys", { key: apiKey.secret })).status).toBe(200);
    await healed.stop();
  });

  it("C5: DATABASE_URL without LATCHKEY_ENCRYPTION_KEYS exits non-zero naming LATCHKEY_ENCRYPTION_KEYS and never serves (nor touches the database)", async () => {
    // The check comes before any connection, so on the PGlite run an unreachable URL shows the same.
    const databaseUrl = db === "postgres" ? await createDatabase() : "postgres://latchkey@127.0.0.1:9/unreachable";
    for (const [missing, env] of [
      ["LATCHKEY_ENCRYPTION_KEYS", { DATABASE_URL: databaseUrl, LATCHKEY_ENCRYPTION_KEYS: "" }],
      ["AUTH_SECRET", { DATABASE_URL: databaseUrl, AUTH_SECRET: "" }],
    ] as const) {
      const p = await spawnServer({ db, env });
      let everListening = false;
      let code: number | null | undefined;
      void p.exited.then((c) => (code = c));
      const deadline = Date.now() + 30_000;
      while (code === undefined && Date.now() < deadline) {
        if (await canConnect(p.port)) everListening = true;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(code, `${missing}: still running after 30 s:\n${p.logs()}`).not.toBeUndefined();
      expect(code, p.logs()).not.toBe(0);
      expect(everListening).toBe(false);
      expect(await canConnect(p.port)).toBe(false);
      expect(p.logs()).toContain(missing);
      expect(p.logs()).toMatch(/Latchkey cannot start/);
      expect(p.logs()).not.toMatch(/\n\s+at /);
    }
    if (db === "postgres") {
      await withDb("postgres", { dataDir: "", databaseUrl }, async (h) => {
        const rows = await h.rows<{ n: number }>(sql`select count(*)::int as n from information_schema.tables where table_schema in ('public', 'drizzle')`);
        expect(rows[0]!.n).toBe(0);
        expect(await h.db.$count(secrets).catch(() => "no table")).toBe("no table");
      });
    }
  });
});
