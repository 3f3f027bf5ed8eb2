// Opens the database a test server uses, from the test process, with the app's own db/client.
// PGlite admits one process: open it only after the server has stopped.
import { asc } from "drizzle-orm";
import { openPglite, openPostgres, type DbHandle } from "@/db/client";
import { auditChainHead, encryptionKeys, secrets } from "@/db/schema";
import type { DbKind } from "./server";

export async function openDb(kind: DbKind, where: { dataDir: string; databaseUrl?: string | undefined }): Promise<DbHandle> {
  if (kind === "postgres") {
    if (!where.databaseUrl) throw new Error("no databaseUrl");
    return openPostgres(where.databaseUrl, 4);
  }
  return openPglite(where.dataDir);
}

export async function withDb<T>(kind: DbKind, where: { dataDir: string; databaseUrl?: string | undefined }, fn: (h: DbHandle) => Promise<T>): Promise<T> {
  const h = await openDb(kind, where);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/** Everything a key check or a rotation could change: ciphertexts, key fingerprints, the audit head. */
export async function dumpVault(h: DbHandle) {
  return {
    secrets: await h.db.select().from(secrets).orderBy(asc(secrets.id)),
    encryptionKeys: await h.db.select().from(encryptionKeys).orderBy(asc(encryptionKeys.kid)),
    auditHead: await h.db.select().from(auditChainHead),
  };
}
