import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { apiKeys } from "@/db/schema";
import { createTestDb } from "@/db/test-db";
import { authenticateApiKey } from "@/lib/api-keys/authenticate";
import { apiKeyStatus, createApiKey, listApiKeys, revokeApiKey, rotateApiKey, toApiKeyOut } from "@/lib/api-keys/service";
import { AppError } from "@/lib/errors";
import { createOrganization, createTestEnvironment } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";

const actor = { type: "user" as const, id: "usr_test" };
let handle: DbHandle;
let org: Awaited<ReturnType<typeof createOrganization>>;
const env = (kind: "production" | "test") => org.environments.find((e) => e.kind === kind)!;

const works = async (secret: string) => {
  try {
    await authenticateApiKey(handle.db, { authorization: `Bearer ${secret}` });
    return true;
  } catch (err) {
    expect((err as AppError).code).toBe("invalid_api_key");
    return false;
  }
};

/** A fresh test environment, so list assertions are not affected by other tests. */
async function freshEnv(name: string) {
  const id = await createTestEnvironment(handle.db, { organizationId: org.id, name, actor });
  return { id, organizationId: org.id, kind: "test" as const };
}

beforeAll(async () => {
  handle = await createTestDb();
  const ownerUserId = await createUser(handle.db, { email: "owner@example.com", actor });
  org = await createOrganization(handle.db, { name: "Acme", ownerUserId, actor });
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50));
  await handle?.close();
});

