import { asc, eq, gt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditChainHead, auditLog } from "@/db/schema";
import { GENESIS_HASH, rowHash } from "@/lib/audit/chain";

export type AuditVerification =
  | { ok: true; rows: number; lastSeq: number }
  | {
      ok: false;
      rows: number;
      broken: { seq: number; id: string | null; reason: "row_modified" | "chain_broken" | "missing_rows" | "head_mismatch" };
      message: string;
    };

/** Walks the whole chain in order and reports the first row that does not verify. */
export async function verifyAuditLog(db: Db, batch = 1000): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let rows = 0;
  let after = 0;
  for (;;) {
    const page = await db.select().from(auditLog).where(gt(auditLog.seq, after)).orderBy(asc(auditLog.seq)).limit(batch);
    for (const row of page) {
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          rows,
          broken: { seq: expectedSeq, id: null, reason: "missing_rows" },
          message: `rows ${expectedSeq}..${row.seq - 1} are missing (found seq ${row.seq} next)`,
        };
      }
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          rows,
          broken: { seq: row.seq, id: row.id, reason: "chain_broken" },
          message: `row ${row.seq} (${row.id}) does not follow row ${row.seq - 1}: the rows were reordered or one was replaced`,
        };
      }
      if (rowHash(prevHash, row) !== row.rowHash) {
        return {
          ok: false,
          rows,
          broken: { seq: row.seq, id: row.id, reason: "row_modified" },
          message: `row ${row.seq} (${row.id}) was modified after it was written`,
        };
      }
      prevHash = row.rowHash;
      expectedSeq++;
      rows++;
    }
    if (page.length < batch) break;
    after = page[page.length - 1]!.seq;
  }
  const [head] = await db.select().from(auditChainHead).where(eq(auditChainHead.id, 1));
  const lastSeq = expectedSeq - 1;
  if (!head || head.lastSeq !== lastSeq || head.lastHash !== prevHash) {
    return {
      ok: false,
      rows,
      broken: { seq: lastSeq + 1, id: null, reason: "head_mismatch" },
      message: `the log ends at row ${lastSeq} but its head records row ${head?.lastSeq ?? "none"}: rows were removed from the end`,
    };
  }
  return { ok: true, rows, lastSeq };
}
