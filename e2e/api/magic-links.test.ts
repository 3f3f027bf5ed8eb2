// Magic links against the production build (issue 5, items 5 and 6): the REST API, email
// through a real SMTP server on 127.0.0.1 (and the outbox without one), the end-user page and
// its session, disconnect (audited), revocation, expiry, completion. Security checks named in
// titles: K1 (256-bit tokens stored hashed), K2 (one answer for expired/revoked/unknown, rate
// limit), K4 (cookie attributes, cross-site refusal), C6 (no token in the database), C7 (no
// secret in API output), C8 (none in logs or audit rows), A1 (audit rows), T1 (other
// environments get not_found). Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, emailOutbox, magicLinkSessions, magicLinks } from "@/db/schema";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { withDb } from "../helpers/db";
import { client, unknownId, withoutRequestId, type ApiResponse } from "../helpers/http";
import { callServerAction, serverActionId } from "../helpers/server-action";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";

const db = TEST_DB;
let sink: SmtpSink;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let smtpServer: TestServer; // SMTP_URL → the sink
let devServer: TestServer; // no SMTP_URL → outbox
let smtpKey: CreatedKey;
let devKey: CreatedKey;
let liveKey: CreatedKey; // production environment of devServer: T1/T2
let api: ReturnType<typeof client>;
let dev: ReturnType<typeof client>;

const DISCONNECT = () => serverActionId("app/m/actions.ts", "disconnectAction");
const CONNECT = () => serverActionId("app/m/actions.ts", "connectAction");

// Every API response, to check that no secret ever leaves (C7).
const responses: string[] = [];
const record = async <T>(p: Promise<ApiResponse<T>>) => {
  const r = await p;
  responses.push(r.text);
  return r;
};
// Every token and session id minted here, to look for them where they must never be (C6, C7, C8).
const secrets: string[] = [];
const tokenOf = (url: string) => {
  const t = new URL(url).hash.replace(/^#token=/, "");
  secrets.push(t);
  return t;
};

/** POST /m/session as the page does; returns the response and the cookie pair to send back. */
async function open(baseUrl: string, token: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}/m/session`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ token }), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  const setCookie = res.headers.get("set-cookie") ?? "";
  const pair = setCookie.split(";")[0] ?? "";
  if (pair.includes("=lk_mls_")) secrets.push(pair.slice(pair.indexOf("=") + 1));
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, setCookie, cookie: pair };
}

async function page(baseUrl: string, cookie: string) {
  const res = await fetch(`${baseUrl}/m`, { headers: { cookie }, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

async function newUser(http: ReturnType<typeof client>, key: CreatedKey, origin: string, email?: string) {
  const r = await record(http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: origin, ...(email ? { email } : {}) } }));
  expect(r.status).toBe(201);
  return r.body.id as string;
}
async function connectStripe(http: ReturnType<typeof client>, key: CreatedKey, userId: string) {
  const r = await record(http.post(`/api/v1/registered-users/${userId}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: `sk_test_${"x".repeat(24)}` } } }));
  expect(r.status, r.text).toBe(201);
  return r.body.id as string;
}

// A link that expires during the suite: created first, checked last (no clock tricks needed).
let shortLived: { id: string; token: string; createdAt: number };

beforeAll(async () => {
  sink = await startSmtpSink();
  stripeApi = await serveSandbox(createStripeSandbox());
  [smtpServer, devServer] = await Promise.all([
    startServer({ db, env: { SMTP_URL: sink.url, LATCHKEY_EMAIL_FROM: "Acme Support <support@acme.test>", LATCHKEY_LOG_LEVEL: "info" } }),
    startServer({ db, env: { LATCHKEY_LOG_LEVEL: "info" } }),
  ]);
  api = client(smtpServer.url);
  dev = client(devServer.url);
  [smtpKey, devKey, liveKey] = await Promise.all([createApiKeyViaCli(smtpServer, "test", "smtp"), createApiKeyViaCli(devServer, "test", "dev"), createApiKeyViaCli(devServer, "production", "live")]);
  for (const [http, key] of [[api, smtpKey], [dev, devKey]] as const) {
    expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
  }
  const u = await newUser(dev, devKey, "short-lived");
  const r = await record(dev.post("/api/v1/magic-links", { key: devKey.secret, json: { registered_user_id: u, expires_in: 60 } }));
  expect(r.status).toBe(201);
  shortLived = { id: r.body.id, token: tokenOf(r.body.url), createdAt: Date.now() };
}, 180_000);

