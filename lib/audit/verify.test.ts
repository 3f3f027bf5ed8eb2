import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { auditChainHead, auditLog, type AuditRow } from "@/db/schema";
import { createTestDb } from "@/db/test-db";
import { GENESIS_HASH, rowHash } from "@/lib/audit/chain";
import { recordAudit } from "@/lib/audit/record";
import { verifyAuditLog } from "@/lib/audit/verify";

const ROWS = 20;
let handle: DbHandle;
let pristine: AuditRow[];
let pristineHead: { lastSeq: number; lastHash: string };

/** What an attacker with superuser access does: switch triggers off for the session. */
async function asSuperuser(fn: () => Promise<unknown>) {
  await handle.db.execute(sql`SET session_replication_role = replica`);
  try {
    await fn();
  } finally {
    await handle.db.execute(sql`SET session_replication_role = origin`);
  }
}

/** The query fails with the trigger's message (drizzle wraps the driver error as `cause`). */
async function expectRefused(query: PromiseLike<unknown>) {
  let err: unknown;
  try {
    await query;
  } catch (e) {
    err = e;
  }
  const messages: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) messages.push(e.message);
  expect(messages.join(" | ")).toContain("audit_log is append-only");
}

const rowAt = (seq: number) => pristine.find((r) => r.seq === seq)!;

beforeAll(async () => {
  handle = await createTestDb();
  for (let i = 1; i <= ROWS; i++) {
    await recordAudit(handle.db, {
      organizationId: i % 3 === 0 ? null : "org_test",
      environmentId: i % 2 === 0 ? "env_test" : null,
      actor: { type: i % 2 ? "user" : "api_key", id: `actor_${i}` },
      action: i % 2 ? "api_key.created" : "secret.read",
      target: { type: "api_key", id: `key_${i}` },
      requestId: `req_${i}`,
      ip: i % 4 === 0 ? "203.0.113.7" : null,
      // Keys in an order jsonb will not keep, nested values, unicode.
      metadata: { zeta: i, a: "x", mm: { b: [1, { y: 2, x: null }], a: "ü😀" }, long_key_name: true },
    });
  }
  pristine = await handle.db.select().from(auditLog).orderBy(auditLog.seq);
  const [head] = await handle.db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  pristineHead = { lastSeq: head!.lastSeq, lastHash: head!.lastHash };
});

// Put the untouched log back after each tampering scenario.
afterEach(async () => {
  await asSuperuser(async () => {
    await handle.db.delete(auditLog);
    await handle.db.insert(auditLog).values(pristine);
    await handle.db.update(auditChainHead).set(pristineHead).where(eq(auditChainHead.id, 1));
  });
  expect(await verifyAuditLog(handle.db)).toEqual({ ok: true, rows: ROWS, lastSeq: ROWS });
});

afterAll(async () => {
  await handle?.close();
});

