import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { migrateDb, migrationsFolder, openPglite, pgliteHandle, type DbHandle } from "@/db/client";
import { parseKeyring, type Keyring } from "@/lib/crypto/keyring";

/**
 * A real, migrated database for unit tests: PGlite in memory. No mocks of our own code; each
 * call gets a fresh database.
 *
 * Creating a PGlite cluster (initdb) costs seconds of CPU, so the first call migrates one and
 * keeps a dump of it in the OS temp directory, keyed by the migration files and the PGlite
 * version; every database after that (in any test worker) starts from that dump. Migrations
 * still run after loading, so a stale dump can only cost time, never correctness.
 */
const TEMPLATE_PREFIX = "latchkey-test-db-";

function templateFile(): string {
  const h = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else h.update(path.relative(migrationsFolder, full)).update("\0").update(readFileSync(full)).update("\0");
    }
  };
  walk(migrationsFolder);
  try {
    h.update(readFileSync(path.join(process.cwd(), "node_modules", "@electric-sql", "pglite", "package.json")));
  } catch {
    // unknown version: the key still covers the migrations
  }
  return path.join(os.tmpdir(), `${TEMPLATE_PREFIX}${h.digest("hex").slice(0, 16)}.tar.gz`);
}

async function buildTemplate(): Promise<Blob | null> {
  try {
    const file = templateFile();
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const handle = await openPglite("memory://");
    await migrateDb(handle);
    const dump = await (handle.db as unknown as { $client: PGlite }).$client.dumpDataDir("gzip");
    await handle.close();
    // Drop templates of older migrations; write through a rename so no worker reads a partial file.
    for (const old of readdirSync(os.tmpdir()).filter((n) => n.startsWith(TEMPLATE_PREFIX) && n.endsWith(".tar.gz"))) {
      if (path.join(os.tmpdir(), old) !== file) rmSync(path.join(os.tmpdir(), old), { force: true });
    }
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, file);
    return dump;
  } catch {
    return null;
  }
}

let template: Promise<Blob | null> | undefined;

export async function createTestDb(): Promise<DbHandle> {
  template ??= buildTemplate();
  const dump = await template;
  if (!dump) {
    const handle = await openPglite("memory://");
    await migrateDb(handle);
    return handle;
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const handle = await pgliteHandle(await PGlite.create("memory://", { loadDataDir: dump }));
  await migrateDb(handle);
  return handle;
}

export function testKeyring(...kids: string[]): Keyring {
  const names = kids.length ? kids : ["k1"];
  return parseKeyring(names.map((k, i) => `${k}:${Buffer.alloc(32, i + 1).toString("base64")}`).join(","));
}