afterAll(async () => {
  await Promise.all([smtpServer?.stop(), devServer?.stop()]);
  await sink?.close();
  await stripeApi?.close();
  cleanupTempDirs();
});

describe(`magic links: API and email [${db}]`, () => {
  it("create with send_email: 201 with the URL once, and the email arrives through SMTP with the link, branded, from LATCHKEY_EMAIL_FROM", async () => {
    const user = await newUser(api, smtpKey, "mail-user", "mail-user@example.com");
    const before = sink.received.length;
    const r = await record(api.post("/api/v1/magic-links", { key: smtpKey.secret, json: { registered_user_id: user, connectors: ["stripe"], send_email: true } }));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ object: "magic_link", registered_user_id: user, connectors: ["stripe"], status: "active", pending_connectors: ["stripe"], email: { status: "sent" } });
    expect(r.body.id).toMatch(/^ml_[0-9a-z]{22}$/);
    expect(r.body.url).toMatch(new RegExp(`^${smtpServer.url}/m#token=lk_magic_[0-9A-Za-z]{43}$`));
    const token = tokenOf(r.body.url);
    const mail = await sink.next(before);
    expect(mail.to).toEqual(["mail-user@example.com"]);
    expect(mail.from).toBe("support@acme.test");
    expect(mail.subject).toBe("Demo (Test): connect your Stripe account");
    expect(mail.text).toContain(r.body.url);
    expect(mail.html).toContain(r.body.url);
    expect(mail.html).not.toMatch(/<img|<script/i);
    // The URL is shown once: reads never carry it (C7).
    const got = await record(api.get(`/api/v1/magic-links/${r.body.id}`, { key: smtpKey.secret }));
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty("url");
    expect(got.text).not.toContain(token);
    const list = await record(api.get(`/api/v1/magic-links?registered_user_id=${user}`, { key: smtpKey.secret }));
    expect(list.body.data.map((l: { id: string }) => l.id)).toEqual([r.body.id]);
    expect(list.text).not.toContain(token);
  });

  it("validation: expires_in bounds (default 7 days, max 30), unknown connectors, send_email without an address, unknown user → typed 4xx", async () => {
    const user = await newUser(api, smtpKey, "no-email");
    const cases: [unknown, number, string][] = [
      [{ registered_user_id: user, expires_in: 30 * 24 * 3600 + 1 }, 422, "expires_in"],
      [{ registered_user_id: user, expires_in: 59 }, 422, "expires_in"],
      [{ registered_user_id: user, connectors: ["stripe", "nope"] }, 422, "connectors.1"],
      [{ registered_user_id: user, connectors: ["stripe", "stripe"] }, 422, "connectors"],
      [{ registered_user_id: user, send_email: true }, 422, "send_email"],
      [{ registered_user_id: "nope" }, 422, "registered_user_id"],
      [{ registered_user_id: user, extra: 1 }, 422, ""],
    ];
    for (const [json, status, path] of cases) {
      const r = await record(api.post("/api/v1/magic-links", { key: smtpKey.secret, json }));
      expect(r.status, `${JSON.stringify(json)} → ${r.text}`).toBe(status);
      expect(r.body.error.code).toBe("validation_error");
      if (path) expect(r.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect((await record(api.post("/api/v1/magic-links", { key: smtpKey.secret, json: { registered_user_id: unknownId("ru") } }))).status).toBe(404);
    const ok = await record(api.post("/api/v1/magic-links", { key: smtpKey.secret, json: { registered_user_id: user } }));
    tokenOf(ok.body.url);
    expect(Math.abs(new Date(ok.body.expires_at).getTime() - Date.now() - 7 * 24 * 3600 * 1000)).toBeLessThan(60_000);
    expect(ok.body.email).toBeNull();
  });

  it("without SMTP_URL the email goes to the outbox (status outbox), and the link works the same", async () => {
    const user = await newUser(dev, devKey, "outbox-user", "outbox-user@example.com");
    const before = sink.received.length;
    const r = await record(dev.post("/api/v1/magic-links", { key: devKey.secret, json: { registered_user_id: user, send_email: true } }));
    expect(r.status).toBe(201);
    expect(r.body.email).toMatchObject({ status: "outbox", id: expect.stringMatching(/^eml_/) });
    tokenOf(r.body.url);
    expect(sink.received.length).toBe(before);
  });

  it("T1/T2: another environment's key gets not_found for a link, and cannot revoke it", async () => {
    const user = await newUser(dev, devKey, "t1-user");
    const r = await record(dev.post("/api/v1/magic-links", { key: devKey.secret, json: { registered_user_id: user } }));
    tokenOf(r.body.url);
    const get = await record(dev.get(`/api/v1/magic-links/${r.body.id}`, { key: liveKey.secret }));
    const missing = await record(dev.get(`/api/v1/magic-links/${unknownId("ml")}`, { key: liveKey.secret }));
    expect(get.status).toBe(404);
    expect(withoutRequestId(get.body)).toEqual(withoutRequestId(missing.body));
    expect((await record(dev.del(`/api/v1/magic-links/${r.body.id}`, { key: liveKey.secret }))).status).toBe(404);
    expect((await record(dev.get(`/api/v1/magic-links/${r.body.id}`, { key: devKey.secret }))).body.status).toBe("active");
    expect((await record(dev.post("/api/v1/magic-links", { key: liveKey.secret, json: { registered_user_id: user } }))).status).toBe(404);
  });
});

