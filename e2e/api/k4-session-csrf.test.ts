// K4: dashboard session and CSRF, against the production build. In Debian's Chromium: every
// cookie the dashboard sets is __Host-/Secure/HttpOnly/SameSite=Lax on a loopback origin, falls
// back (and still works) over plain http on another host, and a new session is issued at every
// sign-in. With plain requests: sign-out and a password change revoke the session server-side;
// state-changing dashboard requests (server actions, Auth.js POSTs) refuse a cross-site origin
// even with a valid session cookie and CSRF token; no REST route takes the cookie; an MCP
// instance URL refuses a foreign Origin.
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthServer, type LocalAuthServer } from "../helpers/oidc";
import { cleanupTempDirs, createApiKeyViaCli, freePort, ROOT, startServer, TEST_DB, type TestServer } from "../helpers/server";

const db = TEST_DB;
const PASSWORD = "k4-correct-horse-battery";
// One user per concern: sign-in is rate-limited per address (10 in 5 minutes).
const OWNER = "owner@k4.test";
const ROTATION = "rotation@k4.test";
const CSRF = "csrf@k4.test";
const REVOKE = "revoke@k4.test";
// lan.test resolves to 127.0.0.1 in the browser: a non-loopback name served over plain http.
const LAN = "lan.test";

let as: LocalAuthServer;
let server: TestServer;
let browser: Browser;
let base: string; // http://127.0.0.1:port, what fetch uses
let local: string; // http://localhost:port, what the browser uses (the SSO redirect URI is registered there)

beforeAll(async () => {
  as = await startAuthServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  local = `http://localhost:${port}`;
  const oidcClient = await as.registerClient(`${local}/api/auth/callback/oidc`, "client_secret_basic");
  server = await startServer({
    db,
    port,
    env: {
      LATCHKEY_ADMIN_EMAIL: OWNER,
      LATCHKEY_ADMIN_PASSWORD: PASSWORD,
      LATCHKEY_OIDC_ISSUER: as.issuer,
      LATCHKEY_OIDC_CLIENT_ID: oidcClient.client_id,
      LATCHKEY_OIDC_CLIENT_SECRET: oidcClient.client_secret,
      LATCHKEY_OIDC_NAME: "Acme SSO",
    },
  });
  for (const email of [ROTATION, CSRF, REVOKE]) {
    const r = await server.cli(["create-admin", "--email", email, "--password", PASSWORD]);
    expect(r.code, r.stderr).toBe(0);
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", `--host-resolver-rules=MAP ${LAN} 127.0.0.1`],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await as?.close();
  cleanupTempDirs();
});

// ---------------------------------------------------------------- helpers

/** A cookie jar for plain requests (Node's fetch keeps none). */
class Jar {
  readonly cookies = new Map<string, string>();
  keep(setCookies: string[]) {
    for (const line of setCookies) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1);
      if (value === "" || /;\s*max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  get(name: string) {
    return this.cookies.get(name);
  }
}

type Raw = { status: number; headers: http.IncomingHttpHeaders; text: string; setCookies: string[] };

/** node:http rather than fetch: fetch will not send a Host header of our choosing. */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", headers: { ...opts.headers, ...(opts.body !== undefined ? { "content-length": Buffer.byteLength(opts.body) } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, setCookies: res.headers["set-cookie"] ?? [] }));
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.end(opts.body);
  });
}

function json(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function csrfToken(jar: Jar): Promise<string> {
  const r = await raw(`${base}/api/auth/csrf`, { headers: { cookie: jar.header() } });
  jar.keep(r.setCookies);
  return json(r.text).csrfToken;
}

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

/** Password sign-in the way next-auth/react does it, same-origin. */
async function fetchLogin(email: string, password = PASSWORD): Promise<Jar> {
  const jar = new Jar();
  const token = await csrfToken(jar);
  const r = await raw(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { origin: base, "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1", cookie: jar.header() },
    body: form({ email, password, csrfToken: token }),
  });
  expect(r.status, r.text).toBe(200);
  jar.keep(r.setCookies);
  expect(jar.get("__Host-authjs.session-token"), `no session cookie after signing in as ${email}`).toBeTruthy();
  return jar;
}

/** Who the cookie says is signed in, per Auth.js (null when nobody). */
async function sessionEmail(cookie: string): Promise<string | null> {
  const r = await raw(`${base}/api/auth/session`, { headers: { cookie } });
  expect(r.status).toBe(200);
  return json(r.text)?.user?.email ?? null;
}

