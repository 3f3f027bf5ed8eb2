import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { auditLog, connections, emailOutbox, magicLinkSessions, magicLinks, mcpServers, toolCalls, toolPacks } from "@/db/schema";
import { lastToolCallPerConnection } from "@/db/queries/tool-calls";
import { createTestDb, testKeyring } from "@/db/test-db";
import { startSmtpSink, type SmtpSink } from "@/e2e/helpers/smtp-sink";
import { saveOAuthConnection } from "@/lib/connections/service";
import { getOutboxEmail } from "@/lib/email/outbox";
import { AppError } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { connectUrlForEndUser, disconnectForEndUser, endUserView } from "@/lib/magic-links/end-user";
import { createMagicLink, getMagicLink, listMagicLinks, LINK_EXPIRED_MESSAGE, openMagicLink, resolveMagicSession, revokeMagicLink } from "@/lib/magic-links/service";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { ensureRegisteredUser } from "@/lib/registered-users/service";

const actor = { type: "api_key" as const, id: "key_test" };
const BASE = "https://latchkey.example.com";
let handle: DbHandle;
let rt: { db: DbHandle["db"]; keyring: ReturnType<typeof testKeyring>; env: { SMTP_URL: string | undefined; LATCHKEY_EMAIL_FROM: string } };
type Org = Awaited<ReturnType<typeof createOrganization>>;
let org: Org;
let other: Org;
const prod = (o: Org) => o.environments.find((e) => e.kind === "production")!;
const testEnv = (o: Org) => o.environments.find((e) => e.kind === "test")!;

async function newUser(o: Org, origin: string, email: string | null = `${origin}@example.com`) {
  return (await ensureRegisteredUser(handle.db, { environment: prod(o), originUserId: origin, email, actor })).user;
}
async function connect(o: Org, userId: string, connector: string, label: string) {
  return (await saveOAuthConnection(rt, { environment: prod(o), owner: { type: "registered_user", id: userId }, connector, tokens: { access_token: `at-${label}` }, accountLabel: label, actor })).connection;
}
const tokenOf = (url: string) => new URL(url).hash.slice("#token=".length);
async function expiredError(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("unauthorized");
  expect((err as AppError).message).toBe(LINK_EXPIRED_MESSAGE);
}

beforeAll(async () => {
  handle = await createTestDb();
  rt = { db: handle.db, keyring: testKeyring("k1"), env: { SMTP_URL: undefined, LATCHKEY_EMAIL_FROM: "Latchkey <no-reply@localhost>" } };
  const owner = await createUser(handle.db, { email: "owner@example.com", actor });
  org = await createOrganization(handle.db, { name: "Acme <Corp>", ownerUserId: owner, actor });
  other = await createOrganization(handle.db, { name: "Other", ownerUserId: owner, actor });
}, 120_000);
afterAll(async () => {
  await handle?.close();
});

