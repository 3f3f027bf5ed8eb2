import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test, type APIRequestContext, type Page, type Response } from "@playwright/test";
import { startAuthServer, type LocalAuthServer } from "./helpers/oidc";
import { createGithubSandbox } from "@/lib/sandbox/github";
import { serveSandbox } from "@/lib/sandbox/serve";

// Issue 5, "Done when": the whole Link flow end to end, in a real browser. The backend (this
// test, with an API key) mints a link token for a registered user; an app page on another site
// (http://localhost:<port>, Latchkey is http://127.0.0.1:<port>) loads /link.js and opens Link in
// popup mode; the user picks GitHub and signs in and consents at a real authorization server
// (panva/oidc-provider on loopback, configured as GitHub's OAuth provider for the environment:
// client id/secret, authorize and token URLs, exact redirect URI, PKCE S256); the connection is
// active; an agent's MCP tools/call through the data plane reaches the fake GitHub API with
// exactly the access token oidc-provider issued. Then the provider stops honouring the tokens:
// the next call marks the connection reauth_required and hands back a link_url, which the user
// opens to reconnect in place.

const port = Number(process.env.LATCHKEY_E2E_PORT ?? 3311);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = path.resolve(`.test-data/playwright-${port}`);
const ORG_NAME = `Flow Co ${randomBytes(2).toString("hex")}`;

let apiKey = "";
let auth: LocalAuthServer;
let client: { client_id: string; client_secret: string; redirect_uri: string };
let githubApi: Awaited<ReturnType<typeof serveSandbox>>;
let app: { origin: string; close: () => Promise<void> };
let packId = "";
/** Access tokens the "provider" no longer honours (JWT access tokens cannot be revoked at oidc-provider itself). */
const rejected = new Set<string>();

function cli(args: string[]): Record<string, string> {
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args, "--json"], { env: { ...process.env, LATCHKEY_DATA_DIR: dataDir }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!) as Record<string, string>;
}

