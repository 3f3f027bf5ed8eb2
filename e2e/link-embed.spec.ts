import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";
import { createStripeSandbox } from "@/lib/sandbox/stripe";

// The embeddable Link (issue 5 item 3): an app page on another site (http://localhost:<port>,
// a different site from Latchkey's http://127.0.0.1:<port>) loads /link.js and opens Link in a
// modal iframe and in a popup; the user connects Stripe through the form; the page hears
// ready → connected → exit. A site not in the environment's list can neither frame Link nor
// hear anything, and forged messages are ignored. The dashboard's demo page uses the component.

const port = Number(process.env.LATCHKEY_E2E_PORT ?? 3311);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = path.resolve(`.test-data/playwright-${port}`);
const STRIPE_KEY = `sk_test_${randomBytes(12).toString("hex")}`;
const CLIENT_ID = "Iv1.playwright-embed";
const CLIENT_SECRET = `pw-secret-${randomBytes(6).toString("hex")}`;

let apiKey = "";
let stripe: Awaited<ReturnType<typeof serveSandbox>>;
let github: Awaited<ReturnType<typeof serveSandbox>>;
let app: { origin: string; close: () => Promise<void> };
let evil: { origin: string; close: () => Promise<void> };

function cli(args: string[]): Record<string, string> {
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args, "--json"], { env: { ...process.env, LATCHKEY_DATA_DIR: dataDir }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!) as Record<string, string>;
}

