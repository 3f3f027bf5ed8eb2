import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { verifyWebhook } from "../lib/webhooks/verify";

type Received = { headers: Record<string, string>; body: string };
const received: Received[] = [];
let receiver: http.Server;
let hookUrl = "";

test.beforeAll(async () => {
  receiver = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    received.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body });
    res.writeHead(200, { "content-type": "text/plain" }).end("received");
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/latchkey`;
});

test.afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

test("webhooks: add an endpoint (secret shown once), send a test event, see it in the delivery log, redeliver, disable", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill(E2E_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("env-badge")).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks", exact: true }).click();
  await expect(page.getByText("No webhook endpoints yet")).toBeVisible();

  // A private address is refused with a field error; nothing is created.
  await page.getByLabel("Endpoint URL").fill("https://169.254.169.254/latest/meta-data");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.locator("#wh-url-error")).toContainText("private, loopback, link-local or metadata address");
  await expect(page.getByTestId("webhook-endpoint-row")).toHaveCount(0);

  await page.getByLabel("Endpoint URL").fill(hookUrl);
  await page.getByLabel("Description (optional)").fill("e2e receiver");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = (await page.getByTestId("webhook-secret-value").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await expect(page.getByTestId("webhook-endpoint-row")).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(secret.slice(6));

  await page.getByRole("link", { name: hookUrl }).click();
  await expect(page.getByText("No deliveries yet")).toBeVisible();
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByText("Test event queued")).toBeVisible();
  await expect
    .poll(
      async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return page.getByTestId("webhook-delivery-status").first().textContent({ timeout: 2000 }).catch(() => null);
      },
      { timeout: 20_000 },
    )
    .toBe("succeeded");
  const row = page.getByTestId("webhook-delivery-row").first();
  await expect(row).toContainText("ping");
  await expect(row).toContainText("200");
  expect(received).toHaveLength(1);
  expect(JSON.parse(received[0]!.body)).toMatchObject({ type: "ping" });
  expect(verifyWebhook(secret, received[0]!.headers, received[0]!.body).ok).toBe(true);

  // Redeliver: a second delivery of the same event.
  await row.getByRole("button", { name: "Redeliver" }).click();
  await expect.poll(() => received.length, { timeout: 20_000 }).toBe(2);
  expect(received[1]!.headers["webhook-id"]).toBe(received[0]!.headers["webhook-id"]);
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByTestId("webhook-delivery-row")).toHaveCount(2);

  await page.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByTestId("webhook-endpoint-status")).toHaveText("Disabled");
  await expect(page.getByRole("button", { name: "Send test event" })).toBeDisabled();

  // The audit log has the endpoint's story.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log", exact: true }).click();
  await expect(page.locator('tr[data-action="webhook_endpoint.created"]')).toHaveCount(1);
  await expect(page.locator('tr[data-action="webhook_endpoint.test_sent"]')).toHaveCount(1);
  await expect(page.locator('tr[data-action="webhook_delivery.retried"]')).toHaveCount(1);
});
