import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { E2E_ADMIN } from "../playwright.config";

// The end user's side of a magic link (issue 5, item 6), and the dashboard's outbox, in Debian's
// chromium against the production build (no SMTP_URL: emails land in the outbox). Everything
// here happens in the production environment so the dashboard spec's test-environment
// expectations are untouched.

let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let apiKey = "";

async function signIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("env-badge")).toHaveText("production");
}

async function userWithStripe(request: APIRequestContext, origin: string) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const user = await request.post("/api/v1/registered-users", { headers, data: { origin_user_id: origin, email: `${origin}@example.com` } });
  expect(user.status()).toBe(201);
  const id = (await user.json()).id as string;
  const conn = await request.post(`/api/v1/registered-users/${id}/connections`, { headers, data: { connector: "stripe", credentials: { secret_key: `sk_test_${"e".repeat(24)}` } } });
  expect(conn.status()).toBe(201);
  return id;
}

async function magicLink(request: APIRequestContext, userId: string, sendEmail = false) {
  const r = await request.post("/api/v1/magic-links", { headers: { authorization: `Bearer ${apiKey}` }, data: { registered_user_id: userId, send_email: sendEmail } });
  expect(r.status()).toBe(201);
  return (await r.json()) as { id: string; url: string; email: { status: string } | null };
}

/** Open, see the connection, disconnect it through the confirm step, see the empty state. */
async function openAndDisconnect(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByRole("heading", { name: "Your connected accounts" })).toBeVisible();
  // The token left the address bar (and history) as soon as the page read it.
  expect(page.url()).not.toContain("lk_magic_");
  await expect(page.getByTestId("magic-brand")).toHaveText("Demo");
  const card = page.getByTestId("end-user-connection");
  await expect(card).toHaveCount(1);
  await expect(card).toContainText("Stripe");
  await expect(card).toContainText("Stripe (test mode)");
  await expect(card.getByTestId("last-used")).toHaveText("Not used yet");

  await card.getByRole("button", { name: "Disconnect Stripe (Stripe (test mode))" }).click();
  const confirm = card.getByRole("group");
  await expect(confirm).toContainText("The assistant loses access to it at once.");
  // Cancel first: nothing happens.
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(card.getByRole("group")).toHaveCount(0);
  await card.getByRole("button", { name: /^Disconnect Stripe/ }).click();
  const yes = card.getByRole("button", { name: "Yes, disconnect" });
  await expect(yes).toBeFocused();
  await yes.click();
  await expect(page.getByTestId("magic-notice")).toHaveText("Disconnected Stripe (Stripe (test mode)).");
  await expect(page.getByTestId("end-user-connection")).toHaveCount(0);
  await expect(page.getByTestId("magic-empty")).toBeVisible();
}

test.describe("magic link", () => {
  // A production API key made in the dashboard, and the Stripe sandbox as Stripe's API. In
  // beforeAll: a failed test restarts the worker, and the next test still has both.
  test.beforeAll(async ({ browser }) => {
    stripeApi = await serveSandbox(createStripeSandbox());
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signIn(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys", exact: true }).click();
    await page.getByLabel("New key name").fill("magic-link e2e");
    await page.getByRole("button", { name: "Create key" }).click();
    apiKey = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
    expect(apiKey).toMatch(/^lk_live_/);
    expect((await page.request.patch("/api/v1/connectors/stripe/config", { headers: { authorization: `Bearer ${apiKey}` }, data: { base_url: stripeApi.url } })).status()).toBe(200);
    await ctx.close();
  });
  test.afterAll(async () => {
    await stripeApi?.close();
  });

  test("an end user opens a magic link, sees their connection and disconnects it with a confirm step; the dashboard's outbox shows the email", async ({ page, request }) => {
    await signIn(page);
    // Empty state of the outbox first.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Email outbox", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Email outbox" })).toBeVisible();
    await expect(page.getByText("No emails yet")).toBeVisible();
    await expect(page.getByTestId("outbox-mode")).toContainText("No SMTP server is configured");

    const userId = await userWithStripe(request, "pw-desktop");
    const link = await magicLink(request, userId, true);
    expect(link.email?.status).toBe("outbox");

    // The outbox lists it (to, subject, time) and shows what would have been sent.
    await page.reload();
    const row = page.getByTestId("outbox-row");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("pw-desktop@example.com");
    await expect(row).toContainText("not sent (outbox)");
    await row.getByRole("link", { name: "Demo: manage your connected accounts" }).click();
    await expect(page.getByTestId("outbox-subject")).toHaveText("Demo: manage your connected accounts");
    await expect(page.getByTestId("outbox-text")).toContainText("Open this link in your browser:");
    const outboxLink = page.getByTestId("outbox-link");
    await expect(outboxLink).toHaveAttribute("href", link.url);
    await expect(page.frameLocator('iframe[title="HTML version of the email"]').getByRole("link", { name: "Manage connections" })).toBeVisible();

    // The end user, in a browser of their own.
    const endUser = await page.context().browser()!.newContext();
    const p = await endUser.newPage();
    await openAndDisconnect(p, link.url);
    // The session cookie is HttpOnly, __Host-, Secure (loopback counts as secure), SameSite=Lax.
    const cookie = (await endUser.cookies()).find((c) => c.name === "__Host-lk_magic");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(await p.evaluate(() => document.cookie)).not.toContain("lk_mls_");

    // Revoked from the backend: the open page stops working on the next request.
    expect((await request.delete(`/api/v1/magic-links/${link.id}`, { headers: { authorization: `Bearer ${apiKey}` } })).status()).toBe(200);
    await p.reload();
    await expect(p.getByRole("heading", { name: "This link has expired" })).toBeVisible();
    await expect(p.getByTestId("magic-link-expired")).toContainText("Ask the service that sent it for a new link.");
    await endUser.close();
  });

  test("at 360×740: the same flow fits a phone screen without horizontal scrolling", async ({ browser, request }) => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    const userId = await userWithStripe(request, "pw-phone");
    const link = await magicLink(request, userId);
    await p.goto(link.url);
    await expect(p.getByRole("heading", { name: "Your connected accounts" })).toBeVisible();
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const disconnect = p.getByRole("button", { name: /^Disconnect Stripe/ });
    const box = (await disconnect.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(36);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    await p.goto("about:blank");
    await openAndDisconnect(p, link.url);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await phone.close();
  });

  test("an unknown or malformed token shows the one neutral screen", async ({ browser }) => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    for (const hash of [`#token=lk_magic_${"Q".repeat(43)}`, "#token=nonsense", ""]) {
      await p.goto(`/m${hash}`);
      await expect(p.getByRole("heading", { name: "This link has expired" })).toBeVisible();
      await expect(p.getByTestId("end-user-connection")).toHaveCount(0);
    }
    await ctx.close();
  });
});
