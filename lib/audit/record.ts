import { eq } from "drizzle-orm";
import * as z from "zod";
import type { DbOrTx, Tx } from "@/db/client";
import { auditChainHead, auditLog } from "@/db/schema";
import { createId } from "@/lib/ids";
import { rowHash } from "@/lib/audit/chain";

export const actorTypes = ["user", "api_key", "system", "cli", "end_user"] as const;

const auditInputSchema = z.object({
  organizationId: z.string().nullable().optional(),
  environmentId: z.string().nullable().optional(),
  actor: z.object({ type: z.enum(actorTypes), id: z.string().min(1).max(200) }),
  /** `resource.verb_past`, e.g. `api_key.created` */
  action: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/),
  target: z.object({ type: z.string().max(50), id: z.string().max(200) }).optional(),
  requestId: z.string().max(100).nullable().optional(),
  ip: z.string().max(100).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type AuditInput = z.input<typeof auditInputSchema>;
export type Actor = AuditInput["actor"];

/**
 * The one writer of the audit log. Runs inside the caller's transaction so the change and
 * its record commit or fail together (fail closed). The chain head row is locked, which
 * serialises writers and gives consecutive sequence numbers.
 */
export async function recordAudit(db: DbOrTx, input: AuditInput): Promise<void> {
  const data = auditInputSchema.parse(input);
  const run = async (tx: Tx) => {
    const [head] = await tx.select().from(auditChainHead).where(eq(auditChainHead.id, 1)).for("update");
    if (!head) throw new Error("audit chain head missing: migrations not applied");
    const row = {
      seq: head.lastSeq + 1,
      id: createId("audit"),
      organizationId: data.organizationId ?? null,
      environmentId: data.environmentId ?? null,
      actorType: data.actor.type,
      actorId: data.actor.id,
      action: data.action,
      targetType: data.target?.type ?? null,
      targetId: data.target?.id ?? null,
      requestId: data.requestId ?? null,
      ip: data.ip ?? null,
      metadata: data.metadata ?? {},
      createdAt: new Date().toISOString(),
    };
    const hash = rowHash(head.lastHash, row);
    await tx.insert(auditLog).values({ ...row, prevHash: head.lastHash, rowHash: hash });
    await tx.update(auditChainHead).set({ lastSeq: row.seq, lastHash: hash }).where(eq(auditChainHead.id, 1));
  };
  // A Db has `transaction` and so does a Tx (as a savepoint); always nest so we hold the lock.
  await (db as Tx).transaction(run);
}
