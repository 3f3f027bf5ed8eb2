import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./helpers/dashboard";

async function nav(page: Page, name: string) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(name === "Overview" ? "·" : name);
}

test("alerts: empty state, an SSRF attempt becomes an alert with a chart bar, acknowledge then resolve", async ({ page }) => {
  await signIn(page);
  await nav(page, "Alerts");
  await expect(page.getByTestId("alerts-chart")).toBeVisible();
  // Other specs share this server. The empty state: a kind nothing here raises.
  await page.getByLabel("Kind").selectOption("decrypt_failure");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No alerts match")).toBeVisible();
  // SSRF alerts other specs may have raised (the MCP servers wizard refuses private URLs too).
  await page.goto("/alerts?kind=ssrf_blocked");
  const before = await page.getByTestId("alert-rows").locator("tr").count();

  // A cloud-metadata address offered as a webhook URL is refused, and raised as an alert.
  await nav(page, "Webhooks");
  await page.getByLabel("Endpoint URL").fill("https://169.254.169.254/latest/meta-data");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.locator("#wh-url-error")).toContainText("private, loopback, link-local or metadata address");

  await nav(page, "Alerts");
  await expect
    .poll(
      async () => {
        await page.goto("/alerts?kind=ssrf_blocked");
        return page.getByTestId("alert-rows").locator("tr").count();
      },
      { timeout: 15_000 },
    )
    .toBe(before + 1);
  const row = () => page.getByTestId("alert-rows").locator("tr", { hasText: "host=169.254.169.254" });
  await expect(row()).toHaveCount(1);
  await expect(row()).toHaveAttribute("data-kind", "ssrf_blocked");
  await expect(page.getByTestId("alerts-chart").locator("rect:not([data-value='0'])")).not.toHaveCount(0);

  await row().getByRole("button", { name: "Acknowledge" }).click();
  await expect(row()).toHaveAttribute("data-status", "acknowledged");
  await row().getByRole("button", { name: "Resolve" }).click();
  await expect(row()).toHaveAttribute("data-status", "resolved");
  await expect(row()).toContainText("resolved");
});

test("overview shows calls, error rate and latency charts; the audit log verifies and downloads; the tool-call log downloads", async ({ page }) => {
  await signIn(page);
  await nav(page, "Overview");
  await expect(page.getByTestId("overview-stats")).toBeVisible();
  for (const id of ["overview-calls-chart", "overview-error-chart", "overview-latency-chart"]) await expect(page.getByTestId(id)).toBeVisible();
  await expect(page.getByTestId("overview-calls-chart").locator("rect")).toHaveCount(24);

  await nav(page, "Audit log");
  await page.getByRole("button", { name: "Verify hash chain" }).click();
  await expect(page.getByTestId("audit-verify-result")).toContainText(/OK: all \d+ rows verify\./);

  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export-csv").click()]);
  expect(csv.suggestedFilename()).toMatch(/^audit-log-.*\.csv$/);
  const text = readFileSync((await csv.path())!, "utf8");
  expect(text.split("\r\n")[0]).toBe("seq,id,created_at,organization_id,environment_id,actor_type,actor_id,action,target_type,target_id,request_id,ip,metadata,prev_hash,row_hash");
  expect(text).toContain("alert.resolved");

  const [json] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export-json").click()]);
  const rows = JSON.parse(readFileSync((await json.path())!, "utf8"));
  expect(Array.isArray(rows)).toBe(true);
  expect(rows.length).toBeGreaterThan(0);

  await nav(page, "Tool calls");
  const [calls] = await Promise.all([page.waitForEvent("download"), page.getByTestId("tool-calls-export-json").click()]);
  expect(calls.suggestedFilename()).toMatch(/^tool-calls-.*\.json$/);
  expect(Array.isArray(JSON.parse(readFileSync((await calls.path())!, "utf8")))).toBe(true);
});
