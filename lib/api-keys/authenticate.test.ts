import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Db, DbHandle } from "@/db/client";
import { apiKeys } from "@/db/schema";
import { setApiKeyExpiry } from "@/db/queries/api-keys";
import { createTestDb } from "@/db/test-db";
import { authenticateApiKey, bearerToken } from "@/lib/api-keys/authenticate";
import { createApiKey, revokeApiKey } from "@/lib/api-keys/service";
import { generateApiKey } from "@/lib/crypto/tokens";
import { AppError } from "@/lib/errors";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";

const actor = { type: "system" as const, id: "test" };
let handle: DbHandle;
let prodEnv: { id: string; organizationId: string; kind: "production" | "test" };
let testEnv: typeof prodEnv;
let otherOrgTestEnv: typeof prodEnv;
let liveSecret: string;
let testSecret: string;

const INVALID_MESSAGE = "The API key is missing, malformed, revoked or unknown.";
const bearer = (s: string) => `Bearer ${s}`;

async function authError(db: Db, authorization: string | null, environmentHeader?: string | null): Promise<AppError> {
  try {
    await authenticateApiKey(db, { authorization, environmentHeader });
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error("authenticateApiKey accepted the key");
}

/** The real db behind a Proxy that counts every use of a query entry point. */
function countingDb(db: Db) {
  const watched = new Set<PropertyKey>(["select", "selectDistinct", "execute", "insert", "update", "delete", "transaction", "query", "$count", "with"]);
  const counter = { accesses: 0 };
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (watched.has(prop)) counter.accesses++;
      return Reflect.get(target, prop, receiver);
    },
  });
  return { db: proxy, counter };
}

beforeAll(async () => {
  handle = await createTestDb();
  const ownerUserId = await createUser(handle.db, { email: "owner@example.com", actor });
  const org = await createOrganization(handle.db, { name: "Acme", ownerUserId, actor });
  prodEnv = org.environments.find((e) => e.kind === "production")!;
  testEnv = org.environments.find((e) => e.kind === "test")!;
  const other = await createOrganization(handle.db, { name: "Other", ownerUserId, actor });
  otherOrgTestEnv = other.environments.find((e) => e.kind === "test")!;
  liveSecret = (await createApiKey(handle.db, { environment: prodEnv, name: "live", actor })).secret;
  testSecret = (await createApiKey(handle.db, { environment: testEnv, name: "test", actor })).secret;
});
afterAll(async () => {
  // Let the fire-and-forget last_used_at writes finish before closing.
  await new Promise((r) => setTimeout(r, 50));
  await handle?.close();
});

