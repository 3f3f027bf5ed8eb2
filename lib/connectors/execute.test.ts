import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { createTestDb, testKeyring } from "@/db/test-db";
import type { DbHandle } from "@/db/client";
import { auditLog, connections } from "@/db/schema";
import { startAuthServer, type LocalAuthServer } from "@/e2e/helpers/oidc";
import { executeConnectorTool } from "@/lib/connectors/execute";
import { updateConnectorConfig } from "@/lib/connectors/configs";
import { unsealCredential } from "@/lib/connections/credentials";
import { refreshDue } from "@/lib/connections/refresh";
import { deleteConnection, saveOAuthConnection } from "@/lib/connections/service";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";

const actor = { type: "system" as const, id: "test" };
let handle: DbHandle;
let rt: { db: DbHandle["db"]; keyring: ReturnType<typeof testKeyring> };
let as: LocalAuthServer;
let sandbox: Awaited<ReturnType<typeof serveSandbox>>;
let client: Awaited<ReturnType<LocalAuthServer["registerClient"]>>;
const rejected = new Set<string>();

async function newEnv() {
  const uid = await createUser(handle.db, { email: `o${Math.random()}@x.test`, password: "long-enough-password", actor });
  const org = await createOrganization(handle.db, { name: "Org", ownerUserId: uid, actor });
  const env = { id: org.environments[1]!.id, organizationId: org.id, kind: "test" as const };
  await updateConnectorConfig(rt, {
    environment: env,
    slug: "github",
    patch: { baseUrl: sandbox.url, oauthTokenUrl: `${as.issuer}/token`, oauthClientId: client.client_id, oauthClientSecret: client.client_secret },
    actor,
  });
  return env;
}

async function connectUser(env: { id: string; organizationId: string }, origin: string, expiresIn: number, group?: string) {
  const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: origin, sharedCredentialGroup: group, actor });
  const tokens = await as.authorize(client);
  const { connection } = await saveOAuthConnection(rt, {
    environment: env,
    owner: { type: "registered_user", id: user.id },
    connector: "github",
    tokens: { ...tokens, expires_in: expiresIn },
    actor,
  });
  return { user, connection, tokens };
}

beforeAll(async () => {
  handle = await createTestDb();
  rt = { db: handle.db, keyring: testKeyring("k1") };
  as = await startAuthServer({ accessTokenTtl: 600 });
  // The sandbox accepts only access tokens the authorization server signed, unexpired, and not
  // revoked by the test (a provider-side revocation our clock cannot see).
  sandbox = await serveSandbox(createGithubSandbox({ authorize: async (t) => !rejected.has(t) && (await as.verify(t)) }));
  client = await as.registerClient();
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  await as?.close();
  await handle?.close();
});

const refreshes = () => as.grants.filter((g) => g.grantType === "refresh_token").length;

