import { existsSync, readFileSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { encryptionKeys } from "@/db/schema";
import { formatKeyring, generateKey, keyFingerprint, parseKeyring, type Keyring } from "@/lib/crypto/keyring";

export const GENERATED_KEYS_FILE = "encryption-keys";

export type LoadedKeyring = { ring: Keyring; source: "env" | "file"; generated: boolean };

/**
 * Keys come from LATCHKEY_ENCRYPTION_KEYS. In embedded mode only, with none configured, a
 * key is generated into the data directory (and kept there); elsewhere the caller refuses
 * to start.
 */
export function loadKeyring(opts: { spec: string | undefined; embedded: boolean; dataDir: string }): LoadedKeyring | null {
  if (opts.spec) return { ring: parseKeyring(opts.spec), source: "env", generated: false };
  if (!opts.embedded) return null;
  const file = path.join(opts.dataDir, GENERATED_KEYS_FILE);
  if (existsSync(file)) return { ring: parseKeyring(readFileSync(file, "utf8").trim()), source: "file", generated: false };
  const { kid, key } = generateKey();
  const ring = { activeKid: kid, keys: new Map([[kid, key]]) };
  writeKeyringFile(opts.dataDir, ring);
  return { ring, source: "file", generated: true };
}

export function writeKeyringFile(dataDir: string, ring: Keyring) {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, GENERATED_KEYS_FILE);
  writeFileSync(`${file}.tmp`, `${formatKeyring(ring)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Columns holding keyring ciphertext. Rotation and the boot check walk this list. */
export const encryptedColumns = [{ table: "secrets", column: "value" }] as const;

/**
 * Compares each configured key with the fingerprint recorded when it was first used, and
 * checks no stored value needs a key we do not have. Returns why the vault must stay sealed,
 * or null. Changes nothing when it fails.
 */
export async function checkKeyring(handle: DbHandle, ring: Keyring): Promise<string | null> {
  const db = handle.db;
  for (const [kid, key] of ring.keys) {
    const [row] = await db.select().from(encryptionKeys).where(eq(encryptionKeys.kid, kid));
    if (row && row.fingerprint !== keyFingerprint(key)) {
      return `encryption key "${kid}" does not match the key this database was encrypted with`;
    }
    if (row?.retiredAt) return `encryption key "${kid}" was retired; remove it from LATCHKEY_ENCRYPTION_KEYS`;
  }
  for (const { table, column } of encryptedColumns) {
    const used = await handle.rows<{ kid: string }>(
      sql`select distinct split_part(${sql.identifier(column)}, ':', 2) as kid from ${sql.identifier(table)}`,
    );
    const missing = used.map((u) => u.kid).filter((kid) => !ring.keys.has(kid));
    if (missing.length) return `stored data is encrypted with key(s) ${missing.join(", ")}, which are not configured`;
  }
  for (const [kid, key] of ring.keys) {
    await db.insert(encryptionKeys).values({ kid, fingerprint: keyFingerprint(key) }).onConflictDoNothing();
  }
  return null;
}