describe("K3 API key lifecycle: rotation overlap, revocation, no secret in lists", () => {
  it("creates a key whose mode follows the environment; the secret is returned once and only its hash is stored", async () => {
    const live = await createApiKey(handle.db, { environment: env("production"), name: "live one", actor });
    expect(live.secret.startsWith("lk_live_")).toBe(true);
    const test = await createApiKey(handle.db, { environment: env("test"), name: "test one", actor });
    expect(test.secret.startsWith("lk_test_")).toBe(true);
    const rows = await handle.rows(sql`select * from api_keys`);
    expect(JSON.stringify(rows)).not.toContain(live.secret.slice(8));
    expect(JSON.stringify(rows)).not.toContain(test.secret.slice(8));
  });

  it("refuses an expiry in the past", async () => {
    await expect(
      createApiKey(handle.db, { environment: env("test"), name: "x", actor, expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toMatchObject({ code: "validation_error" });
  });

  it("rotation with overlap keeps the old key working alongside the new one until the overlap ends", async () => {
    const e = env("test");
    const old = await createApiKey(handle.db, { environment: e, name: "rotating", actor });
    const before = Date.now();
    const rotated = await rotateApiKey(handle.db, { environment: e, id: old.key.id, overlapSeconds: 3600, actor });
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated.key.name).toBe("rotating");
    expect(await works(old.secret)).toBe(true);
    expect(await works(rotated.secret)).toBe(true);

    const [oldRow] = await handle.db.select().from(apiKeys).where(eq(apiKeys.id, old.key.id));
    expect(oldRow!.revokedAt).toBeNull();
    expect(oldRow!.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(oldRow!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
    expect(apiKeyStatus(oldRow!)).toBe("active");
    // Once the overlap has passed, the old key stops working; the new one does not.
    expect(apiKeyStatus(oldRow!, new Date(Date.now() + 3601_000))).toBe("expired");
    await handle.db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1) }).where(eq(apiKeys.id, old.key.id));
    expect(await works(old.secret)).toBe(false);
    expect(await works(rotated.secret)).toBe(true);
    // An expired key cannot be rotated again.
    await expect(rotateApiKey(handle.db, { environment: e, id: old.key.id, overlapSeconds: 60, actor })).rejects.toMatchObject({ code: "conflict" });
  });

  it("rotation does not extend a key that already expires sooner than the overlap", async () => {
    const e = env("test");
    const soon = new Date(Date.now() + 60_000);
    const old = await createApiKey(handle.db, { environment: e, name: "short-lived", actor, expiresAt: soon });
    const rotated = await rotateApiKey(handle.db, { environment: e, id: old.key.id, overlapSeconds: 24 * 3600, actor });
    const [oldRow] = await handle.db.select().from(apiKeys).where(eq(apiKeys.id, old.key.id));
    expect(oldRow!.expiresAt!.getTime()).toBe(soon.getTime());
    // The replacement keeps the original expiry.
    expect(rotated.key.expiresAt!.getTime()).toBe(soon.getTime());
  });

  it("rotation with overlap 0 revokes the old key at once", async () => {
    const e = env("production");
    const old = await createApiKey(handle.db, { environment: e, name: "instant", actor });
    const rotated = await rotateApiKey(handle.db, { environment: e, id: old.key.id, overlapSeconds: 0, actor });
    expect(await works(old.secret)).toBe(false);
    expect(await works(rotated.secret)).toBe(true);
    await expect(rotateApiKey(handle.db, { environment: e, id: old.key.id, overlapSeconds: 0, actor })).rejects.toMatchObject({ code: "conflict" });
  });

  it("revokeApiKey makes authentication fail immediately, and is idempotent", async () => {
    const e = env("test");
    const k = await createApiKey(handle.db, { environment: e, name: "to revoke", actor });
    expect(await works(k.secret)).toBe(true);
    const revoked = await revokeApiKey(handle.db, { environment: e, id: k.key.id, actor });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await works(k.secret)).toBe(false);

    const audits = async () =>
      Number((await handle.rows<{ n: number }>(sql`select count(*)::int as n from audit_log where action = 'api_key.revoked' and target_id = ${k.key.id}`))[0]!.n);
    expect(await audits()).toBe(1);
    const again = await revokeApiKey(handle.db, { environment: e, id: k.key.id, actor });
    expect(again.revokedAt!.getTime()).toBe(revoked.revokedAt!.getTime());
    expect(await audits()).toBe(1);
  });

  it("a key of one environment cannot be revoked or rotated through another", async () => {
    const k = await createApiKey(handle.db, { environment: env("test"), name: "scoped", actor });
    await expect(revokeApiKey(handle.db, { environment: env("production"), id: k.key.id, actor })).rejects.toMatchObject({ code: "not_found" });
    await expect(rotateApiKey(handle.db, { environment: env("production"), id: k.key.id, overlapSeconds: 0, actor })).rejects.toMatchObject({ code: "not_found" });
    expect(await works(k.secret)).toBe(true);
  });

  it("list output never contains the secret or its hash", async () => {
    const e = await freshEnv("list-secrets");
    const created: Awaited<ReturnType<typeof createApiKey>>[] = [];
    for (let i = 0; i < 3; i++) created.push(await createApiKey(handle.db, { environment: e, name: `k${i}`, actor }));
    await revokeApiKey(handle.db, { environment: e, id: created[0]!.key.id, actor });
    const listed = await listApiKeys(handle.db, { environmentId: e.id, limit: 10, includeRevoked: true });
    const out = JSON.stringify(listed.data.map(toApiKeyOut));
    expect(listed.data).toHaveLength(3);
    for (const c of created) {
      expect(out).not.toContain(c.secret);
      expect(out).not.toContain(c.secret.slice(12)); // the part after the display prefix
      expect(out).not.toContain(c.key.secretHash);
      expect(out).toContain(c.key.displayPrefix);
    }
    expect(out).not.toMatch(/secret|hash/i);
    expect(listed.data.map(toApiKeyOut).find((k) => k.id === created[0]!.key.id)!.status).toBe("revoked");
    // Revoked keys are hidden unless asked for.
    const active = await listApiKeys(handle.db, { environmentId: e.id, limit: 10, includeRevoked: false });
    expect(active.data.map((k) => k.id).sort()).toEqual([created[1]!.key.id, created[2]!.key.id].sort());
  });
});

describe("pagination of API key lists", () => {
  it("walks every key exactly once, newest first, with opaque cursors", async () => {
    const e = await freshEnv("paging");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createApiKey(handle.db, { environment: e, name: `p${i}`, actor })).key.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const p = await listApiKeys(handle.db, { environmentId: e.id, limit: 2, cursor, includeRevoked: false });
      pages++;
      seen.push(...p.data.map((k) => k.id));
      if (!p.hasMore) {
        expect(p.nextCursor).toBeNull();
        break;
      }
      expect(p.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      cursor = p.nextCursor!;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it("an invalid cursor is a validation_error on the cursor field", async () => {
    for (const cursor of ["not-a-cursor", Buffer.from("key_'; drop table api_keys; --").toString("base64url")]) {
      const err = await listApiKeys(handle.db, { environmentId: env("test").id, limit: 2, cursor, includeRevoked: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("validation_error");
      expect((err as AppError).issues?.[0]?.path).toBe("cursor");
    }
    const [n] = await handle.db.select({ n: sql<number>`count(*)::int` }).from(apiKeys).where(and(eq(apiKeys.environmentId, env("test").id)));
    expect(Number(n!.n)).toBeGreaterThan(0);
  });
});
