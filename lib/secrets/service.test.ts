import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "@/db/client";
import { secrets } from "@/db/schema";
import { createTestDb, testKeyring } from "@/db/test-db";
import { AppError } from "@/lib/errors";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { createSecret, listSecretNames, readSecret } from "@/lib/secrets/service";

const actor = { type: "system" as const, id: "test" };
let handle: DbHandle;
let rt: { db: DbHandle["db"]; keyring: ReturnType<typeof testKeyring> };

type Org = Awaited<ReturnType<typeof createOrganization>>;
let orgA: Org;
let orgB: Org;

async function newOrg(name: string): Promise<Org> {
  const ownerUserId = await createUser(handle.db, { email: `${name}@example.com`, actor });
  return createOrganization(handle.db, { name, ownerUserId, actor });
}
const prod = (o: Org) => o.environments.find((e) => e.kind === "production")!;
const testEnv = (o: Org) => o.environments.find((e) => e.kind === "test")!;

async function storedValue(id: string) {
  const [row] = await handle.db.select({ value: secrets.value }).from(secrets).where(eq(secrets.id, id));
  return row!.value;
}

/** readSecret must throw; quiets the (expected) error log line. */
async function readFails(env: Parameters<typeof readSecret>[1], id: string) {
  const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await readSecret(rt, env, id);
  } catch (err) {
    return err;
  } finally {
    spy.mockRestore();
  }
  throw new Error("readSecret returned a value");
}

beforeAll(async () => {
  handle = await createTestDb();
  rt = { db: handle.db, keyring: testKeyring("k1") };
  orgA = await newOrg("alpha");
  orgB = await newOrg("beta");
});
afterAll(async () => {
  await handle?.close();
});

describe("secrets service", () => {
  it("stores values encrypted and reads them back", async () => {
    const id = await createSecret(rt, { environment: prod(orgA), name: "stripe", value: "sk_live_plaintext_AAAA", actor });
    const stored = await storedValue(id);
    expect(stored.startsWith("v1:k1:")).toBe(true);
    expect(stored).not.toContain("sk_live_plaintext_AAAA");
    expect(await readSecret(rt, prod(orgA), id)).toBe("sk_live_plaintext_AAAA");
    expect((await listSecretNames(handle.db, prod(orgA).id)).map((s) => s.name)).toContain("stripe");
  });

  it("refuses a duplicate name in the same environment", async () => {
    await createSecret(rt, { environment: prod(orgA), name: "dup", value: "1", actor });
    await expect(createSecret(rt, { environment: prod(orgA), name: "dup", value: "2", actor })).rejects.toMatchObject({ code: "conflict" });
    // The same name in another environment is fine.
    await createSecret(rt, { environment: testEnv(orgA), name: "dup", value: "3", actor });
  });

  it("a secret is not readable through another environment", async () => {
    const id = await createSecret(rt, { environment: prod(orgA), name: "scoped", value: "v", actor });
    await expect(readSecret(rt, testEnv(orgA), id)).rejects.toMatchObject({ code: "not_found" });
    await expect(readSecret(rt, prod(orgB), id)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("C3 a ciphertext copied to another row does not decrypt (real database)", () => {
  it("copying one secret's value column over another makes the target unreadable, not a disclosure", async () => {
    const source = await createSecret(rt, { environment: prod(orgA), name: "src", value: "SOURCE-SECRET-VALUE", actor });
    const target = await createSecret(rt, { environment: prod(orgA), name: "dst", value: "target-value", actor });
    expect(await readSecret(rt, prod(orgA), target)).toBe("target-value");

    await handle.db.update(secrets).set({ value: await storedValue(source) }).where(eq(secrets.id, target));

    const err = await readFails(prod(orgA), target);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("internal_error");
    expect(JSON.stringify((err as AppError).toBody())).not.toContain("SOURCE-SECRET-VALUE");
    // The source itself is untouched.
    expect(await readSecret(rt, prod(orgA), source)).toBe("SOURCE-SECRET-VALUE");
  });

  it.each([
    ["another environment of the same org", () => testEnv(orgA)],
    ["another organization", () => prod(orgB)],
  ])("copying a value into a secret of %s fails to decrypt", async (_name, targetEnv) => {
    const name = `copy-${Math.random().toString(36).slice(2)}`;
    const source = await createSecret(rt, { environment: prod(orgA), name, value: "CROSS-TENANT-VALUE", actor });
    const target = await createSecret(rt, { environment: targetEnv(), name, value: "mine", actor });
    await handle.db.update(secrets).set({ value: await storedValue(source) }).where(eq(secrets.id, target));
    const err = await readFails(targetEnv(), target);
    expect((err as AppError).code).toBe("internal_error");
  });
});
