// A3 across two replicas on one PostgreSQL: the same security event raised on both at once is
// one alert whose count is the sum (one UPSERT per replica flush, no read-then-write race).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type TestServer } from "../helpers/server";

let a: TestServer;
let b: TestServer;

describe.runIf(TEST_DB === "postgres")("alerts across two replicas [postgres]", () => {
  beforeAll(async () => {
    a = await startServer({ db: "postgres" });
    b = await startServer({ db: "postgres", databaseUrl: a.databaseUrl!, env: a.env });
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    cleanupTempDirs();
  });

  it("A3: 2×15 environment mismatches raised concurrently on two replicas make one alert with count 30", async () => {
    // Dedup is per 10-minute window: do not start the burst in the last 30 s of one.
    const intoWindow = Date.now() % 600_000;
    if (intoWindow > 570_000) await new Promise((r) => setTimeout(r, 600_000 - intoWindow + 1000));
    const key = await createApiKeyViaCli(a, "test", "two-replicas");
    const prod = await createApiKeyViaCli(a, "production", "two-replicas-prod");
    const hit = (s: TestServer) => client(s.url).get("/api/v1/registered-users", { key: key.secret, headers: { "latchkey-environment": prod.environment_id } });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => hit(i % 2 ? a : b)));
    expect(results.every((r) => r.status === 401 && r.body.error.code === "environment_mismatch")).toBe(true);
    const deadline = Date.now() + 15_000;
    let alerts: any[] = [];
    while (Date.now() < deadline) {
      alerts = (await client(b.url).get("/api/v1/alerts?kind=environment_mismatch", { key: key.secret })).body.data;
      if (alerts[0]?.count === 30) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: "environment_mismatch", count: 30, environment_id: key.environment_id });
    expect((await client(a.url).get("/api/v1/alerts", { key: prod.secret })).body.data).toEqual([]);
  }, 60_000);
});
