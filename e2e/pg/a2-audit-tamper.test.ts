// A2: the audit log's hash chain reveals a row edited behind the app's back (as the database
// superuser, triggers off), and the app's own connection cannot UPDATE, DELETE or TRUNCATE it.
// PostgreSQL only.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { findBindir } from "../../scripts/pg-cluster.mjs";
import { openDb } from "../helpers/db";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, parseJsonOutput, startServer, TEST_DB, type TestServer } from "../helpers/server";

let server: TestServer;

function psqlBinary(): string {
  try {
    const p = path.join(findBindir(), "psql");
    if (existsSync(p)) return p;
  } catch {
    /* fall back to PATH */
  }
  return "psql";
}

describe.runIf(TEST_DB === "postgres")("A2: audit log tamper evidence [postgres]", () => {
  beforeAll(async () => {
    server = await startServer({ db: "postgres" });
  });

  afterAll(async () => {
    await server?.stop();
    cleanupTempDirs();
  });

  it("A2: verify-audit-log passes after API activity, then names row 3 once it is edited with psql; the app's connection cannot UPDATE/DELETE/TRUNCATE audit_log", async () => {
    const http = client(server.url);
    const key = await createApiKeyViaCli(server, "test", "a2");
    for (let i = 0; i < 3; i++) {
      const r = await http.post("/api/v1/api-keys", { key: key.secret, json: { name: `a2-${i}` } });
      expect(r.status).toBe(201);
      if (i === 0) expect((await http.del(`/api/v1/api-keys/${r.body.id}`, { key: key.secret })).status).toBe(200);
    }

    const ok = await server.cli(["verify-audit-log", "--json"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const okReport = parseJsonOutput<{ ok: boolean; rows: number; lastSeq: number }>(ok.stdout);
    expect(okReport.ok).toBe(true);
    expect(okReport.rows).toBeGreaterThanOrEqual(6);
    const okText = await server.cli(["verify-audit-log"]);
    expect(okText.code).toBe(0);
    expect(okText.stdout).toMatch(/chain intact/);

    // The superuser edits row 3 with the append-only trigger switched off.
    const before = spawnSync(psqlBinary(), [server.databaseUrl!, "-Atc", "select metadata::text from audit_log where seq = 3"], { encoding: "utf8" });
    expect(before.status, before.stderr).toBe(0);
    const tamper = spawnSync(
      psqlBinary(),
      [server.databaseUrl!, "-v", "ON_ERROR_STOP=1", "-c", `SET session_replication_role = replica; UPDATE audit_log SET metadata = '{"x":1}' WHERE seq = 3;`],
      { encoding: "utf8" },
    );
    expect(tamper.status, tamper.stderr).toBe(0);
    expect(tamper.stdout).toMatch(/UPDATE 1/);

    const broken = await server.cli(["verify-audit-log"]);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).toMatch(/\brow 3\b/);
    const brokenJson = await server.cli(["verify-audit-log", "--json"]);
    expect(brokenJson.code).not.toBe(0);
    expect(parseJsonOutput(brokenJson.stdout)).toMatchObject({ ok: false, broken: { seq: 3, reason: "row_modified" } });

    // The app's own connection (db/client.ts, the server's DATABASE_URL) is refused by the trigger.
    const h = await openDb("postgres", server);
    try {
      const [row1] = await h.db.select().from(auditLog).where(eq(auditLog.seq, 1));
      await expect(h.db.update(auditLog).set({ action: "forged.action" }).where(eq(auditLog.seq, 1))).rejects.toThrow();
      await expect(h.db.delete(auditLog).where(eq(auditLog.seq, 1))).rejects.toThrow();
      await expect(h.rows(sql`truncate audit_log`)).rejects.toThrow();
      const err = await h.db
        .delete(auditLog)
        .where(eq(auditLog.seq, 2))
        .catch((e: Error & { cause?: Error }) => `${e.message} ${e.cause?.message ?? ""}`);
      expect(String(err)).toMatch(/append-only/);
      const [again] = await h.db.select().from(auditLog).where(eq(auditLog.seq, 1));
      expect(again).toEqual(row1);
      const all = await h.db.select({ seq: auditLog.seq }).from(auditLog).orderBy(asc(auditLog.seq));
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: okReport.rows }, (_, i) => i + 1));
    } finally {
      await h.close();
    }
  });
});
