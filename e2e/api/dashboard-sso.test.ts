// Dashboard single sign-on through an OIDC provider configured from the environment
// (LATCHKEY_OIDC_*), in a real browser against a real oidc-provider: a member signs in; a
// stranger with a valid identity at the IdP is refused.
import { chromium, type Browser } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthServer, type LocalAuthServer } from "../helpers/oidc";
import { cleanupTempDirs, freePort, startServer, TEST_DB, type TestServer } from "../helpers/server";

let as: LocalAuthServer;
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  as = await startAuthServer();
  const port = await freePort();
  // Next normalizes 127.0.0.1 to localhost in the URLs Auth.js builds, so the browser uses localhost too.
  const oidcClient = await as.registerClient(`http://localhost:${port}/api/auth/callback/oidc`, "client_secret_basic");
  server = await startServer({
    db: TEST_DB,
    port,
    env: {
      LATCHKEY_ADMIN_EMAIL: "owner@acme.test",
      LATCHKEY_OIDC_ISSUER: as.issuer,
      LATCHKEY_OIDC_CLIENT_ID: oidcClient.client_id,
      LATCHKEY_OIDC_CLIENT_SECRET: oidcClient.client_secret,
      LATCHKEY_OIDC_NAME: "Acme SSO",
    },
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await as?.close();
  cleanupTempDirs();
});

async function ssoLogin(login: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const base = `http://localhost:${server.port}`;
  await page.goto(`${base}/login`);
  await page.getByRole("button", { name: "Continue with Acme SSO" }).click();
  // oidc-provider's development login and consent pages.
  await page.locator('input[name="login"], pre, .error').first().waitFor({ timeout: 15_000 });
  if (!(await page.locator('input[name="login"]').count())) throw new Error(`IdP error page: ${(await page.content()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 600)} url=${page.url()}`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  const consent = page.locator('button[type="submit"]');
  if (await consent.isVisible().catch(() => false)) await consent.click();
  await page.waitForURL((u) => u.origin === base, { timeout: 15_000 });
  return { context, page };
}

describe(`dashboard SSO [${TEST_DB}]`, () => {
  it("a member signs in through the OIDC provider and lands on the dashboard", async () => {
    const { context, page } = await ssoLogin("owner@acme.test");
    await expect.poll(() => page.getByTestId("env-badge").textContent(), { timeout: 15_000 }).toBe("production");
    expect(await page.content()).toContain("owner@acme.test");
    await context.close();
  }, 60_000);

  it("someone the IdP knows but who is not a member is refused", async () => {
    const { context, page } = await ssoLogin("stranger@elsewhere.test");
    await page.waitForURL(/\/login/, { timeout: 15_000 });
    expect(await page.getByTestId("env-badge").count()).toBe(0);
    await context.close();
  }, 60_000);
});
