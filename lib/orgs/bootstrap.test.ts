import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { environments, memberships, organizations, users } from "@/db/schema";
import { createTestDb } from "@/db/test-db";
import { verifyAuditLog } from "@/lib/audit/verify";
import { verifyPassword } from "@/lib/crypto/password";
import { bootstrap, DEFAULT_ADMIN_EMAIL } from "@/lib/orgs/bootstrap";

let handle: DbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(async () => {
  await handle?.close();
});

describe("bootstrap", () => {
  it("creates one organization with one production and one test environment and an owner admin; a second run is a no-op", async () => {
    const first = await bootstrap(handle.db, { orgName: "Demo", adminEmail: undefined, adminPassword: undefined });
    expect(first).not.toBeNull();
    expect(first!.adminEmail).toBe(DEFAULT_ADMIN_EMAIL);
    expect(first!.environments.map((e) => e.kind).sort()).toEqual(["production", "test"]);
    // 120 random bits in base62: 20 characters, or 21 when the value exceeds 62^20.
    expect(first!.generatedPassword).toMatch(/^[0-9A-Za-z]{20,21}$/);

    const orgs = await handle.db.select().from(organizations);
    expect(orgs).toEqual([expect.objectContaining({ id: first!.organizationId, name: "Demo" })]);
    const envs = await handle.db.select().from(environments);
    expect(envs.map((e) => e.kind).sort()).toEqual(["production", "test"]);
    expect(envs.every((e) => e.organizationId === first!.organizationId)).toBe(true);

    const [admin] = await handle.db.select().from(users);
    expect(admin!.email).toBe(DEFAULT_ADMIN_EMAIL);
    // The generated password is printed once, stored only as a hash, and works.
    expect(admin!.passwordHash).not.toContain(first!.generatedPassword!);
    expect(await verifyPassword(first!.generatedPassword!, admin!.passwordHash)).toBe(true);
    const ms = await handle.db.select().from(memberships);
    expect(ms).toEqual([expect.objectContaining({ organizationId: first!.organizationId, userId: admin!.id, role: "owner" })]);

    const second = await bootstrap(handle.db, { orgName: "Other", adminEmail: "someone@example.com", adminPassword: "another password" });
    expect(second).toBeNull();
    expect(await handle.db.select().from(organizations)).toHaveLength(1);
    expect(await handle.db.select().from(environments)).toHaveLength(2);
    expect(await handle.db.select().from(users)).toHaveLength(1);
    expect(await verifyAuditLog(handle.db)).toMatchObject({ ok: true });
  });
});
