import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";

// Issue 9: the dashboard's Sandbox page. In the test environment it lists the sandbox providers
// with Reset, and the environment's sandbox connections with fault injection; a production
// environment gets an explanation instead.

test("Sandbox page: reset a provider, inject a fault into a sandbox connection; production has none", async ({ page, request }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("env-badge")).toBeVisible();
  const switcher = page.getByTestId("env-switcher");

  // Production (whatever the dashboard shows first after sign-in): no sandbox there.
  const prodOption = switcher.locator("option", { hasText: "(production)" }).first();
  await switcher.selectOption((await prodOption.getAttribute("value")) ?? "");
  await expect(page.getByTestId("env-badge")).toHaveText("production");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sandbox", exact: true }).click();
  await expect(page.getByTestId("sandbox-not-allowed")).toBeVisible();

  const testOption = switcher.locator("option", { hasText: "(test)" }).first();
  await switcher.selectOption((await testOption.getAttribute("value")) ?? "");
  await expect(page.getByTestId("env-badge")).toHaveText("test");

  // A test API key (from the dashboard), a user, and a sandbox connection through the API.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByLabel("New key name").fill("sandbox page");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
  const headers = { authorization: `Bearer ${secret}` };
  const ru = await request.post("/api/v1/registered-users", { data: { origin_user_id: "sandbox-page-user" }, headers });
  const conn = await request.post("/api/v1/sandbox/connections", { data: { registered_user_id: ((await ru.json()) as { id: string }).id, connector: "slack" }, headers });
  expect(conn.status(), await conn.text()).toBe(201);
  const connId = ((await conn.json()) as { id: string }).id;

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sandbox", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Sandbox", exact: true })).toBeVisible();
  const github = page.getByTestId("sandbox-providers").locator("li", { hasText: "GitHub" });
  await github.getByRole("button", { name: "Reset" }).click();
  await expect(github.getByRole("status")).toHaveText("Reset to the sample data.");

  const row = page.getByTestId("sandbox-connections").locator("li", { hasText: connId });
  await row.getByLabel("Error").selectOption("rate_limited");
  await row.getByLabel("calls").fill("2");
  await row.getByRole("button", { name: "Inject" }).click();
  await expect(row.getByRole("status")).toHaveText("The next 2 call(s) answer rate_limited.");
  await page.reload();
  await expect(page.getByTestId("sandbox-connections").locator("li", { hasText: connId })).toContainText("next 2: rate_limited");
});
