import { eq } from "drizzle-orm";
import * as z from "zod";
import type { DbOrTx, Tx } from "@/db/client";
import { auditChainHead, auditLog } from "@/db/schema";
import { createId } from "@/lib/ids";
import { rowHash, type ChainedFields } from "@/lib/audit/chain";

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

/** A row before the chain gives it a place (seq) and a hash. */
export type UnchainedRow = Omit<ChainedFields, "seq" | "actorType"> & { actorType: (typeof actorTypes)[number] };

/** `trusted`: built by our own code on the hot path (typed, fixed vocabulary), so not re-validated. */
export function unchainedRow(input: AuditInput, opts: { trusted?: boolean } = {}): UnchainedRow {
  const data = opts.trusted ? input : auditInputSchema.parse(input);
  return {
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
}

/**
 * Appends rows to the chain in one statement. The chain head row is locked, which serialises
 * writers and gives consecutive sequence numbers; must run inside a transaction.
 */
export async function appendToChain(tx: Tx, rows: UnchainedRow[]): Promise<void> {
  if (!rows.length) return;
  const [head] = await tx.select().from(auditChainHead).where(eq(auditChainHead.id, 1)).for("update");
  if (!head) throw new Error("audit chain head missing: migrations not applied");
  let { lastSeq, lastHash } = head;
  const values = rows.map((r) => {
    const row = { ...r, seq: ++lastSeq };
    const prevHash = lastHash;
    lastHash = rowHash(prevHash, row);
    return { ...row, prevHash, rowHash: lastHash };
  });
  await tx.insert(auditLog).values(values);
  await tx.update(auditChainHead).set({ lastSeq, lastHash }).where(eq(auditChainHead.id, 1));
}

type FailureHook = (info: { environmentIds: string[]; rows: number; err: unknown }) => void;
const HOOK = Symbol.for("latchkey.audit.failureHook");
const hooks = globalThis as { [HOOK]?: FailureHook };

/** Alerts subscribe here (lib/alerts/security-events.ts): the audit module must not depend on alerts. */
export function setAuditWriteFailureHook(fn: FailureHook | undefined) {
  hooks[HOOK] = fn;
}
export function auditWriteFailed(info: Parameters<FailureHook>[0]) {
  try {
    hooks[HOOK]?.(info);
  } catch {
    // an alert that cannot be raised must not hide the original failure
  }
}

/**
 * The one writer of the audit log for changes. Runs inside the caller's transaction so the
 * change and its record commit or fail together (fail closed); a refused write also raises
 * an `audit_sink_failure` alert.
 */
export async function recordAudit(db: DbOrTx, input: AuditInput): Promise<void> {
  const row = unchainedRow(input);
  try {
    // A Db has `transaction` and so does a Tx (as a savepoint); always nest so we hold the lock.
    await (db as Tx).transaction((tx) => appendToChain(tx, [row]));
  } catch (err) {
    auditWriteFailed({ environmentIds: row.environmentId ? [row.environmentId] : [], rows: 1, err });
    throw err;
  }
}
