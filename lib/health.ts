import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { migrationsFolder } from "@/db/client";
import type { Runtime } from "@/lib/runtime";

export type Readiness = { status: "ok" | "sealed" | "unavailable"; checks: Record<string, string> };

function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  return journal.entries.length;
}

/** Ready = database answers, every committed migration is applied, and the vault is unsealed. */
export async function readiness(rt: Runtime): Promise<Readiness> {
  const checks: Record<string, string> = {};
  if (rt.sealed) return { status: "sealed", checks: { vault: "sealed" } };
  checks.vault = "unsealed";
  try {
    const rows = await rt.handle.rows<{ n: number | string }>(sql`select count(*) as n from drizzle.__drizzle_migrations`);
    const applied = Number(rows[0]?.n ?? 0);
    const expected = expectedMigrations();
    checks.database = "ok";
    checks.migrations = applied >= expected ? "current" : `pending (${applied}/${expected})`;
    return { status: applied >= expected ? "ok" : "unavailable", checks };
  } catch {
    checks.database = "unreachable";
    return { status: "unavailable", checks };
  }
}
