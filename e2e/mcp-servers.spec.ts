import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { startOpenUpstreamMcp, type OpenUpstreamMcp } from "./helpers/open-upstream-mcp";

// The "Bring any MCP server" wizard: paste a URL, see what discovery found, fill in what it
// could not, create, test the connection (tools/list through the gateway's upstream client).
// The upstreams are SDK-built MCP servers on 127.0.0.1 (allowlisted in playwright.config.ts).
let guarded: OpenUpstreamMcp;
let open: OpenUpstreamMcp;
let oauth: OpenUpstreamMcp;
const TOKEN = `upstream-token-${Math.random().toString(36).slice(2)}`;

test.beforeAll(async () => {
  guarded = await startOpenUpstreamMcp({ name: "guarded", tools: ["echo", "add"], token: TOKEN });
  open = await startOpenUpstreamMcp({ name: "open", tools: ["ping"] });
  oauth = await startOpenUpstreamMcp({ name: "vendor", tools: ["search", "fetch", "summarize"], oauth: { scopes: ["tools:read"] } });
});
test.afterAll(async () => {
  await guarded?.close();
  await open?.close();
  await oauth?.close();
});

test.describe("MCP servers wizard", () => {
  test("discover, fill in the token discovery could not find, create, test the connection; an unreachable server shows the error", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(E2E_ADMIN.email);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("env-badge")).toHaveText("production");
    // Specs share one server: count what the audit log already holds, to compare at the end.
    const auditCount = async (action: string) => {
      await page.goto(`/audit?action=${action}`);
      await expect(page.getByRole("heading", { level: 1 })).toContainText("Audit log");
      return page.locator(`tr[data-action="${action}"]`).count();
    };
    const createdBefore = await auditCount("mcp_server.created");
    const deletedBefore = await auditCount("mcp_server.deleted");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "MCP servers", exact: true }).click();
    await expect(page.getByText("No MCP servers yet")).toBeVisible();

    // A private address is refused on the field, before anything is fetched.
    await page.getByLabel("Server URL").fill("https://10.0.0.7/mcp");
    await page.getByRole("button", { name: "Discover" }).click();
    await expect(page.locator("#mcp-url-error")).toContainText(/private|loopback/);
    await expect(page.getByTestId("mcp-discovery")).toHaveCount(0);

    // A server that wants a token but publishes no metadata.
    await page.getByLabel("Server URL").fill(guarded.url);
    await page.getByRole("button", { name: "Discover" }).click();
    const found = page.getByTestId("mcp-discovery");
    await expect(found.getByTestId("discovery-requires-auth")).toHaveText("yes");
    await expect(found.getByTestId("discovery-recommended")).toHaveText("Static token");
    await expect(found.getByTestId("discovery-errors")).toContainText("No protected resource metadata");
    await expect(found.getByLabel("Authentication")).toHaveValue("token");
    await found.getByLabel("Name").fill("Guarded upstream");
    await found.getByRole("button", { name: "Create server" }).click();
    await expect(found.locator("#mcp-token-error")).toHaveText("token mode needs a token");
    await found.getByLabel("Token", { exact: true }).fill(TOKEN);
    await found.getByRole("button", { name: "Create server" }).click();

    const created = page.getByTestId("mcp-created");
    await expect(created).toContainText("“Guarded upstream” was added as guarded-upstream (Static token)");
    await expect(page.getByTestId("mcp-server-row")).toHaveCount(1);
    await expect(page.getByText(TOKEN)).toHaveCount(0);
    const before = guarded.requests();
    await created.getByRole("button", { name: "Test connection" }).click();
    await expect(created.getByTestId("mcp-test-result")).toHaveText("Connected: 2 tools (echo, add)");
    expect(guarded.requests()).toBeGreaterThan(before);

    // A server without auth: discovery says so, the defaults are enough.
    await page.getByLabel("Server URL").fill(open.url);
    await page.getByRole("button", { name: "Discover" }).click();
    await expect(found.getByTestId("discovery-requires-auth")).toHaveText("no");
    await expect(found.getByLabel("Authentication")).toHaveValue("none");
    await found.getByLabel("Slug (optional)").fill("open-one");
    await found.getByRole("button", { name: "Create server" }).click();
    await expect(created).toContainText("was added as open-one (None)");
    const row = page.locator('[data-testid="mcp-server-row"]', { hasText: "open-one" });
    await row.getByRole("button", { name: "Test connection" }).click();
    await expect(row.getByTestId("mcp-test-result")).toHaveText("Connected: 1 tool (ping)");

    // Once it is gone, the test says so instead of hanging or failing silently.
    await open.close();
    await row.getByRole("button", { name: "Test connection" }).click();
    await expect(row.getByTestId("mcp-test-result")).toContainText(/open-one could not be reached/);

    page.once("dialog", (d) => d.accept());
    await row.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId("mcp-server-row")).toHaveCount(1);

    // An OAuth server: discovery finds every endpoint, creating registers a client (DCR), and the
    // test connection gets a client-credentials token for exactly this resource.
    await page.getByLabel("Server URL").fill(oauth.url);
    await page.getByRole("button", { name: "Discover" }).click();
    await expect(found.getByTestId("discovery-recommended")).toHaveText("OAuth client credentials");
    await expect(found).toContainText(`${oauth.origin}/authorize`);
    await expect(found).toContainText(`${oauth.origin}/token`);
    await expect(found).toContainText(`${oauth.origin}/register`);
    await expect(found).toContainText(oauth.url);
    await expect(found).toContainText("tools:read");
    await expect(found.getByTestId("discovery-errors")).toHaveCount(0);
    await expect(found.getByLabel("Token endpoint")).toHaveValue(`${oauth.origin}/token`);
    await found.getByLabel("Name").fill("Vendor");
    await found.getByRole("button", { name: "Create server" }).click();
    await expect(created).toContainText("“Vendor” was added as vendor (OAuth client credentials, client registered by Latchkey)");
    expect(oauth.registrations()).toBe(1);
    await created.getByRole("button", { name: "Test connection" }).click();
    await expect(created.getByTestId("mcp-test-result")).toHaveText("Connected: 3 tools (search, fetch, summarize)");

    expect(await auditCount("mcp_server.created")).toBe(createdBefore + 3);
    expect(await auditCount("mcp_server.deleted")).toBe(deletedBefore + 1);
  });
});
