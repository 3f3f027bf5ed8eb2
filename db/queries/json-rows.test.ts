import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { connectorConfigs, environments, organizations } from "@/db/schema";
import { rowsFromJson } from "@/db/queries/json-rows";
import { createTestDb } from "@/db/test-db";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(async () => {
  await handle?.close();
});

describe("rowsFromJson", () => {
  it("maps json_agg rows exactly as a plain select does (Dates, jsonb, nulls, camelCase fields)", async () => {
    const db = handle.db;
    const [org] = await db.insert(organizations).values({ id: "org_jsonrows0000000000000", name: "J" }).returning();
    const [env] = await db.insert(environments).values({ id: "env_jsonrows0000000000000", organizationId: org!.id, name: "test", kind: "test" }).returning();
    await db.insert(connectorConfigs).values({ id: "ccfg_jsonrows000000000000", environmentId: env!.id, connector: "github", enabled: false, scopes: ["repo", "read:org"], baseUrl: null });
    const plain = await db.select().from(connectorConfigs).where(eq(connectorConfigs.environmentId, env!.id));
    const [agg] = await db.select({ rows: sql`(select coalesce(json_agg(c), '[]'::json) from connector_configs c where c.environment_id = ${env!.id})` }).from(environments).where(eq(environments.id, env!.id));
    const mapped = rowsFromJson(connectorConfigs, agg!.rows);
    expect(mapped).toEqual(plain);
    expect(mapped[0]!.createdAt).toBeInstanceOf(Date);
    expect(rowsFromJson(connectorConfigs, "[]")).toEqual([]);
  });
});