const SESSION = "__Host-authjs.session-token";

function actionId(name: string): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, ".next", "server", "server-reference-manifest.json"), "utf8")) as { node: Record<string, { exportedName?: string }> };
  const found = Object.entries(manifest.node).find(([, v]) => v.exportedName === name);
  if (!found) throw new Error(`server action ${name} is not in the build`);
  return found[0];
}

/** Calls a server action the way the React client does (fetch action, JSON-encoded arguments). */
function callAction(name: string, pagePath: string, args: unknown[], headers: Record<string, string>) {
  return raw(`${base}${pagePath}`, {
    method: "POST",
    headers: { "next-action": actionId(name), "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", ...headers },
    body: JSON.stringify(args),
  });
}

function expectRefused(r: Raw, what: string) {
  expect(r.status, `${what} → ${r.status} ${r.text.slice(0, 300)}`).toBe(403);
  expect(json(r.text)?.error, what).toMatchObject({ code: "forbidden", message: expect.any(String) });
}

/** Records every Set-Cookie the app (not the IdP) sends to the page. */
function recordSetCookies(page: Page, origin: string): { lines: string[]; settled: () => Promise<void> } {
  const lines: string[] = [];
  const pending: Promise<void>[] = [];
  page.on("response", (res) => {
    if (new URL(res.url()).origin !== origin) return;
    pending.push(
      res
        .headersArray()
        .then((hs) => {
          for (const h of hs) if (h.name.toLowerCase() === "set-cookie") lines.push(...h.value.split("\n"));
        })
        .catch(() => {}),
    );
  });
  return { lines, settled: async () => void (await Promise.all(pending)) };
}