/** The app's page: loads link.js from Latchkey, records every callback, and every raw message it receives. */
const hostPage = (latchkey: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Host app</title><script src="${latchkey}/link.js"></script></head>
<body>
<button id="open-modal">Open modal</button> <button id="open-popup">Open popup</button>
<script>
  window.events = []; window.callbacks = []; window.raw = [];
  window.addEventListener("message", function (e) { window.raw.push({ origin: e.origin, data: e.data }); });
  function opts(mode) {
    return {
      linkToken: new URLSearchParams(location.search).get("t"), mode: mode,
      onEvent: function (e) { window.events.push(e); },
      onSuccess: function (c) { window.callbacks.push(["success", c]); },
      onExit: function (r) { window.callbacks.push(["exit", r]); },
      onError: function (e) { window.callbacks.push(["error", e]); },
    };
  }
  document.getElementById("open-modal").onclick = function () { window.handle = LatchkeyLink.open(opts("modal")); };
  document.getElementById("open-popup").onclick = function () { window.handle = LatchkeyLink.open(opts("popup")); };
</script></body></html>`;

/** Another site's page, framed by the app, that forges Link events at its parent. */
const forgePage = `<!doctype html><html><body><script>
  parent.postMessage({ source: "latchkey-link", type: "connected", connection: { id: "conn_forged1", connector: "stripe", status: "active" } }, "*");
  parent.postMessage({ source: "latchkey-link", type: "exit", reason: "done" }, "*");
</script></body></html>`;

/** A static server on 127.0.0.1, addressed as http://localhost:<port> (another site than 127.0.0.1). */
async function serveSite(pages: Record<string, string>) {
  const server = http.createServer((req, res) => {
    const body = pages[(req.url ?? "/").split("?")[0]!];
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body ?? "not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const auth = () => ({ authorization: `Bearer ${apiKey}` });

async function newToken(request: APIRequestContext, connectors = ["stripe"]): Promise<{ token: string; ru: string }> {
  const u = await request.post("/api/v1/registered-users", { data: { origin_user_id: `embed-${randomBytes(4).toString("hex")}` }, headers: auth() });
  expect(u.status()).toBe(201);
  const ru = (await u.json()).id as string;
  const t = await request.post("/api/v1/link-tokens", { data: { registered_user_id: ru, connectors }, headers: auth() });
  expect(t.status()).toBe(201);
  return { token: (await t.json()).link_token as string, ru };
}

const events = (page: Page) => page.evaluate(() => (window as unknown as { events: { type: string }[] }).events);
const callbacks = (page: Page) => page.evaluate(() => (window as unknown as { callbacks: unknown[] }).callbacks);
const types = async (page: Page) => (await events(page)).map((e) => e.type);

async function connectStripe(link: ReturnType<Page["frameLocator"]> | Page) {
  await link.getByRole("button", { name: "Connect Stripe" }).click();
  await link.getByLabel("Secret key").fill(STRIPE_KEY);
  await link.getByRole("button", { name: "Connect Stripe" }).click();
  await expect(link.getByRole("heading", { name: "Stripe connected" })).toBeVisible();
}

async function connectionIdsOf(request: APIRequestContext, ru: string): Promise<string[]> {
  const r = await request.get(`/api/v1/registered-users/${ru}/connections`, { headers: auth() });
  return ((await r.json()).data as { id: string }[]).map((c) => c.id);
}

test.beforeAll(async ({ request }) => {
  const owner = `owner-${randomBytes(3).toString("hex")}@embed.test`;
  cli(["create-admin", "--email", owner, "--role", "viewer"]);
  const org = cli(["create-organization", "--name", "Embed Co", "--owner-email", owner]);
  apiKey = cli(["create-api-key", "--env", "test", "--org", org.id!, "--name", "embed e2e"]).secret!;
  stripe = await serveSandbox(createStripeSandbox({ authorize: (k) => k === STRIPE_KEY }));
  expect((await request.patch("/api/v1/connectors/stripe/config", { data: { base_url: stripe.url }, headers: auth() })).status()).toBe(200);
  github = await serveSandbox(createGithubSandbox({ oauth: { consent: true, issuerParameter: true, clients: { [CLIENT_ID]: { secret: CLIENT_SECRET, redirectUris: [`${baseURL}/oauth/callback`] } } } }));
  const gh = await request.patch("/api/v1/connectors/github/config", {
    data: { base_url: github.url, oauth_client_id: CLIENT_ID, oauth_client_secret: CLIENT_SECRET, oauth_authorize_url: `${github.url}/login/oauth/authorize`, oauth_token_url: `${github.url}/login/oauth/access_token` },
    headers: auth(),
  });
  expect(gh.status(), await gh.text()).toBe(200);
  app = await serveSite({ "/host.html": hostPage(baseURL) });
  evil = await serveSite({ "/host.html": hostPage(baseURL), "/forge.html": forgePage });
  const s = await request.patch("/api/v1/environment/settings", { data: { embed: { allowed_origins: [app.origin] } }, headers: auth() });
  expect(s.status(), await s.text()).toBe(200);
});

test.afterAll(async () => {
  await stripe?.close();
  await github?.close();
  await app?.close();
  await evil?.close();
});

test.describe("embedded Link", () => {
  test("modal iframe from another site: ready, connected with the connection id, done → exit; a forged message is ignored", async ({ page, request }) => {
    const { token, ru } = await newToken(request);
    await page.goto(`${app.origin}/host.html?t=${token}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    const dialog = page.getByRole("dialog", { name: "Connect your accounts" });
    await expect(dialog).toHaveAttribute("aria-modal", "true");
    await expect(page.getByRole("button", { name: "Close" })).toBeFocused();
    const link = page.frameLocator('iframe[title="Latchkey Link"]');
    await expect(link.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
    await expect.poll(() => types(page)).toEqual(["ready"]);

    // A page of another site, framed by the app, posts look-alike events: not from Latchkey's frame, ignored.
    await page.evaluate((src) => {
      const f = document.createElement("iframe");
      f.src = src;
      document.body.appendChild(f);
    }, `${evil.origin}/forge.html`);
    // The app's own window posting one is ignored too (wrong origin, wrong source).
    await page.evaluate(() => window.postMessage({ source: "latchkey-link", type: "exit", reason: "cancel" }, "*"));
    await expect.poll(() => page.evaluate(() => (window as unknown as { raw: { data: { connection?: { id: string } } }[] }).raw.filter((m) => m.data?.connection?.id === "conn_forged1").length)).toBe(1);

    await connectStripe(link);
    await expect.poll(() => types(page)).toEqual(["ready", "connected"]);
    const connected = (await events(page))[1] as unknown as { connection: { id: string; connector: string; status: string } };
    expect(connected.connection).toMatchObject({ connector: "stripe", status: "active", id: expect.stringMatching(/^conn_/) });
    expect(await connectionIdsOf(request, ru)).toEqual([connected.connection.id]);
    expect(await callbacks(page)).toEqual([["success", connected.connection]]);
    // Nothing secret ever crossed to the app.
    expect(JSON.stringify(await page.evaluate(() => (window as unknown as { raw: unknown[] }).raw))).not.toMatch(/sk_test_|lk_lsess_|lk_link_/);

    await link.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => types(page)).toEqual(["ready", "connected", "exit"]);
    expect((await events(page))[2]).toEqual({ source: "latchkey-link", type: "exit", reason: "done" });
    await expect(dialog).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Open modal" })).toBeFocused();
  });

  test("Cancel in the modal → exit (cancel); Escape closes another → exit (closed)", async ({ page, request }) => {
    await page.goto(`${app.origin}/host.html?t=${(await newToken(request)).token}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    const link = page.frameLocator('iframe[title="Latchkey Link"]');
    await expect(link.getByRole("button", { name: "Cancel" })).toBeVisible();
    await expect.poll(() => types(page)).toEqual(["ready"]);
    await link.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => events(page)).toEqual([
      { source: "latchkey-link", type: "ready" },
      { source: "latchkey-link", type: "exit", reason: "cancel" },
    ]);
    await expect(page.getByRole("dialog")).toHaveCount(0);

    // Escape on the dialog's own controls closes it (closed); Escape inside Link cancels (the
    // frame has the keyboard there, so Link itself hears it).
    await page.goto(`${app.origin}/host.html?t=${(await newToken(request)).token}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    await expect.poll(() => types(page)).toEqual(["ready"]);
    await page.getByRole("button", { name: "Close" }).focus();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
    expect(await callbacks(page)).toEqual([["exit", "closed"]]);

    await page.goto(`${app.origin}/host.html?t=${(await newToken(request)).token}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    await expect.poll(() => types(page)).toEqual(["ready"]);
    await page.frameLocator('iframe[title="Latchkey Link"]').getByRole("heading", { name: "Connect your accounts" }).focus();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
    expect(await callbacks(page)).toEqual([["exit", "cancel"]]);
  });

  test("popup: ready, connected, done → exit; closing a popup → exit (closed)", async ({ page, request }) => {
    const { token, ru } = await newToken(request);
    await page.goto(`${app.origin}/host.html?t=${token}`);
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open popup" }).click()]);
    await expect(popup.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
    await expect.poll(() => types(page)).toEqual(["ready"]);
    await connectStripe(popup);
    await expect.poll(() => types(page)).toEqual(["ready", "connected"]);
    const id = ((await events(page))[1] as unknown as { connection: { id: string } }).connection.id;
    expect(await connectionIdsOf(request, ru)).toEqual([id]);
    await popup.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => types(page)).toEqual(["ready", "connected", "exit"]);
    await expect.poll(() => popup.isClosed()).toBe(true);

    await page.goto(`${app.origin}/host.html?t=${(await newToken(request)).token}`);
    const [p2] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open popup" }).click()]);
    await expect.poll(() => types(page)).toEqual(["ready"]);
    await p2.close();
    await expect.poll(() => callbacks(page)).toEqual([["exit", "closed"]]);
  });

  test("OAuth from a cross-site frame: the sign-in opens in a popup, which reports back to the frame; the app hears connected", async ({ page, request, context }) => {
    const { token, ru } = await newToken(request, ["github"]);
    await page.goto(`${app.origin}/host.html?t=${token}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    const link = page.frameLocator('iframe[title="Latchkey Link"]');
    await expect.poll(() => types(page)).toEqual(["ready"]);
    // The frame is cross-site: the browser kept no Link cookie for it.
    expect((await context.cookies(baseURL)).filter((c) => c.name.endsWith("lk_link"))).toEqual([]);
    const [popup] = await Promise.all([page.waitForEvent("popup"), link.getByRole("button", { name: "Connect GitHub" }).click()]);
    await expect(popup.getByRole("heading", { name: "Authorize application" })).toBeVisible();
    await popup.getByRole("button", { name: "Authorize" }).click();
    await expect(link.getByRole("heading", { name: "GitHub connected" })).toBeVisible();
    await expect.poll(() => types(page)).toEqual(["ready", "connected"]);
    const c = ((await events(page))[1] as unknown as { connection: { id: string; connector: string } }).connection;
    expect(c.connector).toBe("github");
    expect(await connectionIdsOf(request, ru)).toEqual([c.id]);
    await expect.poll(() => popup.isClosed(), { timeout: 10_000 }).toBe(true);
  });

  test("OAuth in popup mode: the popup goes to the provider and back, and still reports to the app", async ({ page, request }) => {
    const { token, ru } = await newToken(request, ["github"]);
    await page.goto(`${app.origin}/host.html?t=${token}`);
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open popup" }).click()]);
    await expect.poll(() => types(page)).toEqual(["ready"]);
    await popup.getByRole("button", { name: "Connect GitHub" }).click();
    await popup.getByRole("button", { name: "Authorize" }).click();
    await expect(popup.getByRole("heading", { name: "GitHub connected" })).toBeVisible();
    await expect.poll(() => types(page)).toEqual(["ready", "connected"]);
    expect(await connectionIdsOf(request, ru)).toEqual([((await events(page))[1] as unknown as { connection: { id: string } }).connection.id]);
    await popup.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => callbacks(page)).toEqual([["success", expect.objectContaining({ connector: "github" })], ["exit", "done"]]);
  });

  test("a site not in the environment's list: the frame is refused by CSP, a popup shows an error, and no event reaches it", async ({ page, request }) => {
    const refused: string[] = [];
    page.on("console", (m) => {
      if (/frame-ancestors/.test(m.text())) refused.push(m.text());
    });
    const frameToken = (await newToken(request)).token;
    await page.goto(`${evil.origin}/host.html?t=${frameToken}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    await expect.poll(() => refused.length).toBeGreaterThan(0);
    await expect(page.frameLocator('iframe[title="Latchkey Link"]').getByRole("heading", { name: "Connect your accounts" })).toHaveCount(0);

    // The popup is a top-level window, so nothing stops it loading; redemption refuses the origin,
    // the token stays unspent, and nothing is posted.
    await page.goto(`${evil.origin}/host.html?t=${(await newToken(request)).token}`);
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open popup" }).click()]);
    await expect(popup.getByTestId("link-error")).toContainText("may not embed the Link page");
    await popup.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { raw: unknown[] }).raw)).toEqual([]);
    expect(await events(page)).toEqual([]);
    await popup.close();

    // The frame never even loaded: its token is still good for the real app.
    await page.goto(`${app.origin}/host.html?t=${frameToken}`);
    await page.getByRole("button", { name: "Open modal" }).click();
    await expect.poll(() => types(page)).toEqual(["ready"]);
  });
});

test("the dashboard's Link demo opens the component and shows ready; the settings form validates allowed origins", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("env-badge")).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Link demo", exact: true }).click();
  await page.getByLabel("Or an origin_user_id (found or created)").fill(`demo-${randomBytes(3).toString("hex")}`);
  await page.getByRole("button", { name: "Mint a link token" }).click();
  await expect(page.getByTestId("link-demo-token")).toBeVisible();
  await page.getByRole("button", { name: "Open Link" }).click();
  await expect(page.getByRole("dialog", { name: "Connect your accounts" })).toBeVisible();
  await expect(page.frameLocator('iframe[title="Latchkey Link"]').getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
  await expect(page.getByTestId("link-demo-log").locator('[data-event="ready"]')).toHaveCount(1);
  await page.getByRole("button", { name: "Close" }).click();
  await expect(page.getByTestId("link-demo-log").locator('[data-event="exit"]')).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Mint a link token" })).toBeFocused();

  // The hook's popup mode: ready, then closing the window is an exit.
  await page.getByLabel("Popup window").check();
  await page.getByRole("button", { name: "Mint a link token" }).click();
  await expect(page.getByTestId("link-demo-token")).toContainText("until");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open Link" }).click()]);
  await expect(popup.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
  await expect(page.getByTestId("link-demo-log").locator('[data-event="ready"]')).toHaveCount(2);
  await popup.close();
  await expect(page.getByTestId("link-demo-log").locator('[data-event="exit"]')).toHaveCount(2);
  await expect(page.getByTestId("link-demo-log").locator('[data-event="exit"]').last()).toContainText('"reason":"closed"');

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
  const form = page.getByTestId("embed-form");
  const origins = form.getByLabel("Allowed origins");
  await origins.fill("https://app.example.com\nhttps://app.example.com/path");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("alert")).toBeVisible();
  await expect(form).toContainText("https://app.example.com/path: must be an exact origin");
  await expect(origins).toHaveAttribute("aria-invalid", "true");
  await origins.fill("https://app.example.com\nhttp://localhost:5173");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText("Saved.");
  await page.reload();
  await expect(page.getByTestId("embed-form").getByLabel("Allowed origins")).toHaveValue("https://app.example.com\nhttp://localhost:5173");
  await page.getByTestId("embed-form").getByLabel("Allowed origins").fill("");
  await page.getByTestId("embed-form").getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("embed-form").getByRole("status")).toHaveText("Saved.");
});
