import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "@/db/client";
import { encryptionKeys, secrets } from "@/db/schema";
import { createTestDb, testKeyring } from "@/db/test-db";
import { checkKeyring } from "@/lib/crypto/keyring-store";
import { parseKeyring, type Keyring } from "@/lib/crypto/keyring";
import { countByKid, reencryptAll, retireKey } from "@/lib/crypto/rotation";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { createSecret, readSecret } from "@/lib/secrets/service";

const actor = { type: "cli" as const, id: "operator" };
let handle: DbHandle;
let envs: Awaited<ReturnType<typeof createOrganization>>["environments"];

// Same key bytes in both rings; only the active key changes (as an operator would do it).
const ringK1 = testKeyring("k1", "k2"); // k1 active
const ringK2: Keyring = { ...ringK1, activeKid: "k2" }; // k2 active, k1 still present

const seeded = new Map<string, { envIndex: number; value: string }>();

async function stored(id: string) {
  const [row] = await handle.db.select({ value: secrets.value }).from(secrets).where(eq(secrets.id, id));
  return row!.value;
}

beforeAll(async () => {
  handle = await createTestDb();
  const ownerUserId = await createUser(handle.db, { email: "owner@example.com", actor });
  envs = (await createOrganization(handle.db, { name: "Rot", ownerUserId, actor })).environments;
  // Boot records the fingerprints of the configured keys.
  expect(await checkKeyring(handle, ringK1)).toBeNull();
  for (let i = 0; i < 7; i++) {
    const envIndex = i % 2;
    const value = `credential-${i}-${"x".repeat(i * 10)}`;
    const id = await createSecret({ db: handle.db, keyring: ringK1 }, { environment: envs[envIndex]!, name: `s${i}`, value, actor });
    seeded.set(id, { envIndex, value });
  }
});
afterAll(async () => {
  await handle?.close();
});

