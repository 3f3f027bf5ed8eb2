import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";

test.describe("security rules in the dashboard", () => {
  test("the built-in detectors are listed; switching one and changing an action persist and are audited", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("env-badge")).toHaveText("production");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Security rules", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Security rules" })).toBeVisible();
    expect(await page.getByTestId("security-rule-row").count()).toBeGreaterThanOrEqual(17);

    const email = page.locator('tr[data-rule-id="builtin.email"]');
    await expect(email.getByLabel("Action of builtin.email")).toHaveValue("log");
    await email.getByLabel("Action of builtin.email").selectOption("redact");
    await expect(email.getByLabel("Action of builtin.email")).toHaveValue("redact");
    const ip = page.locator('tr[data-rule-id="builtin.ip_address"]');
    await expect(ip.getByLabel("Enable builtin.ip_address")).toBeChecked();
    await ip.getByLabel("Enable builtin.ip_address").uncheck();
    await expect(ip.getByLabel("Enable builtin.ip_address")).not.toBeChecked();

    await page.reload();
    await expect(page.locator('tr[data-rule-id="builtin.email"]').getByLabel("Action of builtin.email")).toHaveValue("redact");
    await expect(page.locator('tr[data-rule-id="builtin.ip_address"]').getByLabel("Enable builtin.ip_address")).not.toBeChecked();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log", exact: true }).click();
    await expect(page.locator('tr[data-action="security_rule.updated"]')).toHaveCount(2);
  });
});
