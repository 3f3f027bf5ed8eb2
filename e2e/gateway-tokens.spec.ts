import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";

test.describe("gateway tokens and the identity provider in the dashboard", () => {
  test("create a service token that works on /mcp/{slug}, revoke it; save, reject and remove IdP settings", async ({ page, request }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("env-badge")).toHaveText("production");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Gateway tokens", exact: true }).click();
    await expect(page.getByText("No service tokens yet")).toBeVisible();
    await page.getByRole("button", { name: "Create token" }).click();
    await expect(page.getByText("Name is required")).toBeVisible();
    await page.getByLabel("New service token name").fill("support bot");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-gateway-token-secret").textContent())?.trim() ?? "";
    expect(token).toMatch(/^lk_svc_[0-9A-Za-z]{43}$/);
    await expect(page.getByTestId("gateway-token-row")).toHaveCount(1);

    // The token is a credential for /mcp/{slug}: past authentication, an unknown pack is 404.
    const mcp = (t: string) => request.post("/mcp/no-such-pack", { headers: { authorization: `Bearer ${t}`, "content-type": "application/json" }, data: "{}" });
    expect((await mcp(token)).status()).toBe(404);
    await page.reload();
    await expect(page.getByTestId("new-gateway-token-secret")).toHaveCount(0);
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByTestId("gateway-token-row")).toHaveCount(0);
    expect((await mcp(token)).status()).toBe(401);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
    const form = page.getByTestId("idp-form");
    await form.getByLabel("Issuer").fill("https://login.example.com/");
    await form.getByLabel("JWKS URL").fill("http://login.example.com/jwks");
    await form.getByLabel("Audience").fill("latchkey");
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByText(/only https URLs are allowed/)).toBeVisible();
    await form.getByLabel("JWKS URL").fill("https://login.example.com/jwks");
    await form.getByLabel(/Create the registered user on first use/).check();
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByRole("status")).toHaveText("Saved.");
    await page.reload();
    await expect(page.getByTestId("idp-form").getByLabel("JWKS URL")).toHaveValue("https://login.example.com/jwks");
    await expect(page.getByTestId("idp-form").getByLabel(/Create the registered user/)).toBeChecked();

    page.once("dialog", (d) => d.accept());
    await page.getByTestId("idp-form").getByRole("button", { name: "Remove" }).click();
    await expect(page.getByTestId("idp-form").getByRole("button", { name: "Remove" })).toHaveCount(0);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log", exact: true }).click();
    await expect(page.locator('tr[data-action="gateway_token.created"]')).toHaveCount(1);
    await expect(page.locator('tr[data-action="gateway_token.revoked"]')).toHaveCount(1);
    await expect(page.locator('tr[data-action="environment_settings.updated"]')).toHaveCount(2);
  });
});
