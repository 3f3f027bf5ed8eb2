import { asc, count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db/client";
import { auditLog } from "@/db/schema";
import { createTestDb } from "@/db/test-db";
import { AuditBatchWriter } from "@/lib/audit/batch";
import { recordAudit, setAuditWriteFailureHook } from "@/lib/audit/record";
import { verifyAuditLog } from "@/lib/audit/verify";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(async () => {
  setAuditWriteFailureHook(undefined);
  await handle?.close();
});

const injection = (i: number) => ({
  organizationId: "org_test",
  environmentId: "env_test",
  actor: { type: "api_key" as const, id: `key_${i % 3}` },
  action: "credential.injected",
  target: { type: "connection", id: `conn_${i}` },
  requestId: `req_${i}`,
  metadata: { tool: "github_list_issues", connector: "github" },
});

describe("AuditBatchWriter", () => {
  it("batched rows and rows written by recordAudit at the same time form one valid hash chain, in order", async () => {
    const writer = new AuditBatchWriter(() => handle.db);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i++) {
      writer.record(injection(i));
      if (i % 10 === 0) work.push(recordAudit(handle.db, { ...injection(i), action: "api_key.created", target: { type: "api_key", id: `key_${i}` } }));
      if (i % 40 === 0) work.push(writer.flush());
    }
    await Promise.all(work);
    await writer.flush();
    expect(writer.pending).toBe(0);
    const rows = await handle.db.select().from(auditLog).orderBy(asc(auditLog.seq));
    expect(rows.filter((r) => r.action === "credential.injected").map((r) => r.requestId)).toEqual(Array.from({ length: 120 }, (_, i) => `req_${i}`));
    expect(rows.filter((r) => r.action === "api_key.created")).toHaveLength(12);
    expect(await verifyAuditLog(handle.db)).toMatchObject({ ok: true });
  });

  it("a refused batch turns the sink unhealthy, raises the failure hook once, keeps the rows and writes them when the database takes them again", async () => {
    const failures: { rows: number; environmentIds: string[] }[] = [];
    setAuditWriteFailureHook((f) => failures.push({ rows: f.rows, environmentIds: f.environmentIds }));
    let refuse = true;
    // The same database, except that while `refuse` is set every transaction fails as a REVOKE would.
    const flaky = new Proxy(handle.db, {
      get(target, prop, receiver) {
        if (prop === "transaction" && refuse) return async () => Promise.reject(Object.assign(new Error("permission denied for table audit_log"), { code: "42501" }));
        return Reflect.get(target, prop, receiver);
      },
    }) as Db;
    const writer = new AuditBatchWriter(() => flaky);
    const before = (await handle.db.select({ n: count() }).from(auditLog))[0]!.n;
    writer.record(injection(1000));
    writer.record(injection(1001));
    expect(writer.healthy).toBe(true);
    await writer.flush();
    expect(writer.healthy).toBe(false);
    await writer.flush();
    writer.record(injection(1002));
    await writer.flush();
    expect(failures).toEqual([{ rows: 2, environmentIds: ["env_test"] }]);
    expect(writer.pending).toBe(3);

    refuse = false;
    await writer.flush();
    expect(writer.healthy).toBe(true);
    expect(writer.pending).toBe(0);
    const after = (await handle.db.select({ n: count() }).from(auditLog))[0]!.n;
    expect(after - before).toBe(3);
    expect(await verifyAuditLog(handle.db)).toMatchObject({ ok: true });
  });
});