describe("C4 online re-encryption under a new active key", () => {
  it("re-encrypts every value under the new key; all still read back; nothing left under k1", async () => {
    expect(await countByKid(handle.db)).toEqual({ k1: 7 });
    const batches: number[] = [];
    const report = await reencryptAll(handle.db, ringK2, { batchSize: 3, actor, onBatch: (n) => batches.push(n) });
    expect(report).toEqual({ activeKid: "k2", reencrypted: 7, failed: 0, remainingByKid: {} });
    expect(batches.length).toBeGreaterThanOrEqual(3); // 3 + 3 + 1 (+ an empty last page)
    expect(await countByKid(handle.db)).toEqual({ k2: 7 });
    for (const [id, s] of seeded) {
      expect((await stored(id)).startsWith("v1:k2:")).toBe(true);
      expect(await readSecret({ db: handle.db, keyring: ringK2 }, envs[s.envIndex]!, id)).toBe(s.value);
    }
  });

  it("is idempotent: a second run re-encrypts nothing", async () => {
    const before = await Promise.all([...seeded.keys()].map(stored));
    const report = await reencryptAll(handle.db, ringK2, { batchSize: 3, actor });
    expect(report.reencrypted).toBe(0);
    expect(report.failed).toBe(0);
    expect(await Promise.all([...seeded.keys()].map(stored))).toEqual(before);
  });

  it("a tampered row is counted as failed and left untouched; retireKey refuses while it exists", async () => {
    // New writes made by a replica still running with the old ring, one of them corrupted.
    const oldRt = { db: handle.db, keyring: ringK1 };
    const good = await createSecret(oldRt, { environment: envs[0]!, name: "late-good", value: "late", actor });
    const bad = await createSecret(oldRt, { environment: envs[0]!, name: "late-bad", value: "corrupt-me", actor });
    const original = await stored(bad);
    const blob = original.split(":")[2]!;
    const tampered = `v1:k1:${blob.slice(0, 10)}${blob[10] === "A" ? "B" : "A"}${blob.slice(11)}`;
    await handle.db.update(secrets).set({ value: tampered }).where(eq(secrets.id, bad));

    expect(await retireKey(handle.db, ringK2, "k1", actor)).toMatchObject({ ok: false });

    const report = await reencryptAll(handle.db, ringK2, { batchSize: 3, actor });
    expect(report).toMatchObject({ reencrypted: 1, failed: 1, remainingByKid: { k1: 1 } });
    expect(await stored(bad)).toBe(tampered);
    expect(await readSecret({ db: handle.db, keyring: ringK2 }, envs[0]!, good)).toBe("late");
    expect(await countByKid(handle.db)).toEqual({ k1: 1, k2: 8 });

    // Still refused: one value (the corrupt one) is under k1.
    const refused = await retireKey(handle.db, ringK2, "k1", actor);
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain("1 stored value");

    // Running again keeps reporting it, and never overwrites it.
    expect(await reencryptAll(handle.db, ringK2, { actor })).toMatchObject({ reencrypted: 0, failed: 1 });
    expect(await stored(bad)).toBe(tampered);

    // The operator deletes the unrecoverable row; now k1 can be retired.
    await handle.db.delete(secrets).where(eq(secrets.id, bad));
    expect(await countByKid(handle.db)).toEqual({ k2: 8 });
    const retired = await retireKey(handle.db, ringK2, "k1", actor);
    expect(retired).toMatchObject({ ok: true });
    expect(retired.message).toContain("retired");
    const [row] = await handle.db.select().from(encryptionKeys).where(eq(encryptionKeys.kid, "k1"));
    expect(row!.retiredAt).toBeInstanceOf(Date);
  });

  it("retireKey refuses the active key", async () => {
    const r = await retireKey(handle.db, ringK2, "k2", actor);
    expect(r.ok).toBe(false);
    expect(r.message).toContain("active key");
  });

  it("rotation is audited", async () => {
    const rows = await handle.rows<{ action: string }>(sql`select action from audit_log where action like 'encryption_key.%' order by seq`);
    expect(rows.map((r) => r.action)).toContain("encryption_key.rotated");
    expect(rows.map((r) => r.action)).toContain("encryption_key.retired");
  });

  it("the boot check then refuses a keyring that still holds the retired key, and accepts one without it", async () => {
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await checkKeyring(handle, ringK2)).toMatch(/"k1" was retired/);
      const onlyK2: Keyring = { activeKid: "k2", keys: new Map([["k2", ringK2.keys.get("k2")!]]) };
      expect(await checkKeyring(handle, onlyK2)).toBeNull();
      // Wrong bytes under a recorded kid: refuse before any decrypt.
      const wrongK2 = parseKeyring(`k2:${Buffer.alloc(32, 0x77).toString("base64")}`);
      expect(await checkKeyring(handle, wrongK2)).toMatch(/does not match/);
      // Data under a key that is not configured.
      expect(await checkKeyring(handle, testKeyring("k9"))).toMatch(/k2.*not configured/);
    } finally {
      spy.mockRestore();
    }
  });

  it("works with key ids containing LIKE wildcards (k_a must not match kxa)", async () => {
    // k_a / kxa: "_" is a LIKE wildcard, so a naive `like 'v1:k_a:%'` also matches kxa rows.
    const ring: Keyring = {
      activeKid: "kxa",
      keys: new Map([
        ["kxa", Buffer.alloc(32, 0x31)],
        ["k_a", Buffer.alloc(32, 0x32)],
        ["k2", ringK2.keys.get("k2")!],
      ]),
    };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await createSecret({ db: handle.db, keyring: ring }, { environment: envs[1]!, name: `wild${i}`, value: `w${i}`, actor }));
    }
    const next: Keyring = { ...ring, activeKid: "k_a" };
    const report = await reencryptAll(handle.db, next, { actor });
    expect(report.failed).toBe(0);
    expect(report.remainingByKid).toEqual({});
    expect(await countByKid(handle.db)).toEqual({ k_a: 3 + 8 });
    const rows = await handle.db.select({ value: secrets.value }).from(secrets).where(inArray(secrets.id, ids));
    expect(rows.every((r) => r.value.startsWith("v1:k_a:"))).toBe(true);
    for (let i = 0; i < 3; i++) expect(await readSecret({ db: handle.db, keyring: next }, envs[1]!, ids[i]!)).toBe(`w${i}`);
  });
});
