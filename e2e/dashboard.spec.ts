import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";

test.describe("dashboard", () => {
  test("log in, switch to test, create an API key, use it, revoke it", async ({ page, request }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/login/);

    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("Wrong email or password")).toBeVisible();

    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("env-badge")).toHaveText("production");
    await expect(page.getByTestId("test-banner")).toHaveCount(0);

    // Switch to the test environment: the whole page says so.
    const switcher = page.getByTestId("env-switcher");
    const testOption = switcher.locator("option", { hasText: "(test)" }).first();
    await switcher.selectOption(await testOption.getAttribute("value") ?? "");
    await expect(page.getByTestId("test-banner")).toBeVisible();
    await expect(page.getByTestId("env-badge")).toHaveText("test");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys", exact: true }).click();
    await expect(page.getByText("No API keys yet")).toBeVisible();

    // Empty name: a clear field error, nothing created.
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByText("Name is required")).toBeVisible();

    await page.getByLabel("New key name").fill("e2e backend");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^lk_test_[0-9A-Za-z]{49}$/);
    await expect(page.getByTestId("api-key-row")).toHaveCount(1);

    // The key works against the API, and sees only the test environment.
    const ok = await request.get("/api/v1/api-keys", { headers: { authorization: `Bearer ${secret}` } });
    expect(ok.status()).toBe(200);
    const body = await ok.json();
    expect(body.data.map((k: { name: string }) => k.name)).toEqual(["e2e backend"]);
    expect(JSON.stringify(body)).not.toContain(secret);

    // The secret is not shown again after a reload.
    await page.reload();
    await expect(page.getByTestId("new-key-secret")).toHaveCount(0);
    await expect(page.getByText(/last used/i)).toBeVisible();

    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByTestId("api-key-row")).toHaveCount(0);

    const denied = await request.get("/api/v1/api-keys", { headers: { authorization: `Bearer ${secret}` } });
    expect(denied.status()).toBe(401);
    expect((await denied.json()).error.code).toBe("invalid_api_key");

    // Both changes are in the audit log of the test environment.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log", exact: true }).click();
    await expect(page.locator('tr[data-action="api_key.created"]')).toHaveCount(1);
    await expect(page.locator('tr[data-action="api_key.revoked"]')).toHaveCount(1);
  });

  test("invite a member who joins with the viewer role and cannot create keys", async ({ page, browser }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("env-badge")).toBeVisible();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members", exact: true }).click();
    await page.getByLabel("Invite by email").fill("viewer@e2e.test");
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Create invitation" }).click();
    const link = (await page.getByTestId("invite-link").textContent())?.trim() ?? "";
    expect(link).toContain("/invite/lk_inv_");

    const other = await browser.newContext();
    const p2 = await other.newPage();
    await p2.goto(link);
    await p2.getByLabel("Your name").fill("Vera Viewer");
    await p2.getByLabel(/Choose a password/).fill("short");
    await p2.getByRole("button", { name: "Join" }).click();
    await expect(p2.getByText("At least 12 characters")).toBeVisible();
    await p2.getByLabel(/Choose a password/).fill("viewer-password-123");
    await p2.getByRole("button", { name: "Join" }).click();
    await expect(p2.getByText("You have joined")).toBeVisible();

    // The link is single-use.
    await p2.goto(link);
    await expect(p2.getByText("invalid, expired or already used")).toBeVisible();

    await p2.goto("/login");
    await p2.getByLabel("Email").fill("viewer@e2e.test");
    await p2.getByLabel("Password").fill("viewer-password-123");
    await p2.getByRole("button", { name: "Sign in" }).click();
    await expect(p2.getByTestId("env-badge")).toBeVisible();
    await p2.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys", exact: true }).click();
    await expect(p2.getByText("Your role can view keys but not create or revoke them.")).toBeVisible();
    await expect(p2.getByRole("button", { name: "Create key" })).toHaveCount(0);
    await other.close();
  });

  test("build a tool pack: search and tick tools, see the scopes they need, save, and find the agent snippets", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("env-badge")).toBeVisible();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tool packs", exact: true }).click();
    await expect(page.getByText("No tool packs yet")).toBeVisible();
    await page.getByLabel("New tool pack name").fill("Support agent");
    await page.getByRole("button", { name: "Create tool pack" }).click();
    await expect(page.getByRole("heading", { name: "Support agent" })).toBeVisible();

    const summary = page.getByTestId("pack-summary");
    await expect(summary).toContainText("0 tools selected");
    await page.getByLabel("Search tools").fill("issue");
    await page.getByRole("checkbox", { name: "github_create_issue", exact: true }).check();
    await page.getByRole("checkbox", { name: "github_list_issues", exact: true }).check();
    await expect(summary).toContainText("2 tools selected");
    await expect(summary).toContainText("GitHub: repo");
    await page.getByLabel("Search tools").fill("");
    await page.getByRole("checkbox", { name: "All Stripe tools" }).check();
    await page.getByRole("button", { name: "Save tools" }).click();
    await expect(page.getByRole("status")).toContainText("Saved");

    await page.reload();
    await expect(page.getByTestId("pack-summary")).toContainText(/\d+ tools selected/);
    await expect(page.getByRole("checkbox", { name: "github_create_issue", exact: true })).toBeChecked();
    await expect(page.getByRole("checkbox", { name: "github_search_issues", exact: true })).not.toBeChecked();
    await expect(page.getByTestId("connect-agent")).toContainText("/api/v1/mcp-instances/ensure");
  });
});
