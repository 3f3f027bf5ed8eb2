// The hosted Link flow through the production server (issue 5, items 1, 2, 4): link-token
// redemption (K1, K2), the Link session cookie, OAuth against the GitHub sandbox's own
// authorization server (O1, O2, O3, O5, O7), api-key forms, and reconnecting a
// reauth_required connection in place from an in-conversation link token.
// Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import { createHash, randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, connections, linkOauthStates, linkSessions, linkTokens } from "@/db/schema";
import { hashToken } from "@/lib/crypto/tokens";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import type { SandboxBackend } from "@/lib/sandbox/types";
import { withDb } from "../helpers/db";
import { client, withoutRequestId, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
const CLIENT_ID = "Iv1.latchkey-link-test";
const CLIENT_SECRET = `gh-client-secret-${randomBytes(8).toString("hex")}`;
const CANARY_STRIPE = `sk_test_CANARY${randomBytes(6).toString("hex")}LINKFORM`;

let server: TestServer;
let http: ReturnType<typeof client>;
let key: CreatedKey;
let gh: SandboxBackend;
let githubApi: Awaited<ReturnType<typeof serveSandbox>>;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let packId = "";

// The server trusts one proxy hop, so each test speaks from its own client address and the
// redemption limit (per address) is exercised on purpose only.
let ipCounter = 1;
const newIp = () => `10.20.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

async function startLatchkey(opts: { port?: number; dataDir?: string; env?: Record<string, string>; databaseUrl?: string | undefined } = {}) {
  return startServer({
    db,
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
    env: opts.env ?? { LATCHKEY_TRUST_PROXY_HOPS: "1", LATCHKEY_LOG_LEVEL: "info" },
  });
}

beforeAll(async () => {
  server = await startLatchkey();
  http = client(server.url);
  key = await createApiKeyViaCli(server, "test", "link");
  // The GitHub sandbox is the whole provider: API plus github.com's OAuth endpoints, with
  // our OAuth app registered for exactly one redirect URI, and RFC 9207 `iss` on.
  gh = createGithubSandbox({ oauth: { clients: { [CLIENT_ID]: { secret: CLIENT_SECRET, redirectUris: [`${server.url}/oauth/callback`] } }, issuerParameter: true } });
  githubApi = await serveSandbox(gh);
  stripeApi = await serveSandbox(createStripeSandbox({ authorize: (k) => !k.includes("Revoked") }));
  const gcfg = await http.req("/api/v1/connectors/github/config", {
    method: "PATCH",
    key: key.secret,
    json: {
      base_url: githubApi.url,
      oauth_client_id: CLIENT_ID,
      oauth_client_secret: CLIENT_SECRET,
      oauth_authorize_url: `${githubApi.url}/login/oauth/authorize`,
      oauth_token_url: `${githubApi.url}/login/oauth/access_token`,
    },
  });
  expect(gcfg.status, gcfg.text).toBe(200);
  expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
  const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Link agent", entries: [{ connector: "github", tools: ["github_get_authenticated_user"] }, { connector: "stripe", tools: ["stripe_get_balance"] }] } });
  expect(pack.status, pack.text).toBe(201);
  packId = pack.body.id;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await githubApi?.close();
  await stripeApi?.close();
  cleanupTempDirs();
});

// ---------------------------------------------------------------- helpers

async function newUser(origin = `user-${randomBytes(4).toString("hex")}`): Promise<string> {
  const r = await http.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: origin } });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function newLinkToken(ru: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru, ...extra } });
  expect(r.status, r.text).toBe(201);
  return r.body.link_token;
}

const cookieOf = (res: ApiResponse) => {
  const set = res.headers.getSetCookie().find((c) => /^(__Host-)?lk_link=/.test(c));
  return set ? set.split(";")[0]! : null;
};

async function redeem(token: string, opts: { ip?: string; cookie?: string | null; headers?: Record<string, string> } = {}) {
  return http.post("/api/link/redeem", {
    json: { link_token: token },
    headers: { "x-forwarded-for": opts.ip ?? newIp(), ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers },
  });
}

/** A user with an open Link session: the browser's cookie. */
async function openSession(ru: string, extra: Record<string, unknown> = {}) {
  const token = await newLinkToken(ru, extra);
  const r = await redeem(token);
  expect(r.status, r.text).toBe(200);
  const cookie = cookieOf(r);
  expect(cookie).toBeTruthy();
  return { token, cookie: cookie!, view: r.body };
}

const asBrowser = (cookie: string | null, extra: Record<string, string> = {}) => ({ ...(cookie ? { cookie } : {}), origin: server.url, "x-forwarded-for": newIp(), ...extra });

async function startOAuth(cookie: string, connector = "github") {
  const r = await http.post("/api/link/oauth/start", { json: { connector }, headers: asBrowser(cookie) });
  expect(r.status, r.text).toBe(200);
  return new URL(r.body.authorize_url);
}

/** The provider step: the sandbox approves and sends the browser to our callback. */
async function providerRedirect(authorizeUrl: URL | string, init: RequestInit = {}): Promise<URL> {
  const r = await fetch(authorizeUrl, { redirect: "manual", ...init });
  expect(r.status, await r.clone().text()).toBe(302);
  return new URL(r.headers.get("location")!);
}

async function callback(url: URL, cookie: string | null) {
  const r = await http.get(`${url.pathname}${url.search}`, { headers: { ...(cookie ? { cookie } : {}), "x-forwarded-for": newIp() } });
  expect(r.status).toBe(303);
  const loc = new URL(r.headers.get("location")!);
  expect(`${loc.origin}${loc.pathname}`).toBe(`${server.url}/link`);
  return { connected: loc.searchParams.get("connected"), error: loc.searchParams.get("error"), connector: loc.searchParams.get("connector"), response: r };
}

const tokenRequests = () => githubApi.requests.filter((r) => r.path === "/login/oauth/access_token").length;

async function connectionsOf(ru: string) {
  const r = await http.get(`/api/v1/registered-users/${ru}/connections`, { key: key.secret });
  expect(r.status).toBe(200);
  return r.body.data as { id: string; connector: string; status: string; account_label: string | null; created_at: string; updated_at: string; expires_at: string | null }[];
}

async function execute(ru: string, tool: string, args: Record<string, unknown> = {}) {
  const r = await http.post(`/api/v1/tool-packs/${packId}/registered-users/${ru}/tools/${tool}/execute`, { key: key.secret, json: { arguments: args } });
  expect(r.status, r.text).toBe(200);
  return r.body as { is_error: boolean; result: Record<string, any>; text: string };
}

/** Start → provider → callback, as a browser without JS would do it. */
async function connectGithub(cookie: string) {
  const cb = await callback(await providerRedirect(await startOAuth(cookie)), cookie);
  expect(cb, JSON.stringify(cb)).toMatchObject({ connected: "github", error: null });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------- link tokens

describe(`link tokens and redemption [${db}]`, () => {
  it("creating a link token: redirect_url must be https or loopback http, without credentials", async () => {
    const ru = await newUser();
    for (const bad of ["http://app.example.com/done", "javascript:alert(1)", "https://user:pw@app.example.com/", "ftp://app.example.com/", "not a url"]) {
      const r = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru, redirect_url: bad } });
      expect(r.status, bad).toBe(422);
      expect(r.body.error.issues[0].path).toBe("redirect_url");
    }
    for (const good of ["https://app.example.com/done?x=1", "http://127.0.0.1:8080/done", "http://localhost:3000/cb", "http://[::1]:9/x"]) {
      const r = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru, redirect_url: good } });
      expect(r.status, good).toBe(201);
      expect(r.body.link_token).toMatch(/^lk_link_[0-9A-Za-z]{43}$/);
      expect(r.body.url).toBe(`${server.url}/link#link_token=${r.body.link_token}`);
    }
  });

  it("O5 (Link's redirect_url): near-misses of the allowed shapes are refused, and the user is sent back to exactly the stored URL, never a rewritten one", async () => {
    const ru = await newUser();
    const nearMisses = [
      "http://127.0.0.1.evil.example/done", // loopback as a label of another host
      "http://localhost.evil.example/done",
      "http://evil.example/127.0.0.1",
      "http://evil.example/?h=localhost",
      "HTTP://app.example.com/done", // http off loopback, whatever the case
      "https://user@app.example.com/done", // userinfo without a password
      "https://:pw@app.example.com/done",
      "https://127.0.0.1@evil.example/done",
      "//app.example.com/done", // scheme-relative
      "/done",
      "data:text/html,x",
      "https://app.example.com/" + "a".repeat(2000),
    ];
    for (const bad of nearMisses) {
      const r = await http.post("/api/v1/link-tokens", { key: key.secret, json: { registered_user_id: ru, redirect_url: bad } });
      expect(r.status, bad).toBe(422);
      expect(r.body.error.issues[0].path, bad).toBe("redirect_url");
    }
    const exact = "https://app.example.com/after-link/?a=1&b=%2F#frag";
    const { cookie } = await openSession(ru, { redirect_url: exact });
    const done = await http.post("/api/link/session/finish", { json: { outcome: "done" }, headers: asBrowser(cookie) });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ redirect_url: exact });
  });

  it("K1: 20 concurrent redemptions of one token: exactly one opens a session, the other 19 get 410", async () => {
    const token = await newLinkToken(await newUser());
    const ip = newIp();
    const all = await Promise.all(Array.from({ length: 20 }, () => redeem(token, { ip })));
    const ok = all.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(all.filter((r) => r.status === 410 && r.body.error.code === "link_token_expired")).toHaveLength(19);
    // K4/O8: the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, 30 minutes.
    const set = ok[0]!.headers.getSetCookie().find((c) => c.startsWith("__Host-lk_link="))!;
    expect(set).toMatch(/^__Host-lk_link=lk_lsess_[0-9A-Za-z]{43}; /);
    expect(set).toContain("HttpOnly");
    expect(set).toContain("Secure");
    expect(set).toContain("SameSite=Lax");
    expect(set).toContain("Path=/");
    expect(set).not.toMatch(/Domain=/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(set)![1]);
    expect(maxAge).toBeGreaterThan(29 * 60);
    expect(maxAge).toBeLessThanOrEqual(30 * 60);
  });

  it("K2: unknown, malformed, used (no cookie) and used (another browser's cookie) tokens answer alike: 410 link_token_expired, same body, same timing class", async () => {
    const ru = await newUser();
    const used = await newLinkToken(ru);
    expect((await redeem(used)).status).toBe(200);
    const other = await openSession(ru);
    const unknown = `lk_link_${"A".repeat(43)}`;
    const answers = [await redeem(unknown), await redeem("lk_link_short"), await redeem(used), await redeem(used, { cookie: other.cookie })];
    for (const a of answers) {
      expect(a.status).toBe(410);
      expect(a.headers.getSetCookie()).toEqual([]);
    }
    const bodies = answers.map((a) => JSON.stringify(withoutRequestId(a.body)));
    expect(new Set(bodies).size).toBe(1);
    expect(answers[0]!.body.error).toMatchObject({ code: "link_token_expired" });

    // Both paths run the same single UPDATE: no measurable difference between "never existed" and "used".
    const time = async (t: string) => {
      const t0 = performance.now();
      await redeem(t);
      return performance.now() - t0;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 15; i++) {
      a.push(await time(`lk_link_${randomBytes(32).toString("base64url").replace(/[-_]/g, "x").slice(0, 43)}`));
      b.push(await time(used));
    }
    expect(Math.abs(median(a) - median(b))).toBeLessThan(40);
  });

  it("the browser that redeemed a token may open the same URL again (its session comes back); once it has finished, it alone learns link_token_used", async () => {
    const ru = await newUser();
    const { token, cookie } = await openSession(ru, { redirect_url: "https://app.example.com/after-link" });
    const again = await redeem(token, { cookie });
    expect(again.status).toBe(200);
    expect(again.body.object).toBe("link_session");
    expect(cookieOf(again)).toBeNull();

    const done = await http.post("/api/link/session/finish", { json: { outcome: "done" }, headers: asBrowser(cookie) });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ redirect_url: "https://app.example.com/after-link" });
    // The session is over: its cookie opens nothing any more.
    expect((await http.get("/api/link/session", { headers: asBrowser(cookie) })).status).toBe(401);
    const mine = await redeem(token, { cookie });
    expect(mine.status).toBe(410);
    expect(mine.body.error.code).toBe("link_token_used");
    const theirs = await redeem(token);
    expect(theirs.status).toBe(410);
    expect(theirs.body.error.code).toBe("link_token_expired");
  });

  it("K2: redemption is rate limited per client address (30 per minute); a spoofed X-Forwarded-For prefix or x-latchkey-peer does not reset it; other addresses are unaffected", async () => {
    const proxyHop = newIp();
    const unknown = () => `lk_link_${randomBytes(32).toString("hex").slice(0, 43)}`;
    for (let i = 0; i < 30; i++) {
      const r = await redeem(unknown(), { ip: `198.51.100.${i}, ${proxyHop}` });
      expect(r.status, `attempt ${i + 1}`).toBe(410);
    }
    const limited = await redeem(unknown(), { ip: `203.0.113.7, ${proxyHop}`, headers: { "x-latchkey-peer": "192.0.2.1" } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // A valid token does not get through a closed window either.
    const token = await newLinkToken(await newUser());
    expect((await redeem(token, { ip: proxyHop })).status).toBe(429);
    expect((await redeem(token)).status).toBe(200);
  });

  it("B1: random bodies to the Link endpoints never cause a 5xx or a stack trace", async () => {
    const { cookie } = await openSession(await newUser());
    const paths = ["/api/link/redeem", "/api/link/oauth/start", "/api/link/connections", "/api/link/session/finish"];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.anything(), async (path, body) => {
        const r = await http.post(path, { raw: JSON.stringify(body) ?? "null", headers: { "content-type": "application/json", ...asBrowser(cookie) } });
        expect(r.status, `${path} ${r.text}`).toBeLessThan(500);
        expect(r.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 40 },
    );
  });
});

