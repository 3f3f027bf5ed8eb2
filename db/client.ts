import path from "node:path";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import * as schema from "@/db/schema";
import { countQuery } from "@/lib/metrics/registry";

/**
 * One Drizzle API over two drivers. PGlite and postgres-js expose the same query builder;
 * the type is postgres-js's so call sites need not care which one runs.
 */
export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export type DbHandle = {
  kind: "pglite" | "postgres";
  db: Db;
  /** postgres-js client, for advisory locks and LISTEN (postgres mode only). */
  sql?: Sql;
  close(): Promise<void>;
  /** Rows of a raw query, whatever the driver. */
  rows<T = Record<string, unknown>>(query: import("drizzle-orm").SQL): Promise<T[]>;
  /**
   * LISTEN on a channel. `onConnect` runs each time the listening connection is (re)made:
   * notifications sent while it was down are lost, so the caller must assume anything changed.
   */
  listen(channel: string, onNotify: (payload: string) => void, onConnect: () => void): Promise<() => Promise<void>>;
};

// Every query is counted (by scope), so "no query on a warm cache" is observable, not assumed.
const logger = { logQuery: () => countQuery() };

export const migrationsFolder = path.join(process.cwd(), "db", "migrations");

export async function openPostgres(url: string, poolMax: number): Promise<DbHandle> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const sql = postgres(url, {
    max: poolMax,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "latchkey" },
  });
  const db = drizzle(sql, { schema, logger });
  return {
    kind: "postgres",
    db,
    sql,
    close: () => sql.end({ timeout: 5 }),
    rows: async (q) => (await db.execute(q)) as unknown as never[],
    async listen(channel, onNotify, onConnect) {
      // postgres-js keeps one dedicated connection for LISTEN and re-listens after a reconnect.
      const { unlisten } = await sql.listen(channel, (payload) => onNotify(payload), onConnect);
      return unlisten;
    },
  };
}

export async function openPglite(dataDir: string): Promise<DbHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  return pgliteHandle(await PGlite.create(dataDir === "memory://" ? dataDir : path.join(dataDir, "pgdata")));
}

export async function pgliteHandle(client: import("@electric-sql/pglite").PGlite): Promise<DbHandle> {
  const { drizzle } = await import("drizzle-orm/pglite");
  const db = drizzle(client, { schema, logger }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    close: () => client.close(),
    rows: async (q) => ((await db.execute(q)) as unknown as { rows: never[] }).rows,
    async listen(channel, onNotify, onConnect) {
      // In-process: the one PGlite instance delivers its own notifications, and never reconnects.
      const unsubscribe = await client.listen(channel, onNotify);
      onConnect();
      return unsubscribe;
    },
  };
}

const MIGRATION_LOCK = 7_305_310_001;

/**
 * Applies committed migrations. On PostgreSQL a session advisory lock serialises replicas
 * that start together; the loser waits, then finds nothing left to do. `after` runs under
 * the same lock (bootstrap), so it is race-free too.
 */
export async function migrateDb<T>(handle: DbHandle, after?: () => Promise<T>): Promise<T | undefined> {
  if (handle.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(handle.db as never, { migrationsFolder });
    return after ? await after() : undefined;
  }
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  const reserved = await handle.sql!.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(handle.db, { migrationsFolder });
      return after ? await after() : undefined;
    } finally {
      await reserved`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } finally {
    reserved.release();
  }
}
