import { and, desc, eq, like, lt, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { auditLog } from "@/db/schema";

/** The organization is always in the WHERE; environment, action and actor narrow it. */
export async function listAuditRows(
  db: DbOrTx,
  opts: { organizationId: string; environmentId?: string | undefined; action?: string | undefined; actorId?: string | undefined; beforeSeq?: number | undefined; limit: number },
) {
  const conds: SQL[] = [eq(auditLog.organizationId, opts.organizationId)];
  if (opts.environmentId) conds.push(eq(auditLog.environmentId, opts.environmentId));
  if (opts.action) conds.push(like(auditLog.action, `${opts.action.replace(/[%_\\]/g, (c) => `\\${c}`)}%`));
  if (opts.actorId) conds.push(eq(auditLog.actorId, opts.actorId));
  if (opts.beforeSeq) conds.push(lt(auditLog.seq, opts.beforeSeq));
  return db
    .select()
    .from(auditLog)
    .where(and(...conds))
    .orderBy(desc(auditLog.seq))
    .limit(opts.limit + 1);
}
