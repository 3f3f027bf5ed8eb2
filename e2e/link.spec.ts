import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";
import { createStripeSandbox } from "@/lib/sandbox/stripe";

// An end user connects their accounts on the hosted Link page (issue 5): branding and
// statuses, GitHub through the sandbox provider's consent page, Stripe through the form (a
// bad key first), on a desktop and on a 360 px phone, with the keyboard and labelled fields.

const port = Number(process.env.LATCHKEY_E2E_PORT ?? 3311);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = path.resolve(`.test-data/playwright-${port}`);
const CLIENT_ID = "Iv1.playwright-link";
const CLIENT_SECRET = `pw-secret-${randomBytes(6).toString("hex")}`;
const STRIPE_KEY = `sk_test_${randomBytes(12).toString("hex")}`;

let apiKey = "";
let github: Awaited<ReturnType<typeof serveSandbox>>;
let stripe: Awaited<ReturnType<typeof serveSandbox>>;

/** The admin CLI talks to the running server through its socket in the data directory. */
function cli(args: string[]): Record<string, string> {
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args, "--json"], { env: { ...process.env, LATCHKEY_DATA_DIR: dataDir }, encoding: "utf8" });
  const line = out.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!;
  return JSON.parse(line) as Record<string, string>;
}

const api = (request: APIRequestContext) => ({
  post: async (p: string, data: unknown) => {
    const r = await request.post(p, { data, headers: { authorization: `Bearer ${apiKey}` } });
    expect(r.status(), await r.text()).toBeLessThan(300);
    return r.json();
  },
  patch: async (p: string, data: unknown) => {
    const r = await request.patch(p, { data, headers: { authorization: `Bearer ${apiKey}` } });
    expect(r.status(), await r.text()).toBe(200);
  },
});

test.beforeAll(async ({ request }) => {
  // Its own organization, so nothing here shows up in the dashboard tests' environments.
  const owner = `owner-${randomBytes(3).toString("hex")}@link.test`;
  cli(["create-admin", "--email", owner, "--role", "viewer"]);
  const org = cli(["create-organization", "--name", "Acme Robotics", "--owner-email", owner]);
  apiKey = cli(["create-api-key", "--env", "test", "--org", org.id!, "--name", "link e2e"]).secret!;
  github = await serveSandbox(createGithubSandbox({ oauth: { consent: true, issuerParameter: true, clients: { [CLIENT_ID]: { secret: CLIENT_SECRET, redirectUris: [`${baseURL}/oauth/callback`] } } } }));
  stripe = await serveSandbox(createStripeSandbox({ authorize: (k) => k === STRIPE_KEY }));
  const a = api(request);
  await a.patch("/api/v1/connectors/github/config", {
    base_url: github.url,
    oauth_client_id: CLIENT_ID,
    oauth_client_secret: CLIENT_SECRET,
    oauth_authorize_url: `${github.url}/login/oauth/authorize`,
    oauth_token_url: `${github.url}/login/oauth/access_token`,
  });
  await a.patch("/api/v1/connectors/stripe/config", { base_url: stripe.url });
});

test.afterAll(async () => {
  await github?.close();
  await stripe?.close();
});

async function linkUrl(request: APIRequestContext, connectors: string[], redirect?: string): Promise<string> {
  const a = api(request);
  const user = await a.post("/api/v1/registered-users", { origin_user_id: `pw-${randomBytes(4).toString("hex")}` });
  const t = await a.post("/api/v1/link-tokens", { registered_user_id: user.id, connectors, ...(redirect ? { redirect_url: redirect } : {}) });
  return t.url as string;
}

/** Every visible input has a label the accessibility tree knows, and describes its hint/error. */
async function expectLabelledInputs(page: Page) {
  const inputs = page.locator("input:not([type=hidden])");
  const n = await inputs.count();
  expect(n).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const id = await inputs.nth(i).getAttribute("id");
    await expect(page.locator(`label[for="${id}"]`)).toHaveCount(1);
    expect((await inputs.nth(i).evaluate((el: HTMLInputElement) => el.labels?.[0]?.textContent ?? "")).trim().length).toBeGreaterThan(0);
  }
}

/** The focused element draws a visible outline or ring. */
async function expectVisibleFocus(page: Page) {
  const style = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return { outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow };
  });
  expect(style.outline !== "none" && style.width > 0 || (style.shadow && style.shadow !== "none"), JSON.stringify(style)).toBeTruthy();
}