describe(`magic links: the end-user page [${db}]`, () => {
  let user: string;
  let linkId: string;
  let token: string;
  let cookie: string;
  let stripeConn: string;
  let packName: string;

  beforeAll(async () => {
    user = await newUser(dev, devKey, "page-user", "page-user@example.com");
    stripeConn = await connectStripe(dev, devKey, user);
    packName = "Billing helper";
    const pack = await record(dev.post("/api/v1/tool-packs", { key: devKey.secret, json: { name: packName, entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] } }));
    expect(pack.status).toBe(201);
    const exec = await record(dev.post(`/api/v1/tool-packs/${pack.body.id}/registered-users/${user}/tools/stripe_get_balance/execute`, { key: devKey.secret, json: { arguments: {} } }));
    expect(exec.body.is_error, exec.text).toBe(false);
    // The tool-call log is written in batches: wait until the call is there.
    for (let i = 0; i < 40; i++) {
      const calls = (await dev.get(`/api/v1/tool-calls?registered_user_id=${user}`, { key: devKey.secret })).body.data;
      if (calls.some((c: { connection_id: string }) => c.connection_id === stripeConn)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await record(dev.post("/api/v1/magic-links", { key: devKey.secret, json: { registered_user_id: user } }));
    linkId = r.body.id;
    token = tokenOf(r.body.url);
  });

  it("K4: opening the link (POST of the fragment's token) sets an HttpOnly, SameSite=Lax, Secure __Host- session cookie on loopback", async () => {
    const o = await open(devServer.url, token);
    expect(o.status, o.text).toBe(200);
    expect(o.setCookie).toMatch(/^__Host-lk_magic=lk_mls_[0-9A-Za-z]{43}; Path=\/; Max-Age=\d+; Expires=[^;]+; HttpOnly; SameSite=Lax; Secure$/);
    expect(o.setCookie).not.toMatch(/Domain=/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(o.setCookie)![1]);
    expect(maxAge).toBeGreaterThan(25 * 60);
    expect(maxAge).toBeLessThanOrEqual(30 * 60);
    expect(o.text).not.toContain("lk_mls_");
    cookie = o.cookie;
  });

  it("the page lists the user's connections with the tool pack that last used each and when; no session → no data", async () => {
    const p = await page(devServer.url, cookie);
    expect(p.status).toBe(200);
    expect(p.html).toContain("Your connected accounts");
    expect(p.html).toContain("Demo (Test)");
    expect(p.html).toContain("Stripe");
    expect(p.html).toContain("Stripe (test mode)");
    expect(p.html).toMatch(new RegExp(`by <span[^>]*>${packName}</span>, <time datetime="\\d{4}-`, "i"));
    expect(p.html).toContain("page-user@example.com");
    expect(p.html).not.toContain(token);
    expect(p.html).not.toMatch(/lk_mls_|sk_test_x/);
    expect(p.headers.get("cache-control") ?? "").toMatch(/no-store|private|no-cache/);
    const anon = await page(devServer.url, "");
    expect(anon.html).toContain("Opening your link");
    expect(anon.html).not.toContain("Stripe (test mode)");
    const bogus = await page(devServer.url, `__Host-lk_magic=lk_mls_${"A".repeat(43)}`);
    expect(bogus.html).not.toContain("Stripe (test mode)");
  });

  it("A1: disconnect through the page's server action removes the connection, as the end user via the link; another user's connection is not found", async () => {
    const stranger = await newUser(dev, devKey, "stranger");
    const theirs = await connectStripe(dev, devKey, stranger);
    const denied = await callServerAction(devServer.url, "/m", DISCONNECT(), [{ connection_id: theirs }], { cookie });
    expect(denied.result).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect((await record(dev.get(`/api/v1/connections/${theirs}`, { key: devKey.secret }))).status).toBe(200);

    const noSession = await callServerAction(devServer.url, "/m", DISCONNECT(), [{ connection_id: stripeConn }]);
    expect(noSession.result).toMatchObject({ ok: false, error: { code: "unauthorized" } });

    const r = await callServerAction(devServer.url, "/m", DISCONNECT(), [{ connection_id: stripeConn }], { cookie });
    expect(r.result, r.text.slice(0, 500)).toMatchObject({ ok: true, data: { connector_name: "Stripe" } });
    expect((await record(dev.get(`/api/v1/connections/${stripeConn}`, { key: devKey.secret }))).status).toBe(404);
    const p = await page(devServer.url, cookie);
    expect(p.html).not.toContain("Stripe (test mode)");
    expect(p.html).toContain("No connected accounts");
    // The audit row is checked in the database at the end (PGlite admits one process).
  });

  it("connect from the page mints a fresh Link token for this user and sends the browser to Link", async () => {
    const r = await callServerAction(devServer.url, "/m", CONNECT(), [{ connector: "stripe" }], { cookie });
    expect(r.result).toMatchObject({ ok: true, data: { url: expect.stringMatching(new RegExp(`^${devServer.url}/link#link_token=lk_link_`)) } });
    secrets.push(r.result.data.url.split("=")[1]);
  });

  it("revoke: the link and the page it opened stop working at once; revoking again is idempotent", async () => {
    const del = await record(dev.del(`/api/v1/magic-links/${linkId}`, { key: devKey.secret }));
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ id: linkId, status: "revoked", revoked_at: expect.any(String) });
    const p = await page(devServer.url, cookie);
    expect(p.html).not.toContain('data-testid="magic-brand"');
    expect(p.html).not.toContain("page-user@example.com");
    expect(p.html).toContain("Opening your link");
    const act = await callServerAction(devServer.url, "/m", CONNECT(), [{ connector: "stripe" }], { cookie });
    expect(act.result).toMatchObject({ ok: false, error: { code: "unauthorized" } });
    const again = await open(devServer.url, token);
    expect(again.status).toBe(401);
    expect(again.setCookie).toBe("");
    expect((await record(dev.del(`/api/v1/magic-links/${linkId}`, { key: devKey.secret }))).body.status).toBe("revoked");
  });

  it("completed once every requested connector has an active connection: the link opens nothing new", async () => {
    const u = await newUser(dev, devKey, "completer");
    const r = await record(dev.post("/api/v1/magic-links", { key: devKey.secret, json: { registered_user_id: u, connectors: ["stripe"] } }));
    const t = tokenOf(r.body.url);
    const first = await open(devServer.url, t);
    expect(first.status).toBe(200);
    const before = await page(devServer.url, first.cookie);
    expect(before.html).toContain("Connect Stripe");
    await connectStripe(dev, devKey, u);
    expect((await record(dev.get(`/api/v1/magic-links/${r.body.id}`, { key: devKey.secret }))).body).toMatchObject({ status: "completed", pending_connectors: [] });
    const after = await open(devServer.url, t);
    expect(after.status).toBe(401);
    // The page already open shows the result.
    const shown = await page(devServer.url, first.cookie);
    expect(shown.html).toContain("All set");
  });

  it("K2: unknown, malformed, revoked and completed tokens get byte-identical answers (no oracle)", async () => {
    const answers = await Promise.all([open(devServer.url, `lk_magic_${"Z".repeat(43)}`), open(devServer.url, "garbage"), open(devServer.url, token), open(devServer.url, 42)]);
    const bodies = answers.map((a) => JSON.stringify(withoutRequestId(a.body)));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    expect(new Set(bodies).size).toBe(1);
    expect(answers[0]!.body.error).toMatchObject({ code: "unauthorized", message: "This link has expired or is no longer valid. Ask for a new one." });
  });

  it("K4: a cross-site Origin and a non-JSON body (what a form on another site can send) are refused", async () => {
    const u = await newUser(dev, devKey, "csrf-user");
    const r = await record(dev.post("/api/v1/magic-links", { key: devKey.secret, json: { registered_user_id: u } }));
    const t = tokenOf(r.body.url);
    const cross = await open(devServer.url, t, { origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    expect(cross.setCookie).toBe("");
    const form = await fetch(`${devServer.url}/m/session`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ token: t }) });
    expect(form.status).toBe(415);
    expect(form.headers.get("set-cookie")).toBeNull();
    expect((await open(devServer.url, t, { origin: devServer.url })).status).toBe(200);
  });
});

