import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { emailOutbox, type EmailOutboxRow } from "@/db/schema";

export async function insertEmail(db: DbOrTx, values: typeof emailOutbox.$inferInsert) {
  await db.insert(emailOutbox).values(values);
}

export async function listEmailRows(db: DbOrTx, opts: { environmentId: string; limit: number; beforeId?: string | undefined }) {
  const conds: SQL[] = [eq(emailOutbox.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(emailOutbox.id, opts.beforeId));
  return db
    .select()
    .from(emailOutbox)
    .where(and(...conds))
    .orderBy(desc(emailOutbox.id))
    .limit(opts.limit + 1);
}

export async function findEmail(db: DbOrTx, environmentId: string, id: string): Promise<EmailOutboxRow | null> {
  const [row] = await db.select().from(emailOutbox).where(and(eq(emailOutbox.environmentId, environmentId), eq(emailOutbox.id, id)));
  return row ?? null;
}
