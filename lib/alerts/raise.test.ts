import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { createTestDb, testKeyring } from "@/db/test-db";
import type { DbHandle } from "@/db/client";
import { alerts, auditLog, webhookEvents } from "@/db/schema";
import { raiseAlert, flushAlerts, upsertAlert, raiseToolDefinitionChanged, setAlertDatabase } from "@/lib/alerts/raise";
import { AUTH_FAILURE_THRESHOLD, installAlertHooks, noteAuthFailure } from "@/lib/alerts/security-events";
import { withAlertContext } from "@/lib/alerts/context";
import { alertStats, changeAlertStatus, listAlerts } from "@/lib/alerts/service";
import { unseal } from "@/lib/crypto/vault";
import { checkOutboundUrl } from "@/lib/net/outbound-guard";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { createFormConnection } from "@/lib/connections/service";
import { markReauthRequired } from "@/lib/connections/refresh";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import { parseAllowlist } from "@/lib/webhooks/deliver";
import { createWebhookEndpoint } from "@/lib/webhooks/service";

const actor = { type: "system" as const, id: "test" };
let handle: DbHandle;
let rt: { db: DbHandle["db"]; keyring: ReturnType<typeof testKeyring> };

async function newEnv() {
  const uid = await createUser(handle.db, { email: `o${Math.random()}@x.test`, actor });
  const org = await createOrganization(handle.db, { name: "Org", ownerUserId: uid, actor });
  return { id: org.environments[1]!.id, organizationId: org.id, other: org.environments[0]!.id };
}
const rowsOf = (envId: string) => handle.db.select().from(alerts).where(eq(alerts.environmentId, envId));

beforeAll(async () => {
  handle = await createTestDb();
  rt = { db: handle.db, keyring: testKeyring() };
  setAlertDatabase(() => handle.db);
}, 120_000);
afterAll(async () => {
  setAlertDatabase(null);
  await handle.close();
});

