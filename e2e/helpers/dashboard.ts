import { expect, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/** Signs the bootstrap admin into the dashboard. */
export async function signIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("env-badge")).toBeVisible();
}

/** An API key for the current environment, made on the dashboard's API keys page (its secret is shown once). */
export async function createApiKeyInDashboard(page: Page, name: string): Promise<string> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByLabel("New key name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^lk_(test|live)_/);
  return secret;
}