test.describe("hosted Link page", () => {
  test("connect GitHub through the provider and Stripe through the form, then continue to the app", async ({ page, request, context }) => {
    const url = await linkUrl(request, ["github", "stripe"], `${baseURL}/api/health`);
    await page.goto(url);

    // Branding, the token's connectors with this user's status, and the token gone from the address bar.
    await expect(page.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
    await expect(page.getByTestId("link-brand-name")).toHaveText("Acme Robotics");
    await expect(page.getByText("Test mode")).toBeVisible();
    await expect(page.getByTestId("connector-github")).toContainText("Not connected");
    await expect(page.getByTestId("connector-stripe")).toContainText("Not connected");
    expect(page.url()).toBe(`${baseURL}/link`);
    const cookie = (await context.cookies()).find((c) => c.name.endsWith("lk_link"))!;
    expect(cookie).toMatchObject({ name: "__Host-lk_link", httpOnly: true, sameSite: "Lax", secure: true, path: "/" });

    // A reload keeps working (the session cookie), and so does opening the same link again.
    await page.reload();
    await expect(page.getByTestId("connector-github")).toBeVisible();
    await page.goto("about:blank");
    await page.goto(url);
    await expect(page.getByTestId("connector-github")).toBeVisible();
    expect(page.url()).toBe(`${baseURL}/link`);

    // GitHub: the provider's consent page, then back here.
    await page.getByRole("button", { name: "Connect GitHub" }).click();
    await expect(page.getByRole("heading", { name: "Authorize application" })).toBeVisible();
    await page.getByRole("button", { name: "Authorize" }).click();
    await expect(page.getByRole("heading", { name: "GitHub connected" })).toBeVisible();
    await expect(page.getByText("Connected as octocat.")).toBeVisible();
    await expect(page.getByText(/You can close this window/)).toBeVisible();
    expect(page.url()).toBe(`${baseURL}/link`);

    // Stripe: a bad key first, with the error beside the field.
    await page.getByRole("button", { name: "Connect another account" }).click();
    await expect(page.getByTestId("connector-github")).toContainText("Connected as octocat");
    await page.getByRole("button", { name: "Connect Stripe" }).click();
    await expect(page.getByRole("heading", { name: "Connect Stripe" })).toBeFocused();
    await expectLabelledInputs(page);
    const key = page.getByLabel("Secret key");
    await key.fill("not-a-stripe-key");
    await page.getByRole("button", { name: "Connect Stripe" }).click();
    const formAlert = page.locator("form").getByRole("alert");
    await expect(formAlert).toContainText("Please correct the highlighted fields.");
    const fieldError = page.locator("#field-secret_key-error");
    await expect(fieldError).toContainText("Stripe secret");
    await expect(key).toHaveAttribute("aria-invalid", "true");
    await expect(key).toHaveAttribute("aria-describedby", /field-secret_key-error/);
    await expect(key).toBeFocused();
    // A well-formed key the provider refuses: a form-level message.
    await key.fill("sk_test_ThisKeyIsNotKnown123");
    await page.getByRole("button", { name: "Connect Stripe" }).click();
    await expect(formAlert).toContainText("Stripe did not accept these details");
    await key.fill(STRIPE_KEY);
    await page.getByRole("button", { name: "Connect Stripe" }).click();
    await expect(page.getByRole("heading", { name: "Stripe connected" })).toBeVisible();
    await expect(page.getByText(STRIPE_KEY)).toHaveCount(0);

    // Done: back to the app's redirect_url; the link is spent for everyone, and says so to this browser.
    await page.getByRole("button", { name: "Continue to Acme Robotics" }).click();
    await expect(page).toHaveURL(`${baseURL}/api/health`);
    await page.goto(url);
    await expect(page.getByRole("heading", { name: "This link was already used" })).toBeVisible();
    const stranger = await page.context().browser()!.newContext();
    const p2 = await stranger.newPage();
    await p2.goto(url);
    await expect(p2.getByRole("heading", { name: "This link has expired" })).toBeVisible();
    await expect(p2.getByTestId("link-error").getByRole("alert")).toBeVisible();
    await stranger.close();
  });

  test("on a 360 px phone, with the keyboard: decline at the provider, see the error, try again, connect", async ({ browser, request }) => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, reducedMotion: "reduce" });
    const page = await context.newPage();
    await page.goto(await linkUrl(request, ["github"]));
    await expect(page.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
    // Nothing overflows sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const connect = page.getByRole("button", { name: "Connect GitHub" });
    const box = (await connect.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    expect(box.x + box.width).toBeLessThanOrEqual(360);

    // Keyboard only: Tab reaches the button with a visible focus ring, Enter activates it.
    for (let i = 0; i < 10 && !(await connect.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(connect).toBeFocused();
    await expectVisibleFocus(page);
    await page.keyboard.press("Enter");

    await expect(page.getByRole("heading", { name: "Authorize application" })).toBeVisible();
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByRole("heading", { name: "Access was not granted" })).toBeVisible();
    await expect(page.getByTestId("link-error").getByRole("alert")).toContainText("You declined access on GitHub");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByRole("button", { name: "Authorize" }).click();
    await expect(page.getByRole("heading", { name: "GitHub connected" })).toBeVisible();
    await page.getByRole("button", { name: "Done" }).click();
    await expect(page.getByRole("heading", { name: "All set" })).toBeVisible();
    await context.close();
  });

  test("without a link the page explains what to do, and shows nothing else", async ({ page }) => {
    await page.goto("/link");
    await expect(page.getByRole("heading", { name: "Open your link again" })).toBeVisible();
    await expect(page.getByRole("button")).toHaveCount(0);
    await page.goto("/link#link_token=lk_link_" + "0".repeat(43));
    await expect(page.getByRole("heading", { name: "This link has expired" })).toBeVisible();
    expect(page.url()).toBe(`${baseURL}/link`);
  });
});