// ---------------------------------------------------------------- the session and the page

describe(`the Link session and page [${db}]`, () => {
  it("the page is public and frameable by its own origin only; it carries no data and no referrer", async () => {
    const r = await http.get("/link");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toBe("frame-ancestors 'self'");
    expect(r.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(r.headers.get("referrer-policy")).toBe("no-referrer");
    expect(r.headers.get("cache-control")).toContain("no-store");
    expect(r.text).not.toMatch(/env_[0-9a-z]{22}|org_[0-9a-z]{22}|ru_[0-9a-z]{22}|lk_(live|test|link)_/);
    // Everywhere else framing stays forbidden.
    expect((await http.get("/login")).headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
  });

  it("session routes need the Link cookie (401) and refuse cross-site requests (403)", async () => {
    const { cookie } = await openSession(await newUser());
    expect((await http.get("/api/link/session")).status).toBe(401);
    expect((await http.get("/api/link/session", { headers: { cookie: "__Host-lk_link=lk_lsess_" + "a".repeat(43) } })).status).toBe(401);
    expect((await http.post("/api/link/oauth/start", { json: { connector: "github" } })).body.error.code).toBe("unauthorized");
    const evil = await http.post("/api/link/oauth/start", { json: { connector: "github" }, headers: asBrowser(cookie, { origin: "https://evil.example" }) });
    expect(evil.status).toBe(403);
    const crossSite = await http.post("/api/link/connections", { json: { connector: "stripe", values: {} }, headers: asBrowser(cookie, { "sec-fetch-site": "cross-site" }) });
    expect(crossSite.status).toBe(403);
    const crossRedeem = await http.post("/api/link/redeem", { json: { link_token: "x" }, headers: { origin: "https://evil.example", "x-forwarded-for": newIp() } });
    expect(crossRedeem.status).toBe(403);
  });

  it("the session view: branding, only the token's connectors, this user's status, form fields from the connector schema", async () => {
    const ru = await newUser();
    const { view } = await openSession(ru, { connectors: ["github", "stripe"] });
    expect(view).toMatchObject({ object: "link_session", environment_kind: "test", redirect_url: null, branding: { name: expect.any(String), logo_url: null, accent_color: expect.stringMatching(/^#[0-9a-f]{6}$/i) } });
    expect(view.connectors.map((c: { slug: string }) => c.slug)).toEqual(["github", "stripe"]);
    const [github, stripe] = view.connectors;
    expect(github).toMatchObject({ name: "GitHub", auth_kind: "oauth2", status: "not_connected", available: true, fields: [] });
    expect(stripe).toMatchObject({ name: "Stripe", auth_kind: "api_key", status: "not_connected", available: true, fields: [{ name: "secret_key", label: "Secret key", type: "password", required: true }] });
    expect(JSON.stringify(view)).not.toContain(CLIENT_SECRET);

    // Without a list, every enabled connector of the environment; an OAuth one without an OAuth app is listed as not available.
    const all = (await openSession(ru)).view.connectors;
    expect(all.map((c: { slug: string }) => c.slug)).toEqual(expect.arrayContaining(["github", "slack", "jira", "stripe"]));
    expect(all.find((c: { slug: string }) => c.slug === "slack").available).toBe(false);
    const jira = all.find((c: { slug: string }) => c.slug === "jira");
    expect(jira.fields.map((f: { name: string; type: string }) => [f.name, f.type])).toEqual([["site_url", "url"], ["email", "email"], ["api_token", "password"]]);
  });
});

describe(`Link page branding [${db}]`, () => {
  it("the environment's branding settings (name, logo, accent) reach the Link page; unsafe values are refused with field paths", async () => {
    const bad = await http.req("/api/v1/environment/settings", { method: "PATCH", key: key.secret, json: { branding: { accent_color: "red;background:url(x)", logo_url: "javascript:alert(1)" } } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["branding.accent_color", "branding.logo_url"]);
    const ok = await http.req("/api/v1/environment/settings", { method: "PATCH", key: key.secret, json: { branding: { name: "Acme Assistant", logo_url: "https://cdn.example.com/acme.png", accent_color: "#0a7" } } });
    expect(ok.status).toBe(200);
    expect(ok.body.branding).toEqual({ name: "Acme Assistant", logo_url: "https://cdn.example.com/acme.png", accent_color: "#0a7" });
    const { view } = await openSession(await newUser());
    expect(view.branding).toEqual({ name: "Acme Assistant", logo_url: "https://cdn.example.com/acme.png", accent_color: "#0a7" });
    expect((await http.req("/api/v1/environment/settings", { method: "PATCH", key: key.secret, json: { branding: null } })).body.branding).toBeNull();
    expect((await openSession(await newUser())).view.branding.name).not.toBe("Acme Assistant");
  });
});

// ---------------------------------------------------------------- OAuth

describe(`OAuth through Link [${db}]`, () => {
  it("O1: start → provider → callback: state, PKCE S256 and the exact redirect URI; the connection is active with a working refresh token", async () => {
    const ru = await newUser();
    const { cookie } = await openSession(ru);
    const auth = await startOAuth(cookie);
    expect(`${auth.origin}${auth.pathname}`).toBe(`${githubApi.url}/login/oauth/authorize`);
    const q = auth.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe(CLIENT_ID);
    expect(q.get("redirect_uri")).toBe(`${server.url}/oauth/callback`);
    expect(q.get("state")).toMatch(/^[0-9A-Za-z]{43}$/);
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("scope")!.split(" ")).toEqual(expect.arrayContaining(["read:user", "repo"]));
    expect(auth.toString()).not.toContain(CLIENT_SECRET);

    const before = tokenRequests();
    const back = await providerRedirect(auth);
    expect(back.searchParams.get("iss")).toBe(githubApi.url);
    const cb = await callback(back, cookie);
    expect(cb).toMatchObject({ connected: "github", error: null });
    expect(cb.response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(tokenRequests()).toBe(before + 1);

    // The token request carried the verifier of that challenge and the same redirect URI.
    const tr = githubApi.requests.filter((r) => r.path === "/login/oauth/access_token").at(-1)!;
    const body = tr.body as Record<string, string>;
    expect(body.grant_type).toBe("authorization_code");
    expect(body.redirect_uri).toBe(`${server.url}/oauth/callback`);
    expect(createHash("sha256").update(body.code_verifier!).digest("base64url")).toBe(q.get("code_challenge"));

    const [conn] = await connectionsOf(ru);
    expect(conn).toMatchObject({ connector: "github", status: "active", account_label: "octocat" });
    expect(conn!.expires_at).not.toBeNull();
    const view = (await http.get("/api/link/session", { headers: asBrowser(cookie) })).body;
    expect(view.connectors.find((c: { slug: string }) => c.slug === "github")).toMatchObject({ status: "connected", account_label: "octocat" });

    // The stored refresh token works: once the access token lapses, a call refreshes and succeeds.
    gh.oauth!.expireAccessTokens();
    const refreshesBefore = githubApi.requests.filter((r) => (r.body as Record<string, string> | undefined)?.grant_type === "refresh_token").length;
    const res = await execute(ru, "github_get_authenticated_user");
    expect(res.is_error, res.text).toBe(false);
    expect(res.result.login).toBe("octocat");
    const refreshes = githubApi.requests.filter((r) => (r.body as Record<string, string> | undefined)?.grant_type === "refresh_token");
    expect(refreshes.length).toBe(refreshesBefore + 1);
    expect((refreshes.at(-1)!.body as Record<string, string>).refresh_token).toMatch(/^ghr_/);
  });

  it("O2: state missing, tampered, from another browser session, without the cookie, or replayed → refused with zero token requests and nothing saved", async () => {
    const ru = await newUser();
    const a = await openSession(ru);
    const b = await openSession(ru);
    const back = await providerRedirect(await startOAuth(a.cookie));
    const without = (name: string) => {
      const u = new URL(back);
      u.searchParams.delete(name);
      return u;
    };
    const tampered = new URL(back);
    tampered.searchParams.set("state", `${back.searchParams.get("state")!.slice(0, -1)}x`);
    const crlf = new URL(back);
    crlf.searchParams.set("state", "abc\r\nSet-Cookie: x=y");
    const before = tokenRequests();
    expect(await callback(without("state"), a.cookie)).toMatchObject({ error: "invalid_state", connected: null });
    expect(await callback(tampered, a.cookie)).toMatchObject({ error: "invalid_state" });
    expect(await callback(crlf, a.cookie)).toMatchObject({ error: "invalid_state" });
    expect(await callback(back, b.cookie)).toMatchObject({ error: "invalid_state" });
    expect(await callback(back, null)).toMatchObject({ error: "session_missing" });
    expect(tokenRequests()).toBe(before);
    expect(await connectionsOf(ru)).toEqual([]);

    // The real browser still completes (the refused attempts did not consume its state)…
    expect(await callback(back, a.cookie)).toMatchObject({ connected: "github" });
    expect(tokenRequests()).toBe(before + 1);
    // …and a replay of the same callback finds no state: it was deleted on first use.
    expect(await callback(back, a.cookie)).toMatchObject({ error: "invalid_state" });
    expect(tokenRequests()).toBe(before + 1);
    expect(await connectionsOf(ru)).toHaveLength(1);
  });

  it("O7: an `iss` of another authorization server, or one differing only by normalization, is refused before any token request", async () => {
    const ru = await newUser();
    const { cookie } = await openSession(ru);
    const port = new URL(githubApi.url).port;
    const variants = [`http://127.0.0.1:${Number(port) + 1}`, `${githubApi.url}/`, `HTTP://127.0.0.1:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}/login`, ""];
    for (const iss of variants) {
      const back = await providerRedirect(await startOAuth(cookie));
      back.searchParams.set("iss", iss);
      const before = tokenRequests();
      const cb = await callback(back, cookie);
      expect(cb, iss).toMatchObject({ error: iss === "" ? "invalid_state" : "issuer_mismatch", connected: null });
      expect(tokenRequests(), iss).toBe(before);
    }
    expect(await connectionsOf(ru)).toEqual([]);
  });

  it("the user declines at the provider (error=access_denied): a clear error code for the page, nothing saved, and trying again works", async () => {
    const ru = await newUser();
    const { cookie } = await openSession(ru);
    const auth = await startOAuth(cookie);
    // What the consent page's Cancel button submits.
    const denied = await providerRedirect(`${githubApi.url}/login/oauth/authorize`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams([...auth.searchParams.entries(), ["decision", "deny"]]).toString() });
    expect(denied.searchParams.get("error")).toBe("access_denied");
    const before = tokenRequests();
    expect(await callback(denied, cookie)).toMatchObject({ error: "access_denied", connector: "github" });
    expect(tokenRequests()).toBe(before);
    expect(await connectionsOf(ru)).toEqual([]);
    await connectGithub(cookie);
    expect((await connectionsOf(ru))[0]).toMatchObject({ status: "active" });
  });

  it("O3/O5/O6 (the sandbox authorization server behaves like a strict provider): S256 only, verifier checked and code burned by a wrong one, exact redirect URIs, single-use codes", async () => {
    const redirect = `${server.url}/oauth/callback`;
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const authorize = (extra: Record<string, string>) =>
      fetch(`${githubApi.url}/login/oauth/authorize?${new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: redirect, state: "s", ...extra })}`, { redirect: "manual" });
    const codeOf = async (extra: Record<string, string>) => new URL((await authorize(extra)).headers.get("location")!).searchParams.get("code")!;
    const exchange = async (code: string, extra: Record<string, string> = {}) =>
      (await fetch(`${githubApi.url}/login/oauth/access_token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: "authorization_code", client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code, redirect_uri: redirect, ...extra }),
      }).then((r) => r.json())) as { error?: string; access_token?: string };

    // plain, or a challenge without a method, is refused at the authorization endpoint.
    expect(new URL((await authorize({ code_challenge: challenge, code_challenge_method: "plain" })).headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    expect(new URL((await authorize({ code_challenge: challenge })).headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
    // A wrong verifier burns the code: the right one afterwards fails too.
    const c1 = await codeOf({ code_challenge: challenge, code_challenge_method: "S256" });
    expect((await exchange(c1, { code_verifier: randomBytes(32).toString("base64url") })).error).toBe("invalid_grant");
    expect((await exchange(c1, { code_verifier: verifier })).error).toBe("invalid_grant");
    // Missing, or too short a verifier; a verifier without a challenge (downgrade).
    expect((await exchange(await codeOf({ code_challenge: challenge, code_challenge_method: "S256" }))).error).toBe("invalid_grant");
    expect((await exchange(await codeOf({ code_challenge: challenge, code_challenge_method: "S256" }), { code_verifier: "short" })).error).toBe("invalid_grant");
    expect((await exchange(await codeOf({}), { code_verifier: verifier })).error).toBe("invalid_grant");
    // The right verifier works once; a replay fails and revokes what the code issued.
    const c2 = await codeOf({ code_challenge: challenge, code_challenge_method: "S256" });
    const ok = await exchange(c2, { code_verifier: verifier });
    expect(ok.access_token).toMatch(/^ghu_/);
    expect((await exchange(c2, { code_verifier: verifier })).error).toBe("invalid_grant");
    const user = await fetch(`${githubApi.url}/user`, { headers: { authorization: `Bearer ${ok.access_token}` } });
    expect(user.status).toBe(401);

    // Redirect URIs are compared exactly; a mismatch is shown at the provider, never redirected to.
    const u = new URL(redirect);
    const nearMisses = [`${redirect}/`, redirect.replace("/oauth/", "/OAuth/"), `${redirect}x`, `${redirect}?a=1`, `${redirect}#f`, `${u.protocol}//${u.hostname}:${Number(u.port) + 1}${u.pathname}`, redirect.replace("http:", "https:"), redirect.replace("127.0.0.1", "localhost"), redirect.replace("//", "//user@"), redirect.replace("callback", "call%62ack")];
    for (const bad of nearMisses) {
      const r = await fetch(`${githubApi.url}/login/oauth/authorize?${new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: bad, state: "s" })}`, { redirect: "manual" });
      expect(r.status, bad).toBe(400);
      expect(r.headers.get("location"), bad).toBeNull();
    }
  });
});

// ---------------------------------------------------------------- forms and in-conversation links

describe(`forms and in-conversation links [${db}]`, () => {
  it("api-key form: a field error beside the field, a provider rejection for the form, then success; only the token's connectors, only the right kind", async () => {
    const ru = await newUser();
    const { cookie } = await openSession(ru, { connectors: ["stripe", "github"] });
    const post = (json: unknown) => http.post("/api/link/connections", { json, headers: asBrowser(cookie) });

    const shape = await post({ connector: "stripe", values: { secret_key: "not-a-key" } });
    expect(shape.status).toBe(422);
    expect(shape.body.error.issues).toEqual([expect.objectContaining({ path: "values.secret_key", message: expect.stringMatching(/Stripe secret/) })]);
    const missing = await post({ connector: "stripe", values: {} });
    expect(missing.body.error.issues[0].path).toBe("values.secret_key");
    const rejected = await post({ connector: "stripe", values: { secret_key: "sk_test_RevokedKey1234567" } });
    expect(rejected.status).toBe(422);
    expect(rejected.body.error.issues[0].path).toBe("values");
    expect(await connectionsOf(ru)).toEqual([]);

    const ok = await post({ connector: "stripe", values: { secret_key: CANARY_STRIPE } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ connector: "stripe", connection_id: expect.stringMatching(/^conn_/), status: "connected", account_label: "Stripe (test mode)" });
    expect(ok.text).not.toContain(CANARY_STRIPE);
    const [conn] = await connectionsOf(ru);
    expect(conn).toMatchObject({ connector: "stripe", status: "active" });
    // Again: replaced in place.
    expect((await post({ connector: "stripe", values: { secret_key: CANARY_STRIPE } })).status).toBe(200);
    expect((await connectionsOf(ru)).map((c) => c.id)).toEqual([conn!.id]);

    expect((await post({ connector: "jira", values: {} })).status).toBe(403);
    expect((await post({ connector: "github", values: { token: "x" } })).status).toBe(422);
    expect((await http.post("/api/link/oauth/start", { json: { connector: "stripe" }, headers: asBrowser(cookie) })).status).toBe(422);
    const view = (await http.get("/api/link/session", { headers: asBrowser(cookie) })).body;
    expect(view.connectors.find((c: { slug: string }) => c.slug === "stripe").status).toBe("connected");
    expect(JSON.stringify(view)).not.toContain(CANARY_STRIPE);
  });

  it("item 4: authentication_required's link token opens the same flow; after the user revokes the app, reauth_required's link token reconnects in place (same id, active again)", async () => {
    const ru = await newUser();
    const first = await execute(ru, "github_get_authenticated_user");
    expect(first.is_error).toBe(true);
    expect(first.result).toMatchObject({ code: "authentication_required", link_token: expect.stringMatching(/^lk_link_/), link_url: expect.stringContaining("/link#link_token=") });
    const s1 = await redeem(first.result.link_token);
    expect(s1.status).toBe(200);
    expect(s1.body.connectors.map((c: { slug: string }) => c.slug)).toEqual(["github"]);
    await connectGithub(cookieOf(s1)!);
    const [original] = await connectionsOf(ru);
    expect(original).toMatchObject({ connector: "github", status: "active" });
    expect((await execute(ru, "github_get_authenticated_user")).result.login).toBe("octocat");

    // The user revokes the app on GitHub: the access token and the refresh token stop working.
    gh.oauth!.revokeAll();
    const broken = await execute(ru, "github_get_authenticated_user");
    expect(broken.result).toMatchObject({ code: "reauth_required", link_token: expect.stringMatching(/^lk_link_/) });
    expect((await connectionsOf(ru))[0]).toMatchObject({ id: original!.id, status: "reauth_required" });

    const s2 = await redeem(broken.result.link_token);
    expect(s2.status).toBe(200);
    expect(s2.body.connectors).toEqual([expect.objectContaining({ slug: "github", status: "reauth_required" })]);
    await connectGithub(cookieOf(s2)!);
    const after = await connectionsOf(ru);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: original!.id, status: "active", created_at: original!.created_at });
    expect(after[0]!.updated_at > original!.updated_at).toBe(true);
    expect((await execute(ru, "github_get_authenticated_user")).is_error).toBe(false);

    // authenticate_meta's token opens the same flow, for the pack's connectors.
    const meta = await execute(ru, "authenticate_meta");
    const s3 = await redeem(meta.result.link_token);
    expect(s3.status).toBe(200);
    expect(s3.body.connectors.map((c: { slug: string; status: string }) => [c.slug, c.status])).toEqual([["github", "connected"], ["stripe", "not_connected"]]);
  });

  it("connection attempts are limited per Link session (20 per minute): a session cannot be used to hammer a provider", async () => {
    const { cookie } = await openSession(await newUser(), { connectors: ["stripe"] });
    for (let i = 0; i < 20; i++) {
      const r = await http.post("/api/link/connections", { json: { connector: "stripe", values: { secret_key: "bad" } }, headers: asBrowser(cookie) });
      expect(r.status, `attempt ${i + 1}`).toBe(422);
    }
    const limited = await http.post("/api/link/connections", { json: { connector: "stripe", values: { secret_key: CANARY_STRIPE } }, headers: asBrowser(cookie) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
  });

  it("exit ends the session without a redirect; the cookie stops working", async () => {
    const { cookie } = await openSession(await newUser(), { redirect_url: "https://app.example.com/x" });
    const r = await http.post("/api/link/session/finish", { json: { outcome: "exit" }, headers: asBrowser(cookie) });
    expect(r.body).toEqual({ redirect_url: null });
    expect((await http.post("/api/link/oauth/start", { json: { connector: "github" }, headers: asBrowser(cookie) })).status).toBe(401);
  });
});

// ---------------------------------------------------------------- at rest, and after time passes (restart: PGlite admits one process)

describe(`at rest and expiry [${db}]`, () => {
  it("K1 expired token and O2 expired state: refused alike after their time; tokens, cookies and verifiers are stored only hashed or sealed; redemptions and connections are audited", async () => {
    const ru = await newUser();
    const expiring = await newLinkToken(ru);
    const unused = await newLinkToken(ru);
    const { cookie } = await openSession(ru);
    const back = await providerRedirect(await startOAuth(cookie));
    const sessionSecret = cookie.split("=")[1]!;

    await server.stop();
    await withDb(db, { dataDir: server.dataDir, databaseUrl: server.databaseUrl }, async ({ db: d }) => {
      // Nothing we hand out is stored in the clear.
      const tokens = await d.select().from(linkTokens);
      const sessions = await d.select().from(linkSessions);
      const states = await d.select().from(linkOauthStates);
      const dump = JSON.stringify([tokens, sessions, states]);
      for (const secret of [expiring, unused, sessionSecret, back.searchParams.get("state")!]) expect(dump).not.toContain(secret);
      expect(tokens.some((t) => t.tokenHash === hashToken(expiring))).toBe(true);
      expect(sessions.some((s) => s.secretHash === hashToken(sessionSecret))).toBe(true);
      expect(states.length).toBeGreaterThan(0);
      for (const s of states) expect(s.codeVerifier).toMatch(/^v1:/);
      const ghRows = await d.select().from(connections).where(and(eq(connections.connector, "github"), eq(connections.ownerType, "registered_user")));
      expect(ghRows.length).toBeGreaterThan(0);
      for (const c of ghRows) {
        expect(c.credential).toMatch(/^v1:/);
        expect(c.refreshTokenHash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(JSON.stringify(await d.select().from(connections))).not.toContain(CANARY_STRIPE);
      // A1: redemptions, connections and reconnections by the end user are in the audit log.
      const audit = await d.select().from(auditLog);
      const actions = new Set(audit.filter((a) => a.actorType === "end_user").map((a) => a.action));
      for (const a of ["link_token.redeemed", "connection.created", "connection.reconnected", "link_session.ended"]) expect(actions, a).toContain(a);
      expect(JSON.stringify(audit)).not.toMatch(/lk_lsess_|lk_link_[0-9A-Za-z]{43}|ghu_|ghr_/);
      // Time passes: the token's 30 minutes and the state's 10 minutes run out.
      await d.update(linkTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(linkTokens.tokenHash, hashToken(expiring)));
      await d.update(linkOauthStates).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(linkOauthStates.stateHash, hashToken(back.searchParams.get("state")!)));
    });
    server = await startLatchkey({ port: server.port, dataDir: server.dataDir, databaseUrl: server.databaseUrl, env: server.env });
    http = client(server.url);

    const expired = await redeem(expiring);
    const unknown = await redeem(`lk_link_${"B".repeat(43)}`);
    expect(expired.status).toBe(410);
    expect(withoutRequestId(expired.body)).toEqual(withoutRequestId(unknown.body));
    expect(expired.body.error.code).toBe("link_token_expired");
    const before = tokenRequests();
    expect(await callback(back, cookie)).toMatchObject({ error: "invalid_state", connector: "github" });
    expect(tokenRequests()).toBe(before);
    // The unexpired one still works after the restart.
    expect((await redeem(unused)).status).toBe(200);
  });
});

// ---------------------------------------------------------------- embedding (issue 5 item 3)

describe(`embedding Link: allowed origins, per-request frame-ancestors, the bearer session [${db}]`, () => {
  const settings = (embed: unknown) => http.req("/api/v1/environment/settings", { method: "PATCH", key: key.secret, json: { embed } });
  const APP = "https://app.embed-test.example";

  it("allowed_origins: exact https origins (or loopback http), no paths, wildcards, credentials or duplicates, at most 20 → 422 with field paths", async () => {
    const bad = ["http://app.example.com", "https://app.example.com/", "https://app.example.com/path", "https://*.example.com", "*", "https://u:p@app.example.com", "https://APP.example.com", "https://app.example.com:443", "javascript:alert(1)", "app.example.com", "null"];
    for (const origin of bad) {
      const r = await settings({ allowed_origins: ["https://ok.example", origin] });
      expect(r.status, origin).toBe(422);
      expect(r.body.error.issues.map((i: { path: string }) => i.path), origin).toEqual(["embed.allowed_origins.1"]);
    }
    const dup = await settings({ allowed_origins: [APP, APP] });
    expect(dup.status).toBe(422);
    expect(dup.body.error.issues[0].path).toBe("embed.allowed_origins");
    const many = await settings({ allowed_origins: Array.from({ length: 21 }, (_, i) => `https://a${i}.example`) });
    expect(many.status).toBe(422);
    expect((await settings({ allowed_origins: [APP], extra: true })).status).toBe(422);

    const ok = await settings({ allowed_origins: [APP, "http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000", "https://app.example.com:8443"] });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.embed).toEqual({ allowed_origins: [APP, "http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000", "https://app.example.com:8443"] });
    expect((await http.get("/api/v1/environment/settings", { key: key.secret })).body).toMatchObject({ embed: { allowed_origins: expect.arrayContaining([APP]) }, idp: null });
  });

  it("/link.js is served to any site (CORS, for Subresource Integrity), cached an hour, and carries no secrets", async () => {
    const r = await http.get("/link.js");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/javascript/);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(r.text).toContain("LatchkeyLink");
    expect(r.text).not.toMatch(/lk_(live|test|link|lsess)_[0-9A-Za-z]{10}/);
  });

  it("/link?embed_origin= gets frame-ancestors for that origin only when an environment lists it; anything else stays 'self'", async () => {
    expect((await settings({ allowed_origins: [APP] })).status).toBe(200);
    const allowed = await http.get(`/link?embed_origin=${encodeURIComponent(APP)}`);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("content-security-policy")).toBe(`frame-ancestors 'self' ${APP}`);
    // X-Frame-Options cannot name another origin; with frame-ancestors present browsers ignore it anyway.
    expect(allowed.headers.get("x-frame-options")).toBeNull();
    expect(allowed.headers.get("referrer-policy")).toBe("no-referrer");
    for (const q of ["https://evil.example", `${APP}/`, `${APP}.evil.example`, "https://*.embed-test.example", `${APP} https://evil.example`, "'none'"]) {
      const r = await http.get(`/link?embed_origin=${encodeURIComponent(q)}`);
      expect(r.headers.get("content-security-policy"), q).toBe("frame-ancestors 'self'");
      expect(r.headers.get("x-frame-options"), q).toBe("SAMEORIGIN");
    }
    // Removing the origin takes effect at once.
    expect((await settings(null)).status).toBe(200);
    expect((await http.get(`/link?embed_origin=${encodeURIComponent(APP)}`)).headers.get("content-security-policy")).toBe("frame-ancestors 'self'");
  });

  it("redemption with an embed_origin: refused (403) without spending the token unless the token's environment lists it; allowed → the session also as a bearer token", async () => {
    expect((await settings({ allowed_origins: [APP] })).status).toBe(200);
    const ru = await newUser();
    const evil = await http.post("/api/link/redeem", { json: { link_token: await newLinkToken(ru), embed_origin: "https://evil.example" }, headers: { "x-forwarded-for": newIp() } });
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe("forbidden");
    expect(JSON.stringify(evil.body)).not.toContain("lk_lsess_");

    const fresh = await newLinkToken(ru, { connectors: ["stripe"] });
    const bad = await http.post("/api/link/redeem", { json: { link_token: fresh, embed_origin: "https://evil.example" }, headers: { "x-forwarded-for": newIp() } });
    expect(bad.status).toBe(403);
    // Not spent: the allowed embedder can still redeem it.
    const good = await http.post("/api/link/redeem", { json: { link_token: fresh, embed_origin: APP }, headers: { "x-forwarded-for": newIp() } });
    expect(good.status, good.text).toBe(200);
    expect(good.body.session_token).toMatch(/^lk_lsess_[0-9A-Za-z]{43}$/);
    expect(good.body.allowed_origins).toEqual([APP]);
    const bearer = { authorization: `Bearer ${good.body.session_token}`, "x-forwarded-for": newIp() };

    // The bearer alone (no cookie: a cross-site frame has none) opens the session routes.
    const view = await http.get("/api/link/session", { headers: bearer });
    expect(view.status).toBe(200);
    expect(view.body.session_token).toBeUndefined();
    const conn = await http.post("/api/link/connections", { json: { connector: "stripe", values: { secret_key: CANARY_STRIPE } }, headers: { ...bearer, origin: server.url } });
    expect(conn.status, conn.text).toBe(200);
    expect(conn.body).toMatchObject({ connector: "stripe", connection_id: expect.stringMatching(/^conn_/), status: "connected" });
    expect((await http.get("/api/link/session", { headers: bearer })).body.connectors[0]).toMatchObject({ slug: "stripe", status: "connected", connection_id: conn.body.connection_id });
    // A malformed bearer is not a session; a plain redemption (no embed_origin) returns no bearer.
    expect((await http.get("/api/link/session", { headers: { authorization: `Bearer ${good.body.session_token}x` } })).status).toBe(401);
    const plain = await redeem(await newLinkToken(ru));
    expect(plain.status).toBe(200);
    expect(plain.body.session_token).toBeUndefined();
    expect((await http.post("/api/link/session/finish", { json: { outcome: "exit" }, headers: { ...bearer, origin: server.url } })).status).toBe(200);
    expect((await http.get("/api/link/session", { headers: bearer })).status).toBe(401);
    expect((await settings(null)).status).toBe(200);
  });

  it("the OAuth popup of an embedded page binds the session to a first-party cookie with the start call (bind_cookie), and the callback accepts it", async () => {
    expect((await settings({ allowed_origins: [APP] })).status).toBe(200);
    const ru = await newUser();
    const r = await http.post("/api/link/redeem", { json: { link_token: await newLinkToken(ru, { connectors: ["github"] }), embed_origin: APP }, headers: { "x-forwarded-for": newIp() } });
    expect(r.status).toBe(200);
    const start = await http.post("/api/link/oauth/start", { json: { connector: "github", bind_cookie: true }, headers: { authorization: `Bearer ${r.body.session_token}`, origin: server.url, "x-forwarded-for": newIp() } });
    expect(start.status, start.text).toBe(200);
    const cookie = cookieOf(start);
    expect(cookie).toBe(`__Host-lk_link=${r.body.session_token}`);
    const cb = await callback(await providerRedirect(start.body.authorize_url), cookie);
    expect(cb).toMatchObject({ connected: "github", error: null });
    expect((await settings(null)).status).toBe(200);
  });
});