describe("magic links", () => {
  it("create: the URL carries a lk_magic_ token in the fragment; only its hash is stored; audited without it", async () => {
    const u = await newUser(org, "u-create");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, baseUrl: BASE, actor });
    const token = tokenOf(r.url);
    expect(r.url.startsWith(`${BASE}/m#token=lk_magic_`)).toBe(true);
    expect(r.link).toMatchObject({ object: "magic_link", status: "active", registered_user_id: u.id, connectors: null, pending_connectors: [] });
    expect(r.link.id).toMatch(/^ml_[0-9a-z]{22}$/);
    // Default 7 days.
    expect(Math.abs(new Date(r.link.expires_at).getTime() - Date.now() - 7 * 24 * 3600 * 1000)).toBeLessThan(5000);
    expect(r.email).toBeNull();
    const [row] = await handle.db.select().from(magicLinks).where(eq(magicLinks.id, r.link.id));
    expect(JSON.stringify(row)).not.toContain(token);
    const audit = await handle.db.select().from(auditLog).where(eq(auditLog.targetId, r.link.id));
    expect(audit.map((a) => a.action)).toEqual(["magic_link.created"]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it("create validates: unknown connectors (with their index), a user of another environment, send_email without an address", async () => {
    const u = await newUser(org, "u-validate", null);
    const bad = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, connectors: ["github", "nope"], baseUrl: BASE, actor }).catch((e: AppError) => e);
    expect(bad).toMatchObject({ code: "validation_error", issues: [{ path: "connectors.1" }] });
    const noEmail = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, sendEmail: true, baseUrl: BASE, actor }).catch((e: AppError) => e);
    expect(noEmail).toMatchObject({ code: "validation_error", issues: [{ path: "send_email" }] });
    const cross = await createMagicLink(rt, { environment: testEnv(org), registeredUserId: u.id, baseUrl: BASE, actor }).catch((e: AppError) => e);
    expect(cross).toMatchObject({ code: "not_found" });
  });

  it("open → session; the session resolves until the link is revoked, then at once never again (K1: tokens of 256 bits, stored hashed)", async () => {
    const u = await newUser(org, "u-open");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, baseUrl: BASE, actor });
    const s = await openMagicLink(handle.db, { token: tokenOf(r.url) });
    expect(s.sessionToken).toMatch(/^lk_mls_[0-9A-Za-z]{43}$/);
    expect(s.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(30 * 60 * 1000);
    const resolved = await resolveMagicSession(handle.db, s.sessionToken);
    expect(resolved?.user.id).toBe(u.id);
    expect(resolved?.organizationName).toBe("Acme <Corp>");
    const [sessionRow] = await handle.db.select().from(magicLinkSessions).where(eq(magicLinkSessions.magicLinkId, r.link.id));
    expect(JSON.stringify(sessionRow)).not.toContain(s.sessionToken);
    // The link is reusable while active: a second browser opens its own session.
    const s2 = await openMagicLink(handle.db, { token: tokenOf(r.url) });
    expect(s2.sessionToken).not.toBe(s.sessionToken);
    expect((await getMagicLink(handle.db, prod(org).id, r.link.id)).last_used_at).not.toBeNull();

    const revoked = await revokeMagicLink(handle.db, { environment: prod(org), id: r.link.id, actor });
    expect(revoked.status).toBe("revoked");
    expect(await resolveMagicSession(handle.db, s.sessionToken)).toBeNull();
    expect(await resolveMagicSession(handle.db, s2.sessionToken)).toBeNull();
    await expiredError(openMagicLink(handle.db, { token: tokenOf(r.url) }));
    // Idempotent, one audit row.
    await revokeMagicLink(handle.db, { environment: prod(org), id: r.link.id, actor });
    const audit = await handle.db.select().from(auditLog).where(eq(auditLog.targetId, r.link.id));
    expect(audit.map((a) => a.action)).toEqual(["magic_link.created", "magic_link.opened", "magic_link.opened", "magic_link.revoked"]);
    expect(audit.find((a) => a.action === "magic_link.opened")).toMatchObject({ actorType: "end_user", actorId: u.id });
  });

  it("K2: unknown, malformed, expired, revoked and completed tokens get one identical answer", async () => {
    const u = await newUser(org, "u-k2");
    const expired = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, expiresInSeconds: 60, baseUrl: BASE, actor });
    await handle.db.update(magicLinks).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(magicLinks.id, expired.link.id));
    expect((await getMagicLink(handle.db, prod(org).id, expired.link.id)).status).toBe("expired");
    await expiredError(openMagicLink(handle.db, { token: tokenOf(expired.url) }));
    await expiredError(openMagicLink(handle.db, { token: `lk_magic_${"A".repeat(43)}` }));
    await expiredError(openMagicLink(handle.db, { token: "not a token" }));
    await expiredError(openMagicLink(handle.db, { token: undefined }));
    await expiredError(openMagicLink(handle.db, { token: { $ne: null } }));
  });

  it("completed once every requested connector is actively connected: it opens nothing new, an open page keeps working", async () => {
    const u = await newUser(org, "u-complete");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, connectors: ["github", "slack"], baseUrl: BASE, actor });
    const s = await openMagicLink(handle.db, { token: tokenOf(r.url) });
    await connect(org, u.id, "github", "octocat");
    expect(await getMagicLink(handle.db, prod(org).id, r.link.id)).toMatchObject({ status: "active", pending_connectors: ["slack"] });
    const slack = await connect(org, u.id, "slack", "U123");
    expect(await getMagicLink(handle.db, prod(org).id, r.link.id)).toMatchObject({ status: "completed", pending_connectors: [] });
    await expiredError(openMagicLink(handle.db, { token: tokenOf(r.url) }));
    const session = await resolveMagicSession(handle.db, s.sessionToken);
    expect(session).not.toBeNull();
    expect((await endUserView(handle.db, session!)).completed).toBe(true);
    // A requested connection that needs re-authentication is not "connected": usable again.
    await handle.db.update(connections).set({ status: "reauth_required" }).where(eq(connections.id, slack.id));
    expect((await getMagicLink(handle.db, prod(org).id, r.link.id)).status).toBe("active");
  });

  it("list: newest first, by user, paginated, environment-scoped, never a URL", async () => {
    const u = await newUser(org, "u-list");
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, baseUrl: BASE, actor }));
    const p1 = await listMagicLinks(handle.db, { environmentId: prod(org).id, limit: 2, registeredUserId: u.id });
    expect(p1.data.map((l) => l.id)).toEqual([made[2]!.link.id, made[1]!.link.id]);
    expect(p1.has_more).toBe(true);
    const p2 = await listMagicLinks(handle.db, { environmentId: prod(org).id, limit: 2, registeredUserId: u.id, cursor: p1.next_cursor! });
    expect(p2.data.map((l) => l.id)).toEqual([made[0]!.link.id]);
    expect(JSON.stringify([p1, p2])).not.toMatch(/lk_magic_|url/);
    expect((await listMagicLinks(handle.db, { environmentId: prod(other).id, limit: 100 })).data).toEqual([]);
    await expect(getMagicLink(handle.db, prod(other).id, made[0]!.link.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("the end-user view: own connections only, with the pack that last used each and when (one probe per connection)", async () => {
    const u = await newUser(org, "u-view");
    const stranger = await newUser(org, "u-stranger");
    const gh = await connect(org, u.id, "github", "octocat");
    const sl = await connect(org, u.id, "slack", "U999");
    await connect(org, stranger.id, "github", "someone-else");
    const packA = createId("toolPack");
    const packB = createId("toolPack");
    await handle.db.insert(toolPacks).values([
      { id: packA, environmentId: prod(org).id, name: "Support agent", slug: `a-${packA}` },
      { id: packB, environmentId: prod(org).id, name: "Triage bot", slug: `b-${packB}` },
    ]);
    const call = (pack: string, conn: string, at: Date) => ({ id: createId("toolCall"), environmentId: prod(org).id, principalType: "api_key", principalId: "key_x", toolPackId: pack, registeredUserId: u.id, tool: "github_get_user", connector: "github", connectionId: conn, status: "ok" as const, latencyMs: 3, createdAt: at });
    await handle.db.insert(toolCalls).values(call(packA, gh.id, new Date(Date.now() - 60_000)));
    await new Promise((r) => setTimeout(r, 5));
    const latest = new Date();
    await handle.db.insert(toolCalls).values(call(packB, gh.id, latest));
    // Another environment's row with the same connection id never counts.
    await handle.db.insert(toolCalls).values({ ...call(packA, gh.id, new Date()), environmentId: prod(other).id, toolPackId: null });

    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, baseUrl: BASE, actor });
    const s = (await resolveMagicSession(handle.db, (await openMagicLink(handle.db, { token: tokenOf(r.url) })).sessionToken))!;
    const v = await endUserView(handle.db, s);
    expect(v.brand).toBe("Acme <Corp>");
    expect(v.canConnectAny).toBe(true);
    expect(v.connections.map((c) => [c.connectorName, c.accountLabel])).toEqual([
      ["GitHub", "octocat"],
      ["Slack", "U999"],
    ]);
    expect(v.connections[0]!.lastUse).toEqual({ toolPackName: "Triage bot", at: latest });
    expect(v.connections[1]!.lastUse).toBeNull();
    const direct = await lastToolCallPerConnection(handle.db, prod(org).id, [gh.id, sl.id]);
    expect(direct.get(gh.id)?.toolPackId).toBe(packB);
    expect(direct.has(sl.id)).toBe(false);
  });

  it("the end-user view names a registered MCP server by its name, requested or connected, never by its id", async () => {
    const u = await newUser(org, "u-server");
    const srv = createId("mcpServer");
    const other = createId("mcpServer");
    await handle.db.insert(mcpServers).values([
      { id: srv, environmentId: prod(org).id, name: "Acme Docs", slug: "acme-docs", url: "https://docs.example.com/mcp", authMode: "oauth_authorization_code", credentialMode: "per_user" },
      { id: other, environmentId: prod(org).id, name: "Acme Wiki", slug: "acme-wiki", url: "https://wiki.example.com/mcp", authMode: "oauth_authorization_code", credentialMode: "per_user" },
    ]);
    await connect(org, u.id, other, "me@wiki");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, connectors: [srv, "github"], baseUrl: BASE, actor });
    const s = (await resolveMagicSession(handle.db, (await openMagicLink(handle.db, { token: tokenOf(r.url) })).sessionToken))!;
    const v = await endUserView(handle.db, s);
    expect(v.requested.map((q) => [q.connector, q.connectorName, q.state])).toEqual([
      [srv, "Acme Docs", "not_connected"],
      ["github", "GitHub", "not_connected"],
    ]);
    expect(v.connections.map((c) => c.connectorName)).toEqual(["Acme Wiki"]);
    const gone = await disconnectForEndUser(rt, s, v.connections[0]!.id, {});
    expect(gone.connectorName).toBe("Acme Wiki");
  });

  it("disconnect as the end user: own connection only (else not found), deleted, audited with the user as actor via the link", async () => {
    const u = await newUser(org, "u-disc");
    const stranger = await newUser(org, "u-disc-stranger");
    const mine = await connect(org, u.id, "notion", "me@notion");
    const theirs = await connect(org, stranger.id, "notion", "them@notion");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, baseUrl: BASE, actor });
    const s = (await resolveMagicSession(handle.db, (await openMagicLink(handle.db, { token: tokenOf(r.url) })).sessionToken))!;
    await expect(disconnectForEndUser(rt, s, theirs.id, {})).rejects.toMatchObject({ code: "not_found" });
    await expect(disconnectForEndUser(rt, s, createId("connection"), {})).rejects.toMatchObject({ code: "not_found" });
    expect(await handle.db.select().from(connections).where(eq(connections.id, theirs.id))).toHaveLength(1);
    await disconnectForEndUser(rt, s, mine.id, { requestId: "req_test_disconnect" });
    expect(await handle.db.select().from(connections).where(eq(connections.id, mine.id))).toHaveLength(0);
    const [audit] = await handle.db.select().from(auditLog).where(and(eq(auditLog.targetId, mine.id), eq(auditLog.action, "connection.deleted")));
    expect(audit).toMatchObject({ actorType: "end_user", actorId: u.id, requestId: "req_test_disconnect" });
    expect(audit!.metadata).toMatchObject({ via: r.link.id, connector: "notion" });
  });

  it("connect as the end user mints a Link token for that user and connector, coming back to /m; a link for specific connectors allows only those (and reconnects)", async () => {
    const u = await newUser(org, "u-connect");
    await connect(org, u.id, "notion", "me");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, connectors: ["github"], baseUrl: BASE, actor });
    const s = (await resolveMagicSession(handle.db, (await openMagicLink(handle.db, { token: tokenOf(r.url) })).sessionToken))!;
    const { url } = await connectUrlForEndUser(handle.db, s, { connector: "github", baseUrl: BASE });
    expect(url).toMatch(/^https:\/\/latchkey\.example\.com\/link#link_token=lk_link_/);
    expect((await connectUrlForEndUser(handle.db, s, { connector: "notion", baseUrl: BASE })).url).toContain("/link#link_token=");
    await expect(connectUrlForEndUser(handle.db, s, { connector: "slack", baseUrl: BASE })).rejects.toMatchObject({ code: "forbidden" });
    await expect(connectUrlForEndUser(handle.db, s, { connector: null, baseUrl: BASE })).rejects.toMatchObject({ code: "forbidden" });
    const audit = await handle.db.select().from(auditLog).where(and(eq(auditLog.action, "link_token.created"), eq(auditLog.actorId, u.id)));
    expect(audit).toHaveLength(2);
    expect(audit[0]!.metadata).toMatchObject({ registered_user_id: u.id, connectors: ["github"] });
  });
});