describe(`magic links: rate limit, expiry, and what the database and logs hold [${db}]`, () => {
  it("K2: opening is rate-limited per token (429 with Retry-After), on its own server so no other test is affected", async () => {
    const user = await newUser(api, smtpKey, "rl-user");
    const r = await record(api.post("/api/v1/magic-links", { key: smtpKey.secret, json: { registered_user_id: user } }));
    const t = tokenOf(r.body.url);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 22; i++) {
      const res = await fetch(`${smtpServer.url}/m/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: t }) });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
      const c = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      if (c.includes("lk_mls_")) secrets.push(c.split("=")[1]!);
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it("expired: a link past its expires_in gets the same neutral answer, and reports status expired", async () => {
    const wait = shortLived.createdAt + 61_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const o = await open(devServer.url, shortLived.token);
    expect(o.status).toBe(401);
    expect(o.body.error.message).toBe("This link has expired or is no longer valid. Ask for a new one.");
    expect((await record(dev.get(`/api/v1/magic-links/${shortLived.id}`, { key: devKey.secret }))).body.status).toBe("expired");
  }, 90_000);

  it("C7/C8: no token, session id or link token in any API answer after creation, nor in the logs", async () => {
    const creations = responses.filter((t) => t.includes('"url":'));
    for (const s of secrets) {
      const leaks = responses.filter((t) => t.includes(s) && !creations.includes(t));
      expect(leaks, `secret ${s.slice(0, 12)}… in an API answer`).toEqual([]);
      expect(smtpServer.logs()).not.toContain(s);
      expect(devServer.logs()).not.toContain(s);
    }
    expect(smtpServer.logs()).not.toContain(new URL(sink.url).password);
  });

  it("A1, C6: the audit rows (created, opened, disconnect as end_user via ml_…, revoked) and a database without any token in it", async () => {
    await devServer.stop();
    await withDb(db, devServer, async (h) => {
      const rows = await h.db.select().from(auditLog);
      const actions = rows.map((r) => r.action);
      for (const a of ["magic_link.created", "magic_link.opened", "magic_link.revoked", "link_token.created"]) expect(actions).toContain(a);
      const disconnect = rows.find((r) => r.action === "connection.deleted" && r.actorType === "end_user");
      expect(disconnect).toBeDefined();
      expect(disconnect!.metadata).toMatchObject({ connector: "stripe", via: expect.stringMatching(/^ml_/) });
      expect(rows.filter((r) => r.action === "magic_link.revoked")).toHaveLength(1);
      // The outbox kept the email, its body encrypted.
      const outbox = await h.db.select().from(emailOutbox);
      expect(outbox.length).toBeGreaterThan(0);
      expect(outbox.every((e) => e.status === "outbox" && e.bodySealed?.startsWith("v1:"))).toBe(true);
      const dump = JSON.stringify({ rows, outbox, links: await h.db.select().from(magicLinks), sessions: await h.db.select().from(magicLinkSessions) });
      for (const s of secrets) expect(dump.includes(s), `secret ${s.slice(0, 12)}… stored in plaintext`).toBe(false);
    });
  });
});