describe("C9 authenticateApiKey", () => {
  it("accepts valid live and test keys and returns their environment", async () => {
    const live = await authenticateApiKey(handle.db, { authorization: bearer(liveSecret) });
    expect(live.environment.id).toBe(prodEnv.id);
    expect(live.apiKey.mode).toBe("live");
    const test = await authenticateApiKey(handle.db, { authorization: `bearer\t${testSecret} ` });
    expect(test.environment.id).toBe(testEnv.id);
    expect(test.apiKey.mode).toBe("test");
    expect(test.apiKey).not.toHaveProperty("secretHash");
    // A Latchkey-Environment header naming the key's own environment is fine.
    await authenticateApiKey(handle.db, { authorization: bearer(testSecret), environmentHeader: testEnv.id });
  });

  it("records last use of the key", async () => {
    const { key, secret } = await createApiKey(handle.db, { environment: testEnv, name: "touch", actor });
    expect(key.lastUsedAt).toBeNull();
    await authenticateApiKey(handle.db, { authorization: bearer(secret) });
    await vi.waitFor(async () => {
      const [row] = await handle.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
      expect(row!.lastUsedAt).toBeInstanceOf(Date);
    }, { timeout: 5000 });
  });

  it("every failure is invalid_api_key with one identical message (missing, non-Bearer, malformed, bad checksum, unknown, revoked, expired)", async () => {
    const revoked = await createApiKey(handle.db, { environment: testEnv, name: "revoked", actor });
    await revokeApiKey(handle.db, { environment: testEnv, id: revoked.key.id, actor });
    const expired = await createApiKey(handle.db, { environment: testEnv, name: "expired", actor });
    await setApiKeyExpiry(handle.db, testEnv.id, expired.key.id, new Date(Date.now() - 1000));
    const badChecksum = testSecret.slice(0, -1) + (testSecret.endsWith("A") ? "B" : "A");

    const cases: [string, string | null][] = [
      ["missing header", null],
      ["empty header", ""],
      ["Basic scheme", `Basic ${Buffer.from(`user:${testSecret}`).toString("base64")}`],
      ["bare key without scheme", testSecret],
      ["Bearer without token", "Bearer "],
      ["Bearer with two tokens", `Bearer ${testSecret} ${testSecret}`],
      ["malformed", bearer("lk_test_tooShort")],
      ["wrong prefix", bearer(`sk_test_${testSecret.slice(8)}`)],
      ["bad checksum", bearer(badChecksum)],
      ["unknown but well-formed", bearer(generateApiKey("test").secret)],
      ["revoked", bearer(revoked.secret)],
      ["expired", bearer(expired.secret)],
    ];
    for (const [name, header] of cases) {
      const err = await authError(handle.db, header);
      expect({ name, code: err.code, message: err.message, status: err.status }).toEqual({
        name,
        code: "invalid_api_key",
        message: INVALID_MESSAGE,
        status: 401,
      });
    }
  });

  it("a bad-checksum or malformed key is rejected before any database access", async () => {
    const badChecksum = testSecret.slice(0, -1) + (testSecret.endsWith("A") ? "B" : "A");
    for (const header of [bearer(badChecksum), bearer("lk_test_short"), null, "Basic abc"]) {
      const { db, counter } = countingDb(handle.db);
      expect((await authError(db, header)).code).toBe("invalid_api_key");
      expect(counter.accesses).toBe(0);
    }
    // Control: a well-formed unknown key does reach the database (through the same proxy).
    const { db, counter } = countingDb(handle.db);
    expect((await authError(db, bearer(generateApiKey("live").secret))).code).toBe("invalid_api_key");
    expect(counter.accesses).toBeGreaterThan(0);
    // And the proxy is transparent for a valid key.
    const ok = countingDb(handle.db);
    expect((await authenticateApiKey(ok.db, { authorization: bearer(liveSecret) })).environment.id).toBe(prodEnv.id);
  });

  it("a test key with its prefix swapped to lk_live_ (same body and checksum) is environment_mismatch, and audited", async () => {
    const swapped = `lk_live_${testSecret.slice("lk_test_".length)}`;
    const err = await authError(handle.db, bearer(swapped));
    expect(err.code).toBe("environment_mismatch");
    expect(err.status).toBe(401);
    const reverse = `lk_test_${liveSecret.slice("lk_live_".length)}`;
    expect((await authError(handle.db, bearer(reverse))).code).toBe("environment_mismatch");

    const rows = await handle.rows<{ n: number }>(
      sql`select count(*)::int as n from audit_log where action = 'security.environment_mismatch'`,
    );
    expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(2);
  });

  it("a Latchkey-Environment header naming another environment is environment_mismatch", async () => {
    for (const other of [prodEnv.id, otherOrgTestEnv.id, "env_doesnotexist000000000"]) {
      const err = await authError(handle.db, bearer(testSecret), other);
      expect(err.code).toBe("environment_mismatch");
      expect(err.message).toContain("different environment");
    }
  });
});

describe("bearerToken", () => {
  it("extracts a single token from a Bearer header, case-insensitively", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("BEARER   abc  ")).toBe("abc");
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken("Token abc")).toBeNull();
    expect(bearerToken(`Bearer ${"a".repeat(201)}`)).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });
});