describe("magic-link email", () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.close();
  });

  it("without SMTP_URL: kept in the outbox, body encrypted (no bearer link in plaintext in the database), readable from the dashboard's side", async () => {
    const u = await newUser(org, "u-outbox", "outbox@example.com");
    const r = await createMagicLink(rt, { environment: prod(org), registeredUserId: u.id, connectors: ["github"], sendEmail: true, baseUrl: BASE, actor });
    expect(r.email).toMatchObject({ status: "outbox" });
    const [row] = await handle.db.select().from(emailOutbox).where(eq(emailOutbox.id, r.email!.id));
    expect(row).toMatchObject({ toAddress: "outbox@example.com", status: "outbox", magicLinkId: r.link.id, subject: "Acme <Corp>: connect your GitHub account" });
    expect(row!.bodySealed).toMatch(/^v1:k1:/);
    expect(JSON.stringify(row)).not.toContain(tokenOf(r.url));
    const read = await getOutboxEmail(rt, prod(org), r.email!.id);
    expect(read?.body?.text).toContain(r.url);
    expect(read?.body?.html).toContain("Acme &lt;Corp&gt;");
    expect(await getOutboxEmail(rt, prod(other), r.email!.id)).toBeNull();
  });

  it("with SMTP_URL: delivered through a real SMTP server with the link; only metadata is kept", async () => {
    const u = await newUser(org, "u-smtp", "smtp-user@example.com");
    const smtpRt = { ...rt, env: { SMTP_URL: sink.url, LATCHKEY_EMAIL_FROM: "Acme Support <support@acme.test>" } };
    const before = sink.received.length;
    const r = await createMagicLink(smtpRt, { environment: prod(org), registeredUserId: u.id, sendEmail: true, baseUrl: BASE, actor });
    expect(r.email).toMatchObject({ status: "sent" });
    const mail = await sink.next(before);
    expect(mail.to).toEqual(["smtp-user@example.com"]);
    expect(mail.from).toBe("support@acme.test");
    expect(mail.text).toContain(r.url);
    expect(mail.html).toContain(r.url);
    expect(mail.subject).toContain("manage your connected accounts");
    const [row] = await handle.db.select().from(emailOutbox).where(eq(emailOutbox.id, r.email!.id));
    expect(row).toMatchObject({ status: "sent", bodySealed: null, error: null });
  });

  it("a refused SMTP login: the link still exists, the delivery says failed, and the error never holds the password", async () => {
    const u = await newUser(org, "u-smtp-fail", "fail@example.com");
    const wrong = sink.url.replace(/:[^:@/]+@/, ":Wr0ng-Pa55word-Canary@");
    const r = await createMagicLink({ ...rt, env: { SMTP_URL: wrong, LATCHKEY_EMAIL_FROM: "x@y.test" } }, { environment: prod(org), registeredUserId: u.id, sendEmail: true, baseUrl: BASE, actor });
    expect(r.email?.status).toBe("failed");
    expect(r.email?.error).toMatch(/EAUTH/);
    expect(r.email?.error).not.toContain("Wr0ng-Pa55word-Canary");
    expect(r.link.status).toBe("active");
    const [row] = await handle.db.select().from(emailOutbox).where(eq(emailOutbox.id, r.email!.id));
    expect(row).toMatchObject({ status: "failed", bodySealed: null });
  });
});
