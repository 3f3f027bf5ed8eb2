import type { EmailOutboxRow, Environment } from "@/db/schema";
import { findEmail, listEmailRows } from "@/db/queries/email-outbox";
import { unseal } from "@/lib/crypto/vault";
import { decodeCursor, page } from "@/lib/http/pagination";
import type { Runtime } from "@/lib/runtime";
import { outboxBodyAad } from "@/lib/email/deliver";

type Env = Pick<Environment, "id" | "organizationId">;

export async function listOutbox(db: Runtime["db"], input: { environmentId: string; limit: number; cursor?: string | undefined }) {
  const rows = await listEmailRows(db, { environmentId: input.environmentId, limit: input.limit, beforeId: decodeCursor(input.cursor) });
  return page(rows, input.limit);
}

export type OutboxEmail = EmailOutboxRow & { body: { text: string; html: string } | null };

/** One email with its body when the outbox kept one (no SMTP configured). */
export async function getOutboxEmail(rt: Pick<Runtime, "db" | "keyring">, env: Env, id: string): Promise<OutboxEmail | null> {
  const row = await findEmail(rt.db, env.id, id);
  if (!row) return null;
  const body = row.bodySealed ? (JSON.parse(unseal(rt, row.bodySealed, outboxBodyAad(env, row.id))) as { text: string; html: string }) : null;
  return { ...row, body };
}