describe("raiseAlert", () => {
  it("folds repeats of one event within the window into one row whose count is the sum, and never throws", async () => {
    const env = await newEnv();
    for (let i = 0; i < 7; i++) raiseAlert(rt, { environmentId: env.id, kind: "security_rule_hit", ruleId: "secret.openai", tool: "github_create_issue", fieldPath: "body", excerpt: "sk-…[REDACTED]" });
    await flushAlerts();
    raiseAlert(rt, { environmentId: env.id, kind: "security_rule_hit", ruleId: "secret.openai", tool: "github_create_issue", fieldPath: "body", excerpt: "sk-…[REDACTED]" });
    await flushAlerts();
    const rows = await rowsOf(env.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.count).toBe(8);
    expect(rows[0]!.id).toMatch(/^alrt_[0-9a-z]{22}$/);
    expect(rows[0]!.severity).toBe("high");
    // Another rule is another alert; another environment sees none of these.
    raiseAlert(rt, { environmentId: env.id, kind: "security_rule_hit", ruleId: "secret.aws", tool: "github_create_issue" });
    await flushAlerts();
    expect(await rowsOf(env.id)).toHaveLength(2);
    expect(await rowsOf(env.other)).toHaveLength(0);
    // Garbage in: logged, not thrown, not written.
    expect(() => raiseAlert(rt, { environmentId: "not-an-env", kind: "ssrf_blocked" })).not.toThrow();
    await flushAlerts();
  }, 30_000);

  it("is one row under concurrent upserts (two replicas raising at once)", async () => {
    const env = await newEnv();
    const windowStart = new Date(Math.floor(Date.now() / 600_000) * 600_000);
    const p = (n: number) => ({ input: { environmentId: env.id, kind: "auth_failures" as const, dedupKey: "auth_failures|x" }, windowStart, count: n, firstSeen: new Date(), lastSeen: new Date() });
    const results = await Promise.all([upsertAlert(rt.db, p(1)), upsertAlert(rt.db, p(2)), upsertAlert(rt.db, p(3))]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const rows = await rowsOf(env.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.count).toBe(6);
  }, 30_000);

  it("emits alert.created once per alert, not per repeat, with the masked excerpt only", async () => {
    const env = await newEnv();
    await createWebhookEndpoint(rt, { environment: env, policy: parseAllowlist("hooks.test"), url: "https://hooks.test/a", events: ["alert.created"], actor });
    const secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    for (let i = 0; i < 3; i++) raiseAlert(rt, { environmentId: env.id, kind: "security_rule_hit", ruleId: "r1", excerpt: `token ${secret}` });
    await flushAlerts();
    raiseAlert(rt, { environmentId: env.id, kind: "security_rule_hit", ruleId: "r1", excerpt: `token ${secret}` });
    await flushAlerts();
    const events = await handle.db.select().from(webhookEvents).where(and(eq(webhookEvents.environmentId, env.id), eq(webhookEvents.type, "alert.created")));
    expect(events).toHaveLength(1);
    const payload = JSON.parse(events[0]!.payload);
    expect(payload.data).toMatchObject({ object: "alert", kind: "security_rule_hit", rule_id: "r1", count: 3, status: "open" });
    expect(events[0]!.payload).not.toContain(secret);
    expect((await rowsOf(env.id))[0]!.excerpt).not.toContain(secret);
  }, 30_000);

  it("auth failures: below the threshold nothing, then one alert whose count keeps growing", async () => {
    const env = await newEnv();
    for (let i = 0; i < AUTH_FAILURE_THRESHOLD - 1; i++) noteAuthFailure(rt, { environmentId: env.id, source: "api_key:key_a", ip: "10.0.0.9" });
    await flushAlerts();
    expect(await rowsOf(env.id)).toHaveLength(0);
    for (let i = 0; i < 3; i++) noteAuthFailure(rt, { environmentId: env.id, source: "api_key:key_a", ip: "10.0.0.9" });
    await flushAlerts();
    const rows = await rowsOf(env.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "auth_failures", count: AUTH_FAILURE_THRESHOLD + 2 });
    expect(rows[0]!.details).toMatchObject({ source: "api_key:key_a", ip: "10.0.0.9" });
  }, 30_000);

  it("SSRF blocks raise in the tenant of the request that made them, and nowhere without one", async () => {
    installAlertHooks();
    const env = await newEnv();
    expect(() => withAlertContext({ environmentId: env.id }, () => checkOutboundUrl("https://169.254.169.254/latest/meta-data", []))).toThrow(/private/);
    expect(() => checkOutboundUrl("https://10.1.2.3/x", [])).toThrow(/private/);
    await flushAlerts();
    const rows = await rowsOf(env.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "ssrf_blocked", severity: "high" });
    expect(rows[0]!.details).toMatchObject({ host: "169.254.169.254" });
  }, 30_000);

  it("decrypt failures in the vault raise a critical alert for the environment named in the AAD", async () => {
    const env = await newEnv();
    expect(() => unseal(rt, "v1:nokey:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", { org: env.organizationId, env: env.id, table: "connections", row: "conn_x", field: "credential" })).toThrow();
    await flushAlerts();
    const rows = await rowsOf(env.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "decrypt_failure", severity: "critical" });
  }, 30_000);

  it("tool_definition_changed, listing filters, status changes (audited) and stats", async () => {
    const env = await newEnv();
    raiseToolDefinitionChanged(rt, { environmentId: env.id, tool: "srv_x__search", toolPackId: "tp_0000000000000000000000", details: { change: "description" } });
    raiseAlert(rt, { environmentId: env.id, kind: "refresh_failed", details: { reason: "invalid_grant" } });
    await flushAlerts();
    const all = await listAlerts(rt.db, { environmentId: env.id, limit: 10 });
    expect(all.map((a) => a.kind).sort()).toEqual(["refresh_failed", "tool_definition_changed"]);
    expect(await listAlerts(rt.db, { environmentId: env.id, limit: 10, kind: "refresh_failed" })).toHaveLength(1);
    expect(await listAlerts(rt.db, { environmentId: env.id, limit: 10, toolPackId: "tp_0000000000000000000000" })).toHaveLength(1);
    const tdc = all.find((a) => a.kind === "tool_definition_changed")!;
    const acked = await changeAlertStatus(rt.db, { environment: env, id: tdc.id, to: "acknowledged", actor });
    expect(acked.status).toBe("acknowledged");
    const resolved = await changeAlertStatus(rt.db, { environment: env, id: tdc.id, to: "resolved", actor });
    expect(resolved.status).toBe("resolved");
    // Another environment cannot touch it.
    await expect(changeAlertStatus(rt.db, { environment: { id: env.other, organizationId: env.organizationId }, id: tdc.id, to: "resolved", actor })).rejects.toMatchObject({ code: "not_found" });
    const audits = await handle.db.select().from(auditLog).where(eq(auditLog.targetId, tdc.id));
    expect(audits.map((a) => a.action)).toEqual(["alert.acknowledged", "alert.resolved"]);
    // The same event again in its window opens it again.
    raiseToolDefinitionChanged(rt, { environmentId: env.id, tool: "srv_x__search", toolPackId: "tp_0000000000000000000000" });
    await flushAlerts();
    const again = (await listAlerts(rt.db, { environmentId: env.id, limit: 10, kind: "tool_definition_changed" }))[0]!;
    expect(again).toMatchObject({ id: tdc.id, status: "open", count: 2 });
    const stats = await alertStats(rt.db, env.id, "hour");
    expect(stats.data.reduce((n, b) => n + b.events, 0)).toBe(3);
    expect(stats.data[0]!.start).toMatch(/T\d\d:00:00\.000Z$/);
  }, 30_000);

  it("a connection marked reauth_required (refresh refused) raises refresh_failed once per transition, for its user", async () => {
    const env = await newEnv();
    const { user } = await ensureRegisteredUser(handle.db, { environment: env, originUserId: "refresh", actor });
    const { connection } = await createFormConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector: "stripe", values: { secret_key: "sk_test_refreshalert12345" }, actor });
    await markReauthRequired(rt, env, connection, "invalid_grant");
    await markReauthRequired(rt, env, connection, "invalid_grant");
    await flushAlerts();
    const rows = await rowsOf(env.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "refresh_failed", registeredUserId: user.id, count: 1, severity: "low" });
    expect(rows[0]!.details).toMatchObject({ connection_id: connection.id, connector: "stripe", reason: "invalid_grant" });
    expect(JSON.stringify(rows[0])).not.toContain("sk_test_refreshalert12345");
  }, 30_000);
});
