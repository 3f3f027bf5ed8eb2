// The Agents page (issue 6 item 7): create an agent from the environment's MCP servers and tool
// packs, see its open sessions counted once the app's backend opens one, delete it (its session
// ticket stops working at once).
import { expect, test } from "@playwright/test";
import { createApiKeyInDashboard, signIn } from "./helpers/dashboard";
import { startOpenUpstreamMcp, type OpenUpstreamMcp } from "./helpers/open-upstream-mcp";

// A server that needs no credentials, so registering it needs nothing else.
let upstream: OpenUpstreamMcp;
test.beforeAll(async () => {
  upstream = await startOpenUpstreamMcp({ name: "tickets", tools: ["list_tickets"] });
});
test.afterAll(async () => {
  await upstream?.close();
});

test("agents: create one with a server and a pack, its open session is counted, delete it and the ticket stops working", async ({ page, request }) => {
  await signIn(page);
  const secret = await createApiKeyInDashboard(page, "agents spec");
  const auth = { authorization: `Bearer ${secret}` };

  const srv = await (await request.post("/api/v1/mcp-servers", { headers: auth, data: { name: "Tickets desk", slug: "tickets-desk", url: upstream.url, auth: { mode: "none" } } })).json();
  expect(srv.id).toMatch(/^srv_/);
  const pack = await (await request.post("/api/v1/tool-packs", { headers: auth, data: { name: "Agents spec pack", entries: [{ connector: "github", tools: "*" }] } })).json();
  expect(pack.id).toMatch(/^tp_/);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Agents" })).toBeVisible();

  // A name is required: the field says so and nothing is created.
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.locator("#agent-name-error")).toBeVisible();

  await page.getByLabel("New agent name").fill("Support assistant");
  await page.getByTestId("agent-servers").getByLabel("Tickets desk").check();
  await page.getByTestId("agent-packs").getByLabel("Agents spec pack").check();
  await page.getByRole("button", { name: "Create agent" }).click();
  await expect(page.getByRole("status")).toContainText("Agent “Support assistant” created");
  const row = page.getByTestId("agent-row").filter({ hasText: "Support assistant" });
  await expect(row).toContainText("Tickets desk");
  await expect(row).toContainText("Agents spec pack");
  await expect(row.getByTestId("agent-sessions")).toHaveText("0");
  const agentId = (await row.getAttribute("data-agent-id"))!;
  expect(agentId).toMatch(/^agt_/);

  // The app's backend opens a session for one of its users; the page counts it.
  const ru = await (await request.post("/api/v1/registered-users", { headers: auth, data: { origin_user_id: "agents-spec-user" } })).json();
  const session = await (await request.post(`/api/v1/agents/${agentId}/sessions`, { headers: auth, data: { registered_user_id: ru.id } })).json();
  expect(session.ticket).toMatch(/^lk_ags_/);
  await page.reload();
  await expect(row.getByTestId("agent-sessions")).toHaveText("1");

  page.once("dialog", (d) => {
    expect(d.message()).toContain("1 open session");
    void d.accept();
  });
  await row.getByRole("button", { name: "Delete Support assistant" }).click();
  await expect(page.getByRole("status")).toContainText("deleted");
  await expect(page.getByTestId("agent-row").filter({ hasText: "Support assistant" })).toHaveCount(0);
  const refused = await request.post(session.mcp_url, { headers: { authorization: `Bearer ${session.ticket}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, data: { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} } });
  expect([401, 403, 404]).toContain(refused.status());

  // Specs share one data directory: leave the environment as it was found.
  expect((await request.delete(`/api/v1/tool-packs/${pack.id}`, { headers: auth })).status()).toBeLessThan(300);
  expect((await request.delete(`/api/v1/mcp-servers/${srv.id}`, { headers: auth })).status()).toBeLessThan(300);
});
