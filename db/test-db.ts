import { migrateDb, openPglite, type DbHandle } from "@/db/client";
import { parseKeyring, type Keyring } from "@/lib/crypto/keyring";

/**
 * A real, migrated database for unit tests: PGlite in memory. No mocks of our own code; each
 * call gets a fresh database.
 */
export async function createTestDb(): Promise<DbHandle> {
  const handle = await openPglite("memory://");
  await migrateDb(handle);
  return handle;
}

export function testKeyring(...kids: string[]): Keyring {
  const names = kids.length ? kids : ["k1"];
  return parseKeyring(names.map((k, i) => `${k}:${Buffer.alloc(32, i + 1).toString("base64")}`).join(","));
}
