import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";

// Issue 9: "Sandbox account" on the Link page of a test environment. The user picks it, sees the
// built-in sandbox authorization server's consent screen (served by Latchkey at
// /sandbox/{env}/github/oauth/authorize), authorizes, and comes back through the ordinary OAuth
// callback (state, PKCE, code exchange) to a sandbox connection; no OAuth app was configured.
// A production environment's Link page offers no such button.

const port = Number(process.env.LATCHKEY_E2E_PORT ?? 3311);
const dataDir = path.resolve(`.test-data/playwright-${port}`);
let testKey = "";
let prodKey = "";

function cli(args: string[]): Record<string, string> {
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args, "--json"], { env: { ...process.env, LATCHKEY_DATA_DIR: dataDir }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!) as Record<string, string>;
}

async function linkUrl(request: APIRequestContext, key: string, user: string) {
  const headers = { authorization: `Bearer ${key}` };
  const ru = await request.post("/api/v1/registered-users", { data: { origin_user_id: user }, headers });
  expect(ru.status(), await ru.text()).toBeLessThan(300);
  const { id } = (await ru.json()) as { id: string };
  const t = await request.post("/api/v1/link-tokens", { data: { registered_user_id: id, connectors: ["github"] }, headers });
  expect(t.status(), await t.text()).toBe(201);
  return { ru: id, url: ((await t.json()) as { url: string }).url };
}

test.beforeAll(() => {
  const owner = `owner-${randomBytes(3).toString("hex")}@sandbox.test`;
  cli(["create-admin", "--email", owner, "--role", "viewer"]);
  const org = cli(["create-organization", "--name", "Sandbox Co", "--owner-email", owner]);
  testKey = cli(["create-api-key", "--env", "test", "--org", org.id!, "--name", "sandbox e2e"]).secret!;
  prodKey = cli(["create-api-key", "--env", "production", "--org", org.id!, "--name", "sandbox e2e prod"]).secret!;
});

test("Sandbox account: consent screen, OAuth callback, an active sandbox connection", async ({ page, request }) => {
  const { ru, url } = await linkUrl(request, testKey, `sbx-${randomBytes(3).toString("hex")}`);
  await page.goto(url);
  await expect(page.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
  await page.getByRole("button", { name: "Use a GitHub sandbox account" }).click();
  await expect(page.getByRole("heading", { name: "Authorize application" })).toBeVisible();
  await expect(page.getByText("GitHub (sandbox)")).toBeVisible();
  expect(new URL(page.url()).pathname).toMatch(/^\/sandbox\/env_[0-9a-z]+\/github\/oauth\/authorize$/);
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page.getByRole("heading", { name: "GitHub connected" })).toBeVisible();

  const conns = await request.get(`/api/v1/registered-users/${ru}/connections`, { headers: { authorization: `Bearer ${testKey}` } });
  const body = (await conns.json()) as { data: { connector: string; sandbox: boolean; status: string; account_label: string | null }[] };
  expect(body.data).toEqual([expect.objectContaining({ connector: "github", sandbox: true, status: "active", account_label: "octocat" })]);
});

test("a production environment's Link page offers no sandbox account", async ({ page, request }) => {
  const { url } = await linkUrl(request, prodKey, `prod-${randomBytes(3).toString("hex")}`);
  await page.goto(url);
  await expect(page.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
  await expect(page.getByTestId("connector-github")).toBeVisible();
  await expect(page.getByRole("button", { name: /sandbox/i })).toHaveCount(0);
});
