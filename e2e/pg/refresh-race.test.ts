// F6 across replicas and C6, on PostgreSQL: two production servers share one database; 50
// concurrent calls with an expired OAuth token against a real oidc-provider with rotating
// refresh tokens make exactly one refresh, all succeed, and the newest refresh token is stored.
// Then a pg_dump of the whole database holds none of the secrets in clear.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections } from "@/db/schema";
import { parseKeyring } from "@/lib/crypto/keyring";
import { unsealCredential } from "@/lib/connections/credentials";
import { saveOAuthConnection } from "@/lib/connections/service";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";
import { withDb } from "../helpers/db";
import { client } from "../helpers/http";
import { startAuthServer, type LocalAuthServer } from "../helpers/oidc";
import { cleanupTempDirs, createApiKeyViaCli, startServer, type CreatedKey, type TestServer } from "../helpers/server";

let a: TestServer;
let b: TestServer;
let as: LocalAuthServer;
let api: Awaited<ReturnType<typeof serveSandbox>>;
let key: CreatedKey;
const CLIENT_SECRET_CANARY = () => oauthClient.client_secret;
let oauthClient: Awaited<ReturnType<LocalAuthServer["registerClient"]>>;

beforeAll(async () => {
  as = await startAuthServer({ accessTokenTtl: 600 });
  oauthClient = await as.registerClient();
  // The fake GitHub API accepts only access tokens the authorization server signed.
  api = await serveSandbox(createGithubSandbox({ authorize: (t) => as.verify(t) }));
  a = await startServer({ db: "postgres" });
  b = await startServer({ db: "postgres", databaseUrl: a.databaseUrl!, env: a.env });
  key = await createApiKeyViaCli(a, "test", "race");
  const cfg = await client(a.url).req("/api/v1/connectors/github/config", {
    method: "PATCH",
    key: key.secret,
    json: { base_url: api.url, oauth_token_url: `${as.issuer}/token`, oauth_client_id: oauthClient.client_id, oauth_client_secret: oauthClient.client_secret },
  });
  expect(cfg.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await api?.close();
  await as?.close();
  cleanupTempDirs();
});

describe("OAuth refresh across two replicas [postgres]", () => {
  let connectionId = "";
  const planted: string[] = [];

  it("F6: 50 concurrent calls with an expired token across 2 processes: one refresh at the AS, all 50 succeed, the newest refresh token is stored", async () => {
    const user = (await client(a.url).post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "race-user" } })).body;
    const tokens = await as.authorize(oauthClient);
    planted.push(tokens.access_token, tokens.refresh_token);
    const keyring = parseKeyring(a.env.LATCHKEY_ENCRYPTION_KEYS!);
    await withDb("postgres", a, async (h) => {
      const { connection } = await saveOAuthConnection(
        { db: h.db, keyring },
        {
          environment: { id: key.environment_id, organizationId: key.organization_id },
          owner: { type: "registered_user", id: user.id },
          connector: "github",
          tokens: { ...tokens, expires_in: 0 },
          actor: { type: "system", id: "test" },
        },
      );
      connectionId = connection.id;
    });
    const refreshesBefore = as.grants.filter((g) => g.grantType === "refresh_token").length;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client(i % 2 ? b.url : a.url).post(`/api/v1/connections/${connectionId}/project`, { key: key.secret })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const refreshes = as.grants.filter((g) => g.grantType === "refresh_token");
    expect(refreshes.length - refreshesBefore).toBe(1);
    const issued = refreshes.at(-1)!;
    planted.push(issued.accessToken!, issued.refreshToken!);
    for (const r of results) {
      expect(r.body.headers.authorization).toBe(`Bearer ${issued.accessToken}`);
      expect(r.text).not.toContain(issued.refreshToken!);
    }
    // The projected header really works against the provider API.
    const me = await fetch(`${api.url}/user`, { headers: results[0]!.body.headers });
    expect(me.status).toBe(200);

    await withDb("postgres", a, async (h) => {
      const [row] = await h.db.select().from(connections).where(eq(connections.id, connectionId));
      const cred = unsealCredential({ keyring }, { id: key.environment_id, organizationId: key.organization_id }, row!);
      expect(cred.type === "oauth2" && cred.refresh_token).toBe(issued.refreshToken);
      expect(row!.status).toBe("active");
      expect(row!.refreshLeaseUntil).toBeNull();
    });
  }, 60_000);

  it("C6: a pg_dump of the whole database contains no token, key or client secret in clear", () => {
    const bins = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin/pg_dump`).filter(existsSync) : [];
    const pgDump = bins[0] ?? "pg_dump";
    const dump = execFileSync(pgDump, ["--no-owner", "--data-only", `--dbname=${a.databaseUrl}`], { maxBuffer: 256 * 1024 * 1024 }).toString("utf8");
    expect(dump).toContain("COPY public.connections");
    for (const secret of [...planted, key.secret, CLIENT_SECRET_CANARY()]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(dump.includes(secret), "a secret appears in clear in the database dump").toBe(false);
    }
  });
});
