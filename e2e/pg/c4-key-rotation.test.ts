// C4: online key rotation k1 → k2 with the admin CLI against PostgreSQL: SIGKILLed at a random
// point, resumed, idempotent; k1 is retired only once nothing uses it. PostgreSQL only.
import { randomBytes, randomInt } from "node:crypto";
import { asc, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { encryptionKeys, environments, secrets } from "@/db/schema";
import { decryptString, encrypt, parseKeyring, type Keyring } from "@/lib/crypto/keyring";
import { createId } from "@/lib/ids";
import { createSecret } from "@/lib/secrets/service";
import { openDb } from "../helpers/db";
import { client } from "../helpers/http";
import { cleanupTempDirs, parseJsonOutput, randomKey, runCli, spawnCli, startServer, TEST_DB, type TestServer } from "../helpers/server";

const SECRETS = 3000;
const servers: TestServer[] = [];
let handle: DbHandle | undefined;

afterAll(async () => {
  await handle?.close();
  for (const s of servers) await s.stop();
  cleanupTempDirs();
});

async function countsByKid(h: DbHandle): Promise<Record<string, number>> {
  const rows = await h.rows<{ kid: string; n: number }>(sql`select split_part(value, ':', 2) as kid, count(*)::int as n from secrets group by 1`);
  return Object.fromEntries(rows.map((r) => [r.kid, Number(r.n)]));
}

/** Every stored secret decrypts, under `ring`, to the value it was created with. */
async function assertAllDecrypt(h: DbHandle, ring: Keyring, originals: Map<string, string>) {
  const rows = await h.db
    .select({ id: secrets.id, value: secrets.value, env: secrets.environmentId, org: environments.organizationId })
    .from(secrets)
    .innerJoin(environments, eq(environments.id, secrets.environmentId))
    .orderBy(asc(secrets.id));
  let checked = 0;
  for (const r of rows) {
    const want = originals.get(r.id);
    if (want === undefined) continue;
    expect(decryptString(ring, r.value, { org: r.org, env: r.env, table: "secrets", row: r.id, field: "value" }), r.id).toBe(want);
    checked++;
  }
  expect(checked).toBe(originals.size);
}

describe.runIf(TEST_DB === "postgres")("C4: online key rotation [postgres]", () => {
  it(`C4: ${SECRETS} secrets under k1; rotate to k2 with --batch-size 20, SIGKILL at a random point, resume; k1 retires only at zero`, async () => {
    const k1 = randomKey();
    const k2 = randomKey();
    const ring1 = parseKeyring(`k1:${k1}`);
    const ring21 = parseKeyring(`k2:${k2},k1:${k1}`);

    // A server bootstraps the organization and records k1's fingerprint, then goes away.
    const boot = await startServer({ db: "postgres", env: { LATCHKEY_ENCRYPTION_KEYS: `k1:${k1}` } });
    servers.push(boot);
    await boot.stop();

    handle = await openDb("postgres", boot);
    const h = handle;
    const envs = await h.db.select().from(environments).orderBy(asc(environments.kind));
    expect(envs.map((e) => e.kind)).toEqual(["production", "test"]);

    // Seed: one secret through the service, the rest in bulk with the same AAD.
    const originals = new Map<string, string>();
    const firstValue = `first-${randomBytes(8).toString("hex")}`;
    const firstId = await createSecret({ keyring: ring1, db: h.db }, { environment: envs[0]!, name: "seed-0", value: firstValue, actor: { type: "system", id: "e2e" } });
    originals.set(firstId, firstValue);
    const rows: (typeof secrets.$inferInsert)[] = [];
    for (let i = 1; i < SECRETS; i++) {
      const env = envs[i % 2]!;
      const id = createId("secret");
      const value = `secret-${i}-${randomBytes(12).toString("base64url")}`;
      originals.set(id, value);
      rows.push({ id, environmentId: env.id, name: `seed-${i}`, value: encrypt(ring1, value, { org: env.organizationId, env: env.id, table: "secrets", row: id, field: "value" }) });
    }
    for (let i = 0; i < rows.length; i += 500) await h.db.insert(secrets).values(rows.slice(i, i + 500));
    expect(await countsByKid(h)).toEqual({ k1: SECRETS });

    // k2 first (active), k1 still listed to read the old rows.
    const env = { ...boot.env, LATCHKEY_ENCRYPTION_KEYS: `k2:${k2},k1:${k1}` };

    // 1. Rotation starts; once it is visibly under way, SIGKILL it 100–800 ms later.
    const child = spawnCli(["rotate-encryption-key", "--batch-size", "20", "--json"], env);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
    let finished = false;
    void exited.then(() => (finished = true));
    const startBy = Date.now() + 60_000;
    while (!finished && ((await countsByKid(h)).k2 ?? 0) === 0) {
      expect(Date.now(), "rotation never started").toBeLessThan(startBy);
      await new Promise((r) => setTimeout(r, 10));
    }
    const delay = randomInt(100, 801);
    await new Promise((r) => setTimeout(r, delay));
    child.kill("SIGKILL");
    expect(await exited, `the rotation ended by itself within ${delay} ms (make SECRETS larger):\n${out}`).toBe("SIGKILL");

    const mid = await countsByKid(h);
    expect((mid.k1 ?? 0) + (mid.k2 ?? 0)).toBe(SECRETS);
    expect(mid.k1, `killed after ${delay} ms: ${JSON.stringify(mid)}`).toBeGreaterThan(0);
    expect(mid.k2).toBeGreaterThan(0);

    // Half-rotated: every row still opens (k1 rows with k1, k2 rows with k2), none lost or mangled.
    await assertAllDecrypt(h, ring21, originals);
    // New writes use the active key.
    const newId = await createSecret({ keyring: ring21, db: h.db }, { environment: envs[1]!, name: "written-mid-rotation", value: "fresh", actor: { type: "system", id: "e2e" } });
    originals.set(newId, "fresh");
    const [fresh] = await h.db.select().from(secrets).where(eq(secrets.id, newId));
    expect(fresh!.value).toMatch(/^v1:k2:/);

    // 2. k1 cannot be retired while rows remain under it.
    const refused = await runCli(["retire-encryption-key", "--kid", "k1"], env);
    expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(new RegExp(`${mid.k1} stored value\\(s\\) still use "k1"`));
    const [k1Row] = await h.db.select().from(encryptionKeys).where(eq(encryptionKeys.kid, "k1"));
    expect(k1Row!.retiredAt).toBeNull();

    // 3. Resume to completion.
    const resumed = await runCli(["rotate-encryption-key", "--batch-size", "20", "--json"], env, 180_000);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const report = parseJsonOutput<{ activeKid: string; reencrypted: number; failed: number; remainingByKid: Record<string, number> }>(resumed.stdout);
    expect(report).toEqual({ activeKid: "k2", reencrypted: mid.k1, failed: 0, remainingByKid: {} });
    const [{ n: underK1 } = { n: -1 }] = await h.rows<{ n: number }>(sql`select count(*)::int as n from secrets where split_part(value, ':', 2) = 'k1'`);
    expect(underK1).toBe(0);
    expect(await countsByKid(h)).toEqual({ k2: SECRETS + 1 });
    // Every secret still decrypts to its original value, with k2 alone.
    await assertAllDecrypt(h, parseKeyring(`k2:${k2}`), originals);

    // 4. Idempotent: a second run re-encrypts nothing.
    const again = await runCli(["rotate-encryption-key", "--batch-size", "20", "--json"], env);
    expect(again.code).toBe(0);
    expect(parseJsonOutput<{ reencrypted: number }>(again.stdout).reencrypted).toBe(0);

    // 5. Now k1 can be retired.
    const retired = await runCli(["retire-encryption-key", "--kid", "k1"], env);
    expect(retired.code, retired.stdout + retired.stderr).toBe(0);
    const [k1After] = await h.db.select().from(encryptionKeys).where(eq(encryptionKeys.kid, "k1"));
    expect(k1After!.retiredAt).not.toBeNull();

    // 6. The server boots and serves with k2 alone.
    const after = await startServer({ db: "postgres", env: { ...boot.env, LATCHKEY_ENCRYPTION_KEYS: `k2:${k2}` } });
    servers.push(after);
    expect((await client(after.url).get("/api/health")).body).toEqual({ status: "ok" });
    await after.stop();
  });
});