describe("A2 the audit log is append-only and its hash chain reveals tampering", () => {
  it("an untouched log of 20 rows verifies, including in small batches", async () => {
    expect(pristine).toHaveLength(ROWS);
    expect(pristine.map((r) => r.seq)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect(pristine[0]!.prevHash).toBe(GENESIS_HASH);
    expect(await verifyAuditLog(handle.db)).toEqual({ ok: true, rows: ROWS, lastSeq: ROWS });
    expect(await verifyAuditLog(handle.db, 3)).toEqual({ ok: true, rows: ROWS, lastSeq: ROWS });
  });

  it("plain UPDATE, DELETE and TRUNCATE of audit_log are refused by the database", async () => {
    await expectRefused(handle.db.update(auditLog).set({ action: "x.y" }).where(eq(auditLog.seq, 3)));
    await expectRefused(handle.db.delete(auditLog).where(eq(auditLog.seq, 3)));
    await expectRefused(handle.db.execute(sql`TRUNCATE audit_log`));
    const [row] = await handle.db.select().from(auditLog).where(eq(auditLog.seq, 3));
    expect(row!.action).toBe(rowAt(3).action);
  });

  it("(a) a modified metadata value is row_modified at that row", async () => {
    await asSuperuser(() => handle.db.update(auditLog).set({ metadata: { ...rowAt(7).metadata, zeta: 700 } }).where(eq(auditLog.seq, 7)));
    const r = await verifyAuditLog(handle.db);
    expect(r).toMatchObject({ ok: false, rows: 6, broken: { seq: 7, id: rowAt(7).id, reason: "row_modified" } });
  });

  it("(a) a modified action is row_modified at that row", async () => {
    await asSuperuser(() => handle.db.update(auditLog).set({ action: "api_key.viewed" }).where(eq(auditLog.seq, 12)));
    expect(await verifyAuditLog(handle.db)).toMatchObject({ ok: false, broken: { seq: 12, reason: "row_modified" } });
  });

  it("(a) a modified row whose own hash is recomputed still breaks the chain at the next row", async () => {
    // A careful attacker also rewrites row_hash of the row they changed; the next row's prev_hash no longer matches.
    const changed = { ...rowAt(9), actorId: "someone_else" };
    await asSuperuser(() =>
      handle.db.update(auditLog).set({ actorId: changed.actorId, rowHash: rowHash(changed.prevHash, changed) }).where(eq(auditLog.seq, 9)),
    );
    expect(await verifyAuditLog(handle.db)).toMatchObject({ ok: false, broken: { seq: 10, reason: "chain_broken" } });
  });

  it("(b) a deleted middle row is missing_rows at its seq", async () => {
    await asSuperuser(() => handle.db.delete(auditLog).where(eq(auditLog.seq, 10)));
    const r = await verifyAuditLog(handle.db);
    expect(r).toMatchObject({ ok: false, rows: 9, broken: { seq: 10, id: null, reason: "missing_rows" } });
  });

  it("(c) two rows with swapped contents (reordered) break the chain at the first of them", async () => {
    const a = rowAt(5);
    const b = rowAt(6);
    const content = (r: AuditRow) => ({ ...r, seq: undefined });
    const [contentA, contentB] = [content(a), content(b)];
    await asSuperuser(async () => {
      // ids are unique: park one while swapping.
      await handle.db.update(auditLog).set({ id: "aud_parked" }).where(eq(auditLog.seq, 5));
      await handle.db.update(auditLog).set(contentA).where(eq(auditLog.seq, 6));
      await handle.db.update(auditLog).set(contentB).where(eq(auditLog.seq, 5));
    });
    const [at5] = await handle.db.select().from(auditLog).where(eq(auditLog.seq, 5));
    expect(at5!.id).toBe(b.id);
    const r = await verifyAuditLog(handle.db);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.broken.seq).toBe(5);
    expect(["chain_broken", "row_modified"]).toContain(r.broken.reason);
  });

  it("(d) a deleted last row is head_mismatch", async () => {
    await asSuperuser(() => handle.db.delete(auditLog).where(eq(auditLog.seq, ROWS)));
    const r = await verifyAuditLog(handle.db);
    expect(r).toMatchObject({ ok: false, rows: ROWS - 1, broken: { seq: ROWS, id: null, reason: "head_mismatch" } });
  });

  it("appending after a verified log keeps it valid (the writer continues the chain)", async () => {
    await recordAudit(handle.db, { actor: { type: "system", id: "t" }, action: "test.appended" });
    expect(await verifyAuditLog(handle.db)).toEqual({ ok: true, rows: ROWS + 1, lastSeq: ROWS + 1 });
    // afterEach restores the 20-row log (and head), which must verify again.
  });

  it("a failed transaction leaves no audit row and no gap (fail closed)", async () => {
    await expect(
      handle.db.transaction(async (tx) => {
        await recordAudit(tx, { actor: { type: "system", id: "t" }, action: "test.rolled_back" });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await verifyAuditLog(handle.db)).toEqual({ ok: true, rows: ROWS, lastSeq: ROWS });
  });

  it("recordAudit rejects malformed input before writing", async () => {
    await expect(recordAudit(handle.db, { actor: { type: "system", id: "t" }, action: "NotAnAction" })).rejects.toThrow();
    await expect(recordAudit(handle.db, { actor: { type: "system", id: "" }, action: "x.y" })).rejects.toThrow();
    expect(await verifyAuditLog(handle.db)).toEqual({ ok: true, rows: ROWS, lastSeq: ROWS });
  });
});
