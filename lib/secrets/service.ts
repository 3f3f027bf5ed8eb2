import { and, asc, eq, gt, like, not, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db/client";
import { environments, secrets, type Environment } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { decrypt, encrypt, type Keyring } from "@/lib/crypto/keyring";
import { seal, unseal } from "@/lib/crypto/vault";
import { AppError, notFound } from "@/lib/errors";
import { createId } from "@/lib/ids";
import type { Runtime } from "@/lib/runtime";

type Env = Pick<Environment, "id" | "organizationId">;

const aad = (env: Env, id: string) => ({ org: env.organizationId, env: env.id, table: "secrets", row: id, field: "value" });

/** Secrets are stored encrypted and referenced by id (e.g. an OAuth app's client secret). */
export async function createSecret(
  rt: Pick<Runtime, "keyring" | "db">,
  input: { environment: Env; name: string; value: string; actor: Actor; requestId?: string | null },
) {
  const id = createId("secret");
  return rt.db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: secrets.id })
      .from(secrets)
      .where(and(eq(secrets.environmentId, input.environment.id), eq(secrets.name, input.name)));
    if (existing) throw new AppError({ code: "conflict", message: `A secret named "${input.name}" already exists.` });
    await tx.insert(secrets).values({ id, environmentId: input.environment.id, name: input.name, value: seal(rt, input.value, aad(input.environment, id)) });
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "secret.created",
      target: { type: "secret", id },
      requestId: input.requestId ?? null,
      metadata: { name: input.name },
    });
    return id;
  });
}

export async function readSecret(rt: Pick<Runtime, "keyring" | "db">, environment: Env, id: string): Promise<string> {
  const [row] = await rt.db.select().from(secrets).where(and(eq(secrets.environmentId, environment.id), eq(secrets.id, id)));
  if (!row) throw notFound("Secret");
  return unseal(rt, row.value, aad(environment, id));
}

export async function listSecretNames(db: DbOrTx, environmentId: string) {
  return db
    .select({ id: secrets.id, name: secrets.name, createdAt: secrets.createdAt, updatedAt: secrets.updatedAt })
    .from(secrets)
    .where(eq(secrets.environmentId, environmentId))
    .orderBy(asc(secrets.name));
}

/**
 * Re-encrypts up to `limit` secrets after `afterId` that are not yet under the active key.
 * Each row is written with a compare-and-swap on its old ciphertext, so a concurrent writer
 * wins and the job can be killed and restarted at any point. A row that fails to decrypt is
 * counted and skipped, never overwritten.
 */
export async function reencryptSecretsBatch(db: Db, ring: Keyring, afterId: string, limit: number) {
  const rows = await db
    .select({ id: secrets.id, value: secrets.value, environmentId: secrets.environmentId, organizationId: environments.organizationId })
    .from(secrets)
    .innerJoin(environments, eq(environments.id, secrets.environmentId))
    // "_" is allowed in key ids and is a LIKE wildcard: escape it so k_a does not match kxa.
    .where(and(not(like(secrets.value, `v1:${ring.activeKid.replaceAll("_", "\\_")}:%`)), gt(secrets.id, afterId)))
    .orderBy(asc(secrets.id))
    .limit(limit);
  let done = 0;
  let failed = 0;
  for (const row of rows) {
    const a = aad({ id: row.environmentId, organizationId: row.organizationId }, row.id);
    let plain: Buffer;
    try {
      plain = decrypt(ring, row.value, a);
    } catch {
      failed++;
      continue;
    }
    const updated = await db
      .update(secrets)
      .set({ value: encrypt(ring, plain, a), updatedAt: sql`now()` })
      .where(and(eq(secrets.id, row.id), eq(secrets.value, row.value)))
      .returning({ id: secrets.id });
    done += updated.length;
  }
  return { done, failed, lastId: rows.length ? rows[rows.length - 1]!.id : null };
}

export async function countSecretsByKid(db: DbOrTx) {
  const rows = await db
    .select({ kid: sql<string>`split_part(${secrets.value}, ':', 2)`, n: sql<number>`count(*)::int` })
    .from(secrets)
    .groupBy(sql`1`);
  return Object.fromEntries(rows.map((r) => [r.kid, Number(r.n)]));
}

export async function deleteSecret(db: DbOrTx, environmentId: string, id: string) {
  await db.delete(secrets).where(and(eq(secrets.environmentId, environmentId), eq(secrets.id, id)));
}

/**
 * Writes a secret inside the caller's transaction, for objects that own their secrets (an MCP
 * server's token or client secret): the object and its secret commit together, and the
 * object's own audit row records that a secret changed. Same table, same encryption, same
 * key rotation as createSecret.
 */
export async function putOwnedSecret(rt: Pick<Runtime, "keyring">, tx: DbOrTx, environment: Env, input: { id?: string | null; name: string; value: string }): Promise<string> {
  if (input.id) {
    const updated = await tx
      .update(secrets)
      .set({ value: seal(rt, input.value, aad(environment, input.id)), updatedAt: sql`now()` })
      .where(and(eq(secrets.environmentId, environment.id), eq(secrets.id, input.id)))
      .returning({ id: secrets.id });
    if (updated.length) return input.id;
  }
  const id = createId("secret");
  await tx.insert(secrets).values({ id, environmentId: environment.id, name: input.name, value: seal(rt, input.value, aad(environment, id)) });
  return id;
}
