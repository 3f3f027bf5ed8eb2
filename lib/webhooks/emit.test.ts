import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { createTestDb, testKeyring } from "@/db/test-db";
import type { DbHandle } from "@/db/client";
import { connections, webhookDeliveries, webhookEvents } from "@/db/schema";
import { startAuthServer, type LocalAuthServer } from "@/e2e/helpers/oidc";
import { updateConnectorConfig } from "@/lib/connectors/configs";
import { executeConnectorTool } from "@/lib/connectors/execute";
import { createFormConnection, saveOAuthConnection } from "@/lib/connections/service";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { deleteRegisteredUser } from "@/lib/registered-users/delete";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { parseAllowlist } from "@/lib/webhooks/deliver";
import { createWebhookEndpoint } from "@/lib/webhooks/service";

// Where the connection events come from: every transition to reauth_required (refresh refused,
// stored api key refused, refreshed token refused) emits exactly one event, and a user's
// deletion emits one connection.deleted per connection it removes.

const actor = { type: "system" as const, id: "test" };
let handle: DbHandle;
let rt: { db: DbHandle["db"]; keyring: ReturnType<typeof testKeyring> };
let as: LocalAuthServer;
let client: Awaited<ReturnType<LocalAuthServer["registerClient"]>>;
let github: Awaited<ReturnType<typeof serveSandbox>>;
let stripe: Awaited<ReturnType<typeof serveSandbox>>;
let githubRefusesAll = false;
const refusedStripeKeys = new Set<string>();

async function newEnv() {
  const uid = await createUser(handle.db, { email: `o${Math.random()}@x.test`, actor });
  const org = await createOrganization(handle.db, { name: "Org", ownerUserId: uid, actor });
  const env = { id: org.environments[1]!.id, organizationId: org.id };
  await updateConnectorConfig(rt, {
    environment: env,
    slug: "github",
    patch: { baseUrl: github.url, oauthTokenUrl: `${as.issuer}/token`, oauthClientId: client.client_id, oauthClientSecret: client.client_secret },
    actor,
  });
  await updateConnectorConfig(rt, { environment: env, slug: "stripe", patch: { baseUrl: stripe.url }, actor });
  // Every event of this environment, to one endpoint (never sent here: only the outbox is read).
  await createWebhookEndpoint(rt, { environment: env, policy: parseAllowlist("hooks.test"), url: "https://hooks.test/all", events: ["*"], actor });
  return env;
}

async function eventsOf(envId: string, type: string) {
  const rows = await handle.db
    .select({ payload: webhookEvents.payload })
    .from(webhookEvents)
    .innerJoin(webhookDeliveries, eq(webhookDeliveries.eventId, webhookEvents.id))
    .where(and(eq(webhookEvents.environmentId, envId), eq(webhookEvents.type, type)));
  return rows.map((r) => JSON.parse(r.payload) as { type: string; data: Record<string, unknown> });
}

beforeAll(async () => {
  handle = await createTestDb();
  rt = { db: handle.db, keyring: testKeyring("k1") };
  as = await startAuthServer({ accessTokenTtl: 600 });
  client = await as.registerClient();
  github = await serveSandbox(createGithubSandbox({ authorize: async (t) => !githubRefusesAll && (await as.verify(t)) }));
  stripe = await serveSandbox(createStripeSandbox({ authorize: (k) => !refusedStripeKeys.has(k) }));
}, 60_000);

afterAll(async () => {
  await github?.close();
  await stripe?.close();
  await as?.close();
  await handle?.close();
});

describe("connection events at their source", () => {
  it("invalid_grant: ten concurrent calls, one transition, one connection.reauth_required", async () => {
    const env = await newEnv();
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "grant", actor });
    const tokens = await as.authorize(client);
    const { connection } = await saveOAuthConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector: "github", tokens: { ...tokens, expires_in: 0 }, actor });
    // Spend the refresh token elsewhere: with rotation, the stored one is now refused.
    const spent = await fetch(`${as.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: client.client_id, client_secret: client.client_secret }).toString(),
    });
    expect(spent.status).toBe(200);
    await Promise.all(Array.from({ length: 10 }, () => executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} })));
    const events = await eventsOf(env.id, "connection.reauth_required");
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ id: connection.id, status: "reauth_required", reason: "invalid_grant", connector: "github" });
    expect(JSON.stringify(events)).not.toContain(tokens.refresh_token);
    expect(await eventsOf(env.id, "connection.created")).toEqual([expect.objectContaining({ data: expect.objectContaining({ id: connection.id, reconnected: false }) })]);
  }, 30_000);

  it("a stored api key the provider refuses marks the connection reauth_required, once", async () => {
    const env = await newEnv();
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "stripe", actor });
    const key = "sk_test_EmitTestKey1234567890";
    const { connection } = await createFormConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector: "stripe", values: { secret_key: key }, actor });
    refusedStripeKeys.add(key);
    for (let i = 0; i < 2; i++) {
      expect(await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "stripe_get_balance", args: {} })).toMatchObject({ ok: false, error: { code: "reauth_required" } });
    }
    const [row] = await handle.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row!.status).toBe("reauth_required");
    const events = await eventsOf(env.id, "connection.reauth_required");
    expect(events.map((e) => e.data.reason)).toEqual(["credentials_rejected"]);
    expect(JSON.stringify(events)).not.toContain(key.slice(-8));
  });

  it("a freshly refreshed token the provider still refuses marks the connection reauth_required", async () => {
    const env = await newEnv();
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "revoked-access", actor });
    const tokens = await as.authorize(client);
    const { connection } = await saveOAuthConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector: "github", tokens: { ...tokens, expires_in: 3600 }, actor });
    githubRefusesAll = true;
    try {
      expect(await executeConnectorTool(rt, { environment: env, registeredUser: user, tool: "github_get_authenticated_user", args: {} })).toMatchObject({ ok: false, error: { code: "reauth_required" } });
    } finally {
      githubRefusesAll = false;
    }
    const events = await eventsOf(env.id, "connection.reauth_required");
    expect(events.map((e) => [e.data.id, e.data.reason])).toEqual([[connection.id, "token_rejected_after_refresh"]]);
  }, 30_000);

  it("deleting a registered user emits connection.deleted for each of their connections, with the cause", async () => {
    const env = await newEnv();
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "leaving", actor });
    const a = await createFormConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector: "stripe", values: { secret_key: "sk_test_LeavingUser123456789" }, actor });
    const tokens = await as.authorize(client);
    const b = await saveOAuthConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector: "github", tokens: { ...tokens, expires_in: 3600 }, actor });
    expect(await deleteRegisteredUser(rt, { environment: env, id: user.id, actor })).toBe(2);
    const events = await eventsOf(env.id, "connection.deleted");
    expect(events.map((e) => [e.data.id, e.data.cause]).sort()).toEqual([
      [a.connection.id, "registered_user_deleted"],
      [b.connection.id, "registered_user_deleted"],
    ].sort());
    expect((await eventsOf(env.id, "registered_user.created")).map((e) => e.data.id)).toEqual([user.id]);
  }, 30_000);
});