describe("executeConnectorTool", () => {
  it("answers authentication_required when the user has no connection, and uses the group's, then the environment's shared one", async () => {
    const env = await newEnv();
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "solo", sharedCredentialGroup: "acme", actor });
    const none = await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} });
    expect(none).toMatchObject({ ok: false, error: { code: "authentication_required", connector: "github" } });

    const groupTokens = await as.authorize(client);
    const { connection: groupConn } = await saveOAuthConnection(rt, { environment: env, owner: { type: "group", id: "acme" }, connector: "github", tokens: { ...groupTokens, expires_in: 3600 }, actor });
    const viaGroup = await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} });
    expect(viaGroup).toMatchObject({ ok: true, connectionId: groupConn.id, data: { login: "octocat" } });

    const { user: other } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "outsider", actor });
    expect(await executeConnectorTool(rt, { environment: env, registeredUser: other, tool: "github_get_authenticated_user", args: {} })).toMatchObject({ ok: false, error: { code: "authentication_required" } });
  });

  it("rejects arguments that do not match the tool's schema, before any provider call", async () => {
    const env = await newEnv();
    const { user } = await connectUser(env, "args", 3600);
    const before = sandbox.requests.length;
    const r = await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_create_issue", args: { owner: "octocat" } });
    expect(r).toMatchObject({ ok: false, error: { code: "invalid_arguments", issues: expect.arrayContaining([expect.objectContaining({ path: "repo" })]) } });
    expect(sandbox.requests.length).toBe(before);
  });

  it("a connection in one environment never serves a user of another (T2)", async () => {
    const envA = await newEnv();
    const envB = await newEnv();
    const a = await connectUser(envA, "same-origin-id", 3600);
    const { user: b } = await ensureRegisteredUser(handle.db, { environment: envB, originUserId: "same-origin-id", actor });
    expect(await executeConnectorTool(rt, { environment: envB, registeredUser: b, tool: "github_get_authenticated_user", args: {} })).toMatchObject({ ok: false, error: { code: "authentication_required" } });
    expect(await executeConnectorTool(rt, { environment: envA, registeredUser: a.user, tool: "github_get_authenticated_user", args: {} })).toMatchObject({ ok: true });
  });

  it("refreshes shortly before expiry: at most 2 minutes, at most a quarter of the token's lifetime", () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const c = (lifetimeS: number, leftS: number) => ({ updatedAt: new Date(t0), expiresAt: new Date(t0 + lifetimeS * 1000), now: t0 + (lifetimeS - leftS) * 1000 });
    const due = (x: ReturnType<typeof c>) => refreshDue(x, x.now);
    expect(due(c(3600, 119))).toBe(true);
    expect(due(c(3600, 121))).toBe(false);
    expect(due(c(60, 14))).toBe(true);
    expect(due(c(60, 16))).toBe(false);
    expect(refreshDue({ updatedAt: new Date(t0), expiresAt: null }, t0)).toBe(false);
  });

  it("refreshes an expired token before calling, storing the rotated refresh token", async () => {
    const env = await newEnv();
    const { user, connection, tokens } = await connectUser(env, "due", 0);
    const before = refreshes();
    const r = await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_list_issues", args: { owner: "octocat", repo: "hello-world" } });
    expect(r).toMatchObject({ ok: true });
    expect(refreshes()).toBe(before + 1);
    const [row] = await handle.db.select().from(connections).where(eq(connections.id, connection.id));
    const cred = unsealCredential(rt, env, row!);
    expect(cred.type === "oauth2" && cred.refresh_token).not.toBe(tokens.refresh_token);
    expect(cred.type === "oauth2" && cred.refresh_token).toBe(as.grants.at(-1)!.refreshToken);
    expect(row!.version).toBe(connection.version + 1);
    expect(row!.expiresAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it("50 concurrent calls with an expired token make exactly one refresh and all succeed (F6, one process)", async () => {
    const env = await newEnv();
    const { user, connection } = await connectUser(env, "herd", 0);
    const before = refreshes();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(refreshes()).toBe(before + 1);
    const [row] = await handle.db.select().from(connections).where(eq(connections.id, connection.id));
    const cred = unsealCredential(rt, env, row!);
    expect(cred.type === "oauth2" && cred.refresh_token).toBe(as.grants.at(-1)!.refreshToken);
  }, 30_000);

  it("on a provider 401 with a token we thought valid, refreshes once and retries", async () => {
    const env = await newEnv();
    const { user, tokens } = await connectUser(env, "surprise", 3600); // our clock says valid for an hour…
    rejected.add(tokens.access_token); // …but the provider no longer accepts it
    const before = refreshes();
    const r = await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} });
    expect(r).toMatchObject({ ok: true, data: { login: "octocat" } });
    expect(refreshes()).toBe(before + 1);
  }, 15_000);

  it("invalid_grant marks the connection reauth_required once, audited once, and leaves other connections alone (F7)", async () => {
    const env = await newEnv();
    const broken = await connectUser(env, "broken", 0);
    const healthy = await connectUser(env, "healthy", 3600);
    // Spend the refresh token elsewhere: with rotation, the stored one is now invalid.
    const spent = await fetch(`${as.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: broken.tokens.refresh_token, client_id: client.client_id, client_secret: client.client_secret }).toString(),
    });
    expect(spent.status).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => executeConnectorTool(rt, { environment: env, registeredUser: broken.user, tool: "github_get_authenticated_user", args: {} })),
    );
    for (const r of results) expect(r).toMatchObject({ ok: false, error: { code: "reauth_required", connector: "github" } });
    const [row] = await handle.db.select().from(connections).where(eq(connections.id, broken.connection.id));
    expect(row!.status).toBe("reauth_required");
    const marks = await handle.db.select().from(auditLog).where(and(eq(auditLog.action, "connection.reauth_required"), eq(auditLog.targetId, broken.connection.id)));
    expect(marks).toHaveLength(1);
    expect(JSON.stringify(marks)).not.toContain(broken.tokens.refresh_token);
    // Further calls do not hammer the token endpoint.
    const before = refreshes();
    expect(await executeConnectorTool(rt, { environment: env, registeredUser: broken.user, tool: "github_get_authenticated_user", args: {} })).toMatchObject({ ok: false, error: { code: "reauth_required" } });
    expect(refreshes()).toBe(before);
    expect(await executeConnectorTool(rt, { environment: env, registeredUser: healthy.user, tool: "github_get_authenticated_user", args: {} })).toMatchObject({ ok: true });
  }, 20_000);

  it("F3: when storing the refreshed tokens fails, the next call after the database recovers works without re-authentication", async () => {
    const env = await newEnv();
    const { user, connection } = await connectUser(env, "db-blip", 0);
    let failures = 100;
    // The database refuses transactions (the write of the new tokens) until `failures` reaches 0.
    const faultyDb = new Proxy(handle.db, {
      get(target, prop, receiver) {
        if (prop === "transaction" && failures > 0) {
          return async () => {
            failures--;
            throw new Error("connection terminated unexpectedly");
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const faulty = { db: faultyDb, keyring: rt.keyring };
    const before = refreshes();
    const first = await executeConnectorTool(faulty, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} });
    expect(first).toMatchObject({ ok: false, error: { code: "upstream_error" } });
    expect(refreshes()).toBe(before + 1); // the old refresh token is now spent at the AS

    failures = 0;
    const second = await executeConnectorTool(faulty, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} });
    expect(second).toMatchObject({ ok: true, data: { login: "octocat" } });
    expect(refreshes()).toBe(before + 1); // stored what it held; did not spend the dead token
    const [row] = await handle.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row!.status).toBe("active");
    const cred = unsealCredential(rt, env, row!);
    expect(cred.type === "oauth2" && cred.refresh_token).toBe(as.grants.at(-1)!.refreshToken);
  }, 20_000);

  it("T5: two environments with the same origin user id refresh concurrently without sharing a single-flight entry or a token", async () => {
    const envA = await newEnv();
    const envB = await newEnv();
    const a = await connectUser(envA, "twin", 0);
    const b = await connectUser(envB, "twin", 0);
    const before = refreshes();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        executeConnectorTool(rt, { environment: i % 2 ? envB : envA, registeredUser: i % 2 ? b.user : a.user, tool: "github_get_authenticated_user", args: {} }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(refreshes()).toBe(before + 2);
    expect(new Set(results.map((r) => (r.ok ? r.connectionId : "")))).toEqual(new Set([a.connection.id, b.connection.id]));
    const [ra] = await handle.db.select().from(connections).where(eq(connections.id, a.connection.id));
    const [rb] = await handle.db.select().from(connections).where(eq(connections.id, b.connection.id));
    const ca = unsealCredential(rt, envA, ra!);
    const cb = unsealCredential(rt, envB, rb!);
    expect(ca.type === "oauth2" && cb.type === "oauth2" && ca.access_token !== cb.access_token && ca.refresh_token !== cb.refresh_token).toBe(true);
  }, 20_000);

  it("deleting a connection revokes its refresh token at the provider (RFC 7009), then removes it, audited", async () => {
    const env = await newEnv();
    await updateConnectorConfig(rt, { environment: env, slug: "github", patch: { oauthRevokeUrl: `${as.issuer}/token/revocation` }, actor });
    const { connection, tokens } = await connectUser(env, "leaver", 3600);
    const introspect = async (token: string) =>
      (await (
        await fetch(`${as.issuer}/token/introspection`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token, client_id: client.client_id, client_secret: client.client_secret }).toString(),
        })
      ).json()) as { active: boolean };
    expect((await introspect(tokens.refresh_token)).active).toBe(true);
    const r = await deleteConnection(rt, { environment: env, id: connection.id, actor });
    expect(r.revokedAtProvider).toBe(true);
    expect((await introspect(tokens.refresh_token)).active).toBe(false);
    expect(await handle.db.select().from(connections).where(eq(connections.id, connection.id))).toEqual([]);
    const audit = await handle.db.select().from(auditLog).where(and(eq(auditLog.action, "connection.deleted"), eq(auditLog.targetId, connection.id)));
    expect(audit[0]?.metadata).toMatchObject({ revoked_at_provider: true, connector: "github" });
  });
});