async function passwordLogin(page: Page, origin: string, email: string) {
  await page.goto(`${origin}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.getByTestId("env-badge").count(), { timeout: 20_000 }).toBe(1);
}

/** Plants a session cookie the way script on the origin could (CDP refuses to add a __Host- cookie by URL). */
async function plant(page: Page, value: string) {
  await page.goto(`${local}/login`);
  await page.evaluate(([name, v]) => void (document.cookie = `${name}=${v}; Path=/; Secure; SameSite=Lax`), [SESSION, value] as const);
  expect((await page.context().cookies(local)).find((c) => c.name === SESSION)?.value).toBe(value);
}

async function cookieValue(context: BrowserContext, origin: string, name: string) {
  return (await context.cookies(origin)).find((c) => c.name === name)?.value;
}

// ---------------------------------------------------------------- cookies in the browser

describe(`K4: dashboard cookies in Chromium [${db}]`, () => {
  it("K4: on a loopback origin every dashboard cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, without Domain (password sign-in, environment switch, sign-out, SSO)", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = recordSetCookies(page, local);

    await passwordLogin(page, local, OWNER);
    // The environment switch sets our own cookie.
    const switcher = page.getByTestId("env-switcher");
    await switcher.selectOption((await switcher.locator("option", { hasText: "(test)" }).first().getAttribute("value")) ?? "");
    await expect.poll(() => page.getByTestId("test-banner").count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/, { timeout: 15_000 });

    // SSO: PKCE verifier, state and nonce are set on the way to the IdP; then the callback signs in.
    await page.getByRole("button", { name: "Continue with Acme SSO" }).click();
    await page.locator('input[name="login"]').waitFor({ timeout: 15_000 });
    const midFlight = (await context.cookies(local)).map((c) => c.name);
    expect(midFlight).toEqual(expect.arrayContaining(["__Host-authjs.pkce.code_verifier", "__Host-authjs.state", "__Host-authjs.nonce"]));
    await page.locator('input[name="login"]').fill(OWNER);
    await page.locator('input[name="password"]').fill("any");
    await page.locator('button[type="submit"]').click();
    const consent = page.locator('button[type="submit"]');
    if (await consent.isVisible().catch(() => false)) await consent.click();
    await page.waitForURL((u) => u.origin === local, { timeout: 15_000 });
    await expect.poll(() => page.getByTestId("env-badge").count(), { timeout: 15_000 }).toBe(1);
    await seen.settled();

    const names = new Set(seen.lines.map((l) => l.split("=")[0]!.trim()));
    for (const expected of ["session-token", "csrf-token", "callback-url", "pkce.code_verifier", "state", "nonce"]) {
      expect([...names], `no authjs.${expected} cookie was set`).toContain(`__Host-authjs.${expected}`);
    }
    expect([...names]).toContain("__Host-lk_env");
    for (const line of seen.lines) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const lower = attrs.map((a) => a.toLowerCase());
      expect(pair, line).toMatch(/^__Host-/);
      expect(lower, line).toEqual(expect.arrayContaining(["secure", "httponly", "samesite=lax", "path=/"]));
      expect(lower.filter((a) => a.startsWith("domain=")), line).toEqual([]);
    }
    // And the browser stored them as such (Chromium drops a __Host- cookie that breaks the rules).
    const jar = await context.cookies(local);
    expect(jar.map((c) => c.name)).toContain(SESSION);
    for (const c of jar) {
      expect(c, c.name).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax", path: "/", domain: "localhost" });
      expect(c.name).toMatch(/^__Host-/);
    }
    await context.close();
  }, 120_000);

  it("K4: over plain http on a non-loopback host the cookies fall back to no prefix and no Secure (still HttpOnly, SameSite=Lax), sign-in still works, and the server warns", async () => {
    const lan = `http://${LAN}:${server.port}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await passwordLogin(page, lan, OWNER);
    const jar = await context.cookies(lan);
    expect(jar.map((c) => c.name)).toEqual(expect.arrayContaining(["authjs.session-token", "authjs.csrf-token"]));
    for (const c of jar) {
      expect(c.name, "a __Host- or Secure cookie would be dropped by the browser here").not.toMatch(/^__(Host|Secure)-/);
      expect(c, c.name).toMatchObject({ secure: false, httpOnly: true, sameSite: "Lax", path: "/", domain: LAN });
    }
    expect(server.logs()).toContain("dashboard served over plain http on a non-loopback host");
    await context.close();
  }, 60_000);

  it("K4: each sign-in issues a new session token; a cookie planted before sign-in neither authenticates nor survives", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await plant(page, "planted-by-attacker");
    await page.goto(`${local}/`);
    await page.waitForURL(/\/login/, { timeout: 15_000 });

    await passwordLogin(page, local, ROTATION);
    const first = await cookieValue(context, local, SESSION);
    expect(first).toBeTruthy();
    expect(first).not.toBe("planted-by-attacker");

    // Fixation with a real session: an attacker plants a valid cookie of their own account; the
    // victim signs in on top of it and gets a fresh token for their own account, and ending the
    // attacker's session does not touch the victim's.
    const attacker = await fetchLogin(CSRF);
    const planted = attacker.get(SESSION)!;
    const victim = await browser.newContext();
    const vpage = await victim.newPage();
    await plant(vpage, planted);
    const whoami = () => vpage.evaluate(async () => ((await (await fetch("/api/auth/session")).json()) as { user?: { email?: string } } | null)?.user?.email ?? null);
    expect(await whoami()).toBe(CSRF);
    // What the login form does (next-auth/react): CSRF token, then the credentials callback.
    const status = await vpage.evaluate(async ([email, password]) => {
      const { csrfToken } = (await (await fetch("/api/auth/csrf")).json()) as { csrfToken: string };
      const r = await fetch("/api/auth/callback/credentials", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1" },
        body: new URLSearchParams({ email, password, csrfToken }),
      });
      return r.status;
    }, [ROTATION, PASSWORD] as const);
    expect(status).toBe(200);
    const victimToken = await cookieValue(victim, local, SESSION);
    expect(victimToken).toBeTruthy();
    expect(victimToken).not.toBe(planted);
    expect(victimToken).not.toBe(first);
    expect(await whoami()).toBe(ROTATION);
    const token = await csrfToken(attacker);
    const out = await raw(`${base}/api/auth/signout`, { method: "POST", headers: { origin: base, "content-type": "application/x-www-form-urlencoded", cookie: attacker.header() }, body: form({ csrfToken: token }) });
    expect(out.status).toBeLessThan(400);
    expect(await sessionEmail(`${SESSION}=${planted}`)).toBeNull();
    expect(await whoami()).toBe(ROTATION);

    // Signing in again in the first browser replaces its token once more.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/, { timeout: 15_000 });
    await passwordLogin(page, local, ROTATION);
    const second = await cookieValue(context, local, SESSION);
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    await victim.close();
    await context.close();
  }, 120_000);
});

// ---------------------------------------------------------------- revocation