const hostPage = (latchkey: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Host app</title><script src="${latchkey}/link.js"></script></head>
<body>
<button id="open-popup">Open popup</button>
<script>
  window.events = []; window.callbacks = [];
  document.getElementById("open-popup").onclick = function () {
    window.handle = LatchkeyLink.open({
      linkToken: new URLSearchParams(location.search).get("t"), mode: "popup",
      onEvent: function (e) { window.events.push(e); },
      onSuccess: function (c) { window.callbacks.push(["success", c]); },
      onExit: function (r) { window.callbacks.push(["exit", r]); },
      onError: function (e) { window.callbacks.push(["error", e]); },
    });
  };
</script></body></html>`;

async function serveSite(pages: Record<string, string>) {
  const server = http.createServer((req, res) => {
    const body = pages[(req.url ?? "/").split("?")[0]!];
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body ?? "not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const authz = () => ({ authorization: `Bearer ${apiKey}` });

/** The agent's side: an MCP instance for one end user (its registered user is created on first use). */
async function ensureInstance(request: APIRequestContext, user: string): Promise<{ url: string; registered_user_id: string }> {
  const r = await request.post("/api/v1/mcp-instances/ensure", { data: { tool_pack_id: packId, user_identifier: user }, headers: authz() });
  expect(r.status(), await r.text()).toBe(200);
  return (await r.json()) as { url: string; registered_user_id: string };
}

async function linkToken(request: APIRequestContext, ru: string): Promise<string> {
  const t = await request.post("/api/v1/link-tokens", { data: { registered_user_id: ru, connectors: ["github"] }, headers: authz() });
  expect(t.status(), await t.text()).toBe(201);
  return (await t.json()).link_token as string;
}

async function connectionsOf(request: APIRequestContext, ru: string): Promise<{ id: string; connector: string; status: string; created_at: string }[]> {
  const r = await request.get(`/api/v1/registered-users/${ru}/connections`, { headers: authz() });
  expect(r.status()).toBe(200);
  return (await r.json()).data;
}

async function callTool(url: string, name: string) {
  const c = new Client({ name: "link-flow-agent", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    return (await c.callTool({ name, arguments: {} })) as { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
  } finally {
    await c.close();
  }
}

/** Bearer tokens the fake GitHub API received, in order. */
const tokensSeenByGithub = () => githubApi.requests.map((r) => /^Bearer (.+)$/.exec(r.headers.authorization ?? "")?.[1] ?? null);

/**
 * The user at oidc-provider's dev interaction pages: signs in (any login, any password) and
 * consents, until the browser is back at Latchkey. A returning user may skip either page.
 */
async function signInAndConsent(p: Page, login: string): Promise<("login" | "consent")[]> {
  const pages: ("login" | "consent")[] = [];
  await p.waitForURL((u) => u.origin === auth.issuer);
  for (let i = 0; i < 6; i++) {
    await p.waitForURL((u) => u.origin === auth.issuer || u.origin === baseURL);
    if (new URL(p.url()).origin === baseURL) return pages;
    await p.locator("button[type=submit]").first().waitFor();
    if (new URL(p.url()).origin === baseURL) return pages;
    const loginField = p.locator('input[name="login"]');
    if (await loginField.count()) {
      pages.push("login");
      await loginField.fill(login);
      await p.locator('input[name="password"]').fill("any-password");
    } else {
      pages.push("consent");
    }
    const before = p.url();
    await p.locator("button[type=submit]").first().click();
    await p.waitForURL((u) => u.toString() !== before);
  }
  await p.waitForURL((u) => u.origin === baseURL);
  return pages;
}

test.beforeAll(async ({ request }) => {
  const owner = `owner-${randomBytes(3).toString("hex")}@flow.test`;
  cli(["create-admin", "--email", owner, "--role", "viewer"]);
  const org = cli(["create-organization", "--name", ORG_NAME, "--owner-email", owner]);
  apiKey = cli(["create-api-key", "--env", "test", "--org", org.id!, "--name", "link flow e2e"]).secret!;

  auth = await startAuthServer();
  client = await auth.registerClient(`${baseURL}/oauth/callback`);
  githubApi = await serveSandbox(createGithubSandbox({ authorize: async (token) => !rejected.has(token) && (await auth.verify(token)) }));
  const gh = await request.patch("/api/v1/connectors/github/config", {
    data: {
      base_url: githubApi.url,
      oauth_client_id: client.client_id,
      oauth_client_secret: client.client_secret,
      oauth_authorize_url: `${auth.issuer}/auth`,
      oauth_token_url: `${auth.issuer}/token`,
    },
    headers: authz(),
  });
  expect(gh.status(), await gh.text()).toBe(200);
  app = await serveSite({ "/host.html": hostPage(baseURL) });
  const s = await request.patch("/api/v1/environment/settings", { data: { embed: { allowed_origins: [app.origin] } }, headers: authz() });
  expect(s.status(), await s.text()).toBe(200);
  const pack = await request.post("/api/v1/tool-packs", { data: { name: "Link flow agent", entries: [{ connector: "github", tools: ["github_get_authenticated_user"] }] }, headers: authz() });
  expect(pack.status(), await pack.text()).toBe(201);
  packId = (await pack.json()).id as string;
});

test.afterAll(async () => {
  await githubApi?.close();
  await auth?.close();
  await app?.close();
});

test.describe.configure({ mode: "serial" });

let flow: { ru: string; url: string; connectionId: string } | null = null;

test("the whole flow: link token → embedded Link (popup) on another site → GitHub via a real oidc-provider (login, consent, PKCE S256) → active → MCP tools/call with exactly the issued access token", async ({ page, request, context }) => {
  const user = `flow-${randomBytes(4).toString("hex")}`;
  const inst = await ensureInstance(request, user);
  const ru = inst.registered_user_id;
  const token = await linkToken(request, ru);

  const authRequests: URL[] = [];
  context.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin === auth.issuer && u.pathname === "/auth") authRequests.push(u);
  });

  await page.goto(`${app.origin}/host.html?t=${token}`);
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open popup" }).click()]);
  await expect(popup.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
  await popup.getByRole("button", { name: "Connect GitHub" }).click();
  await popup.waitForURL((u) => u.origin === auth.issuer);

  // Latchkey sent the browser to the configured provider with the exact redirect URI, the
  // connector's scopes and PKCE S256.
  expect(authRequests).toHaveLength(1);
  const q = authRequests[0]!.searchParams;
  expect(q.get("client_id")).toBe(client.client_id);
  expect(q.get("redirect_uri")).toBe(`${baseURL}/oauth/callback`);
  expect(q.get("response_type")).toBe("code");
  expect(q.get("code_challenge_method")).toBe("S256");
  expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(q.get("state")).toBeTruthy();
  expect(q.get("scope")!.split(" ").sort()).toEqual(["read:user", "repo"]);

  // The user signs in and consents on the provider's own pages, in the browser.
  expect(await signInAndConsent(popup, "alice")).toEqual(["login", "consent"]);
  await expect(popup.getByRole("heading", { name: "GitHub connected" })).toBeVisible();

  // Exactly one code was exchanged (oidc-provider requires PKCE, so the verifier matched), and
  // the connection is active.
  const codeGrants = auth.grants.filter((g) => g.grantType === "authorization_code");
  expect(codeGrants).toHaveLength(1);
  const issued = codeGrants[0]!.accessToken!;
  expect(issued).toBeTruthy();
  const conns = await connectionsOf(request, ru);
  expect(conns).toEqual([expect.objectContaining({ connector: "github", status: "active" })]);
  const connectionId = conns[0]!.id;

  // The app hears `connected` with that connection, then `exit` when the user is done.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { events: { type: string; connection?: { id: string } }[] }).events))
    .toEqual(expect.arrayContaining([expect.objectContaining({ type: "connected", connection: expect.objectContaining({ id: connectionId, connector: "github", status: "active" }) })]));
  await popup.getByRole("button", { name: "Done" }).click();
  await expect.poll(() => page.evaluate(() => (window as unknown as { callbacks: unknown[] }).callbacks)).toEqual([["success", expect.objectContaining({ id: connectionId, connector: "github" })], ["exit", "done"]]);

  // The agent calls a tool through the data plane: the fake GitHub API sees exactly that token.
  const seenBefore = githubApi.requests.length;
  const r = await callTool(inst.url, "github_get_authenticated_user");
  expect(r.isError ?? false, JSON.stringify(r)).toBe(false);
  expect(r.content[0]!.text).toContain("octocat");
  const seen = tokensSeenByGithub();
  expect(seen.length).toBeGreaterThan(seenBefore);
  expect(seen.slice(seenBefore)).toEqual(seen.slice(seenBefore).map(() => issued));
  // Every GitHub API request so far (the account label at connect time included) carried it.
  expect(new Set(seen)).toEqual(new Set([issued]));

  flow = { ru, url: inst.url, connectionId };
});

test("reconnecting a reauth_required connection in the browser: the agent's link_url → 'needs reconnecting' → oidc-provider → same connection id, active, next tools/call works", async ({ page, request }) => {
  // Builds on the connection the whole-flow test made: without it this test fails, it is never skipped.
  expect(flow, "the whole-flow test above must have connected GitHub").toBeTruthy();
  const { ru, url, connectionId } = flow!;

  // The user revokes the app at the provider: the refresh token is revoked at oidc-provider,
  // and the (self-contained JWT) access tokens are no longer honoured by the API.
  for (const g of auth.grants) {
    if (g.accessToken) rejected.add(g.accessToken);
    if (g.refreshToken) {
      const rv = await fetch(`${auth.issuer}/token/revocation`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: g.refreshToken, token_type_hint: "refresh_token", client_id: client.client_id, client_secret: client.client_secret }).toString(),
      });
      expect(rv.status).toBe(200);
    }
  }
  const grantsBefore = auth.grants.length;

  // The agent's next call gets 401, the refresh is refused, the connection is marked.
  const broken = await callTool(url, "github_get_authenticated_user");
  expect(broken.isError).toBe(true);
  expect(broken.structuredContent).toMatchObject({ code: "reauth_required", link_url: expect.stringContaining("/link#link_token=") });
  expect(auth.grants.length).toBe(grantsBefore); // the refresh was refused: nothing issued
  expect(await connectionsOf(request, ru)).toEqual([expect.objectContaining({ id: connectionId, status: "reauth_required" })]);

  // The user opens the link the agent handed over.
  const linkUrl = broken.structuredContent!.link_url as string;
  expect(new URL(linkUrl).origin).toBe(baseURL);
  await page.goto(linkUrl);
  await expect(page.getByText("Needs reconnecting")).toBeVisible();
  await page.getByRole("button", { name: "Reconnect GitHub" }).click();
  // The provider still has the user's session (no login), but the grant was revoked: consent again.
  expect(await signInAndConsent(page, "alice")).toContain("consent");
  await expect(page.getByRole("heading", { name: "GitHub connected" })).toBeVisible();

  const codeGrants = auth.grants.filter((g) => g.grantType === "authorization_code");
  expect(codeGrants).toHaveLength(2);
  const reissued = codeGrants[1]!.accessToken!;
  expect(rejected.has(reissued)).toBe(false);
  expect(await connectionsOf(request, ru)).toEqual([expect.objectContaining({ id: connectionId, connector: "github", status: "active" })]);

  const seenBefore = githubApi.requests.length;
  const ok = await callTool(url, "github_get_authenticated_user");
  expect(ok.isError ?? false, JSON.stringify(ok)).toBe(false);
  expect(ok.content[0]!.text).toContain("octocat");
  const seen = tokensSeenByGithub().slice(seenBefore);
  expect(seen.length).toBeGreaterThan(0);
  expect(new Set(seen)).toEqual(new Set([reissued]));
});

test("O8 (per-client consent, as it applies to Link): Link names the organization and the connector before any redirect; the provider (and so the OAuth state) is reached only after Connect; /link sends frame-ancestors and __Host- cookies", async ({ page, request, context }) => {
  const inst = await ensureInstance(request, `o8-${randomBytes(4).toString("hex")}`);
  const token = await linkToken(request, inst.registered_user_id);
  const toProvider: string[] = [];
  const linkResponses: Response[] = [];
  context.on("request", (r) => {
    if (new URL(r.url()).origin === auth.issuer) toProvider.push(r.url());
  });
  context.on("response", (r) => {
    const u = new URL(r.url());
    if (u.origin === baseURL && u.pathname === "/link") linkResponses.push(r);
  });

  await page.goto(`${app.origin}/host.html?t=${token}`);
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Open popup" }).click()]);
  await expect(popup.getByRole("heading", { name: "Connect your accounts" })).toBeVisible();
  // Who is asking, and for what.
  await expect(popup.getByText(ORG_NAME).first()).toBeVisible();
  await expect(popup.getByText("wants to connect your accounts")).toBeVisible();
  await expect(popup.getByRole("button", { name: "Connect GitHub" })).toBeVisible();
  // Nothing has gone to the provider, and no OAuth state exists for this session yet.
  await popup.waitForTimeout(500);
  expect(toProvider).toEqual([]);
  expect(popup.url().startsWith(`${baseURL}/link`)).toBe(true);

  // The page's headers: frame-ancestors limits who may frame it; its cookie is __Host-.
  expect(linkResponses.length).toBeGreaterThan(0);
  const csp = (await linkResponses[0]!.allHeaders())["content-security-policy"] ?? "";
  expect(csp).toMatch(/frame-ancestors [^;]+/);
  expect(csp).not.toMatch(/frame-ancestors[^;]*\*/);
  const cookies = (await context.cookies(baseURL)).filter((c) => c.name.endsWith("lk_link"));
  expect(cookies.length).toBeGreaterThan(0);
  for (const c of cookies) {
    expect(c.name.startsWith("__Host-"), c.name).toBe(true);
    expect(c).toMatchObject({ name: "__Host-lk_link", path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
    expect(c.domain).toBe("127.0.0.1");
  }

  // Only the click sends the browser to the provider, carrying a fresh state.
  await popup.getByRole("button", { name: "Connect GitHub" }).click();
  await popup.waitForURL((u) => u.origin === auth.issuer);
  const auths = toProvider.map((u) => new URL(u)).filter((u) => u.pathname === "/auth");
  expect(auths).toHaveLength(1);
  expect(auths[0]!.searchParams.get("state")).toMatch(/^[0-9A-Za-z]{43}$/);
  await popup.close();
});