describe(`K4: sessions end server-side [${db}]`, () => {
  it("K4: after sign-out a copy of the session cookie no longer authenticates", async () => {
    const jar = await fetchLogin(REVOKE);
    const copy = `${SESSION}=${jar.get(SESSION)}`;
    expect(await sessionEmail(copy)).toBe(REVOKE);
    const token = await csrfToken(jar);
    const out = await raw(`${base}/api/auth/signout`, { method: "POST", headers: { origin: base, "content-type": "application/x-www-form-urlencoded", cookie: jar.header() }, body: form({ csrfToken: token }) });
    expect(out.status).toBeLessThan(400);
    expect(await sessionEmail(copy)).toBeNull();
    const page = await raw(`${base}/settings`, { headers: { cookie: copy } });
    expect(page.text).not.toContain(REVOKE);
    expect(page.status === 307 || /NEXT_REDIRECT;[a-z]+;\/login;/.test(page.text), `GET /settings with a signed-out cookie → ${page.status}`).toBe(true);
  });

  it("K4: a password change ends every session of that user", async () => {
    const a = await fetchLogin(REVOKE);
    const b = await fetchLogin(REVOKE);
    const other = await fetchLogin(CSRF);
    const r = await server.cli(["create-admin", "--email", REVOKE, "--password", `${PASSWORD}-new`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await sessionEmail(a.header())).toBeNull();
    expect(await sessionEmail(b.header())).toBeNull();
    expect(await sessionEmail(other.header())).toBe(CSRF);
    expect(await sessionEmail((await fetchLogin(REVOKE, `${PASSWORD}-new`)).header())).toBe(REVOKE);
  });
});

// ---------------------------------------------------------------- cross-site requests

describe(`K4: state-changing dashboard requests refuse a cross-site origin [${db}]`, () => {
  let jar: Jar;
  beforeAll(async () => {
    jar = await fetchLogin(CSRF);
  });

  const settingsHtml = async () => (await raw(`${base}/settings`, { headers: { cookie: jar.header() } })).text;

  it("K4: a server action with a valid session cookie but a cross-site Origin (or, without Origin, Sec-Fetch-Site / Referer) gets 403 and changes nothing; from the dashboard itself it works", async () => {
    const hostile: Record<string, string>[] = [
      { origin: "http://evil.test" },
      { origin: "https://evil.test" },
      // Same site, other origin: SameSite=Lax would still send the cookie.
      { origin: `http://localhost:${server.port}` },
      { origin: `http://127.0.0.1:${server.port + 1}` },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { referer: "http://evil.test/attack.html" },
    ];
    for (const [i, headers] of hostile.entries()) {
      const r = await callAction("createEnvironmentAction", "/settings", [{ name: `k4-hostile-${i}` }], { cookie: jar.header(), ...headers });
      expectRefused(r, `createEnvironmentAction with ${JSON.stringify(headers)}`);
    }
    const ok = await callAction("createEnvironmentAction", "/settings", [{ name: "k4-same-origin" }], { cookie: jar.header(), origin: base, "sec-fetch-site": "same-origin" });
    expect(ok.status, ok.text.slice(0, 300)).toBe(200);
    const html = await settingsHtml();
    expect(html).toContain("k4-same-origin");
    expect(html).not.toContain("k4-hostile-");
  });

  it("K4: the invitation form (a server action without a session) refuses a cross-site Origin too", async () => {
    const r = await callAction("acceptInvitationAction", "/invite/lk_inv_k4", [{ token: "lk_inv_k4", password: "whatever-password-1", name: "x" }], { origin: "http://evil.test" });
    expectRefused(r, "acceptInvitationAction from evil.test");
  });

  it("K4: Auth.js POST endpoints refuse a cross-site Origin even with a valid CSRF token: sign-out, credentials sign-in, SSO sign-in", async () => {
    const token = await csrfToken(jar);
    const post = (p: string, body: Record<string, string>, origin: string, cookie = jar.header()) =>
      raw(`${base}/api/auth/${p}`, { method: "POST", headers: { origin, "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1", cookie }, body: form(body) });

    const out = await post("signout", { csrfToken: token }, "http://evil.test");
    expectRefused(out, "sign-out from evil.test");
    expect(out.setCookies).toEqual([]);
    expect(await sessionEmail(jar.header())).toBe(CSRF);

    // Login CSRF: signing the victim's browser into an account of the attacker's choosing.
    const fresh = new Jar();
    const freshToken = await csrfToken(fresh);
    const login = await post("callback/credentials", { email: CSRF, password: PASSWORD, csrfToken: freshToken }, `http://localhost:${server.port}`, fresh.header());
    expectRefused(login, "credentials sign-in from another origin");
    expect(login.setCookies.filter((c) => c.includes("session-token"))).toEqual([]);

    const sso = await post("signin/oidc", { csrfToken: freshToken, callbackUrl: "/" }, "http://evil.test", fresh.header());
    expectRefused(sso, "SSO sign-in from evil.test");
  });

  it("K4: Auth.js builds its redirects on the host the browser used (127.0.0.1 stays 127.0.0.1), so host-only cookies come back", async () => {
    const fresh = new Jar();
    const token = await csrfToken(fresh);
    expect(decodeURIComponent(fresh.get("__Host-authjs.callback-url") ?? "")).toBe(base);
    const r = await raw(`${base}/api/auth/signin/oidc`, {
      method: "POST",
      headers: { origin: base, "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1", cookie: fresh.header() },
      body: form({ csrfToken: token, callbackUrl: "/" }),
    });
    expect(r.status, r.text).toBe(200);
    const authorize = new URL(json(r.text).url);
    expect(authorize.origin).toBe(as.issuer);
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${base}/api/auth/callback/oidc`);
  });

  it("K4: no /api/v1 route accepts the dashboard session cookie as authentication", async () => {
    const apiDir = path.join(ROOT, "app", "api", "v1");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name));
        else if (/^route\.(ts|tsx|js)$/.test(e.name)) files.push(path.join(dir, e.name));
      }
    };
    walk(apiDir);
    const checked: string[] = [];
    for (const file of files) {
      const url = `/${path.relative(path.join(ROOT, "app"), path.dirname(file)).split(path.sep).map((s) => (s.startsWith("[") ? "x_k4" : s)).join("/")}`;
      if (url === "/api/v1/openapi.json") continue; // public by design
      const src = readFileSync(file, "utf8");
      const methods = new Set<string>();
      for (const m of src.matchAll(/export\s+(?:const|let|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE)\b/g)) methods.add(m[1]!);
      for (const m of src.matchAll(/export\s*(?:const\s*)?\{([^}]*)\}/g)) {
        for (const part of m[1]!.split(",")) {
          const name = part.trim().split(/\s+as\s+|\s*:\s*/).pop()!;
          if (/^(GET|POST|PUT|PATCH|DELETE)$/.test(name)) methods.add(name);
        }
      }
      expect(methods.size, `${file} exports no handler this test recognizes`).toBeGreaterThan(0);
      for (const method of methods) {
        const r = await raw(`${base}${url}`, {
          method,
          headers: { cookie: jar.header(), origin: base, "content-type": "application/json", accept: "application/json, text/event-stream" },
          ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
        });
        expect(r.status, `${method} ${url} with only the dashboard cookie → ${r.status} ${r.text.slice(0, 200)}`).toBe(401);
        checked.push(`${method} ${url}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(20);
  });
});

// ---------------------------------------------------------------- MCP transport

describe(`K4: MCP transport DNS-rebinding protection [${db}]`, () => {
  it("K4: an MCP instance URL refuses a foreign Origin with 403, also when Host carries the same foreign name (a rebinding page)", async () => {
    const key = await createApiKeyViaCli(server, "test", "k4");
    const auth = { authorization: `Bearer ${key.secret}`, "content-type": "application/json" };
    const pack = await raw(`${base}/api/v1/tool-packs`, { method: "POST", headers: auth, body: JSON.stringify({ name: "K4 pack", entries: [{ connector: "stripe", tools: ["stripe_get_balance"] }] }) });
    expect(pack.status, pack.text).toBe(201);
    const inst = await raw(`${base}/api/v1/mcp-instances/ensure`, { method: "POST", headers: auth, body: JSON.stringify({ tool_pack_id: json(pack.text).id, user_identifier: "k4-user" }) });
    expect(inst.status, inst.text).toBeLessThan(300);
    const mcpPath = new URL(json(inst.text).url).pathname;
    const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "k4", version: "1" } } });
    const call = (headers: Record<string, string>) =>
      raw(`${base}${mcpPath}`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: initialize });

    expect((await call({})).status).toBe(200);
    expect((await call({ origin: base })).status).toBe(200);
    const foreign: Record<string, string>[] = [{ origin: "http://evil.test" }, { origin: `http://rebind.test:${server.port}`, host: `rebind.test:${server.port}` }, { origin: "null" }];
    for (const headers of foreign) {
      const r = await call(headers);
      expect(r.status, `initialize with ${JSON.stringify(headers)} → ${r.status} ${r.text.slice(0, 200)}`).toBe(403);
    }
  });
});
