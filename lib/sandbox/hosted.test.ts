import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { handleSandbox, injectFault, oauthFor, resetSandbox, SANDBOX_CLIENT_ID, sandboxFormValues, sandboxTag, setSandboxSecret } from "@/lib/sandbox/hosted";
import type { SandboxRequest } from "@/lib/sandbox/types";

setSandboxSecret("unit-test-secret-unit-test-secret-0123");
const KINDS: Record<string, string> = { env_test_a: "test", env_test_b: "test", env_prod: "production" };
const kindOf = async (id: string) => KINDS[id] ?? null;

function req(method: string, path: string, opts: { token?: string; body?: unknown; query?: Record<string, string>; authorization?: string } = {}): SandboxRequest {
  const headers: Record<string, string> = { host: "127.0.0.1:3000" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization) headers.authorization = opts.authorization;
  return { method, path, query: new URLSearchParams(opts.query ?? {}), headers, body: opts.body };
}
const token = (env: string, slug = "github") => oauthFor(env, slug).grant("repo read:user").access_token;

describe("hosted sandbox providers", () => {
  it("serves test environments only: production is refused, unknown environments are 404", async () => {
    const prod = await handleSandbox(kindOf, req("GET", "/sandbox/env_prod/github/user", { token: "x" }));
    expect(prod.status).toBe(403);
    expect(prod.body).toMatchObject({ error: { code: "sandbox_not_allowed" } });
    expect((await handleSandbox(kindOf, req("GET", "/sandbox/env_nope/github/user", { token: "x" }))).status).toBe(404);
    expect((await handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/nope/user", { token: "x" }))).status).toBe(404);
  });

  it("takes only credentials the environment's sandbox issued (a guessed one, or another environment's, is 401)", async () => {
    const ok = await handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/github/user", { token: token("env_test_a") }));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ login: "octocat" });
    expect((await handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/github/user", { token: "ghu_guessed" }))).status).toBe(401);
    expect((await handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/github/user", { token: token("env_test_b") }))).status).toBe(401);
    // Basic auth (Jira) carries the tag in its password.
    const v = sandboxFormValues("env_test_a", ["site_url", "email", "api_token"]);
    const basic = `Basic ${Buffer.from(`${v.email}:${v.api_token}`).toString("base64")}`;
    expect((await handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/jira/rest/api/3/myself", { authorization: basic }))).status).toBe(200);
    expect(sandboxTag("env_test_a")).not.toBe(sandboxTag("env_test_b"));
  });

  it("state is per environment, and reset restores the sample data", async () => {
    const a = token("env_test_a");
    const created = await handleSandbox(kindOf, req("POST", "/sandbox/env_test_a/github/repos/octocat/hello-world/issues", { token: a, body: { title: "Only in A" } }));
    expect(created.status).toBe(201);
    const titles = async (env: string, t: string) =>
      ((await handleSandbox(kindOf, req("GET", `/sandbox/${env}/github/repos/octocat/hello-world/issues`, { token: t }))).body as { title: string }[]).map((i) => i.title);
    expect(await titles("env_test_a", a)).toContain("Only in A");
    expect(await titles("env_test_b", token("env_test_b"))).not.toContain("Only in A");
    resetSandbox("env_test_a", "github");
    expect(await titles("env_test_a", a)).not.toContain("Only in A");
  });

  it("the authorization server: consent screen, code with PKCE, token, rotating refresh, revocation", async () => {
    const base = "/sandbox/env_test_a/slack/oauth";
    const verifier = "v".repeat(50);
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const params = { client_id: SANDBOX_CLIENT_ID, redirect_uri: "http://127.0.0.1:3000/oauth/callback", response_type: "code", state: "s1", scope: "channels:read", code_challenge: challenge, code_challenge_method: "S256" };
    const consent = await handleSandbox(kindOf, req("GET", `${base}/authorize`, { query: params }));
    expect(consent.status).toBe(200);
    expect(String(consent.body)).toContain(`action="${base}/authorize"`);
    const approved = await handleSandbox(kindOf, req("POST", `${base}/authorize`, { body: { ...params, decision: "approve" } }));
    expect(approved.status).toBe(302);
    const code = new URL(approved.headers!.location!).searchParams.get("code")!;
    const tokens = (await handleSandbox(kindOf, req("POST", `${base}/token`, { body: { grant_type: "authorization_code", code, redirect_uri: params.redirect_uri, client_id: SANDBOX_CLIENT_ID, code_verifier: verifier } }))).body as Record<string, string>;
    expect(tokens.access_token).toMatch(/^sbx_/);
    const list = () => handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/slack/conversations.list", { token: tokens.access_token }));
    expect((await list()).body).toMatchObject({ ok: true });
    const refreshed = (await handleSandbox(kindOf, req("POST", `${base}/token`, { body: { grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: SANDBOX_CLIENT_ID } }))).body as Record<string, string>;
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await handleSandbox(kindOf, req("POST", `${base}/revoke`, { body: { token: refreshed.refresh_token } }))).status).toBe(200);
    expect((await list()).body).toMatchObject({ ok: false, error: "invalid_auth" });
  });

  it("after a restart, a refresh token with the environment's prefix is adopted (connections survive restarts)", async () => {
    const prefix = `sbx_${sandboxTag("env_test_b")}_rt_`;
    const out = await handleSandbox(kindOf, req("POST", "/sandbox/env_test_b/github/oauth/token", { body: { grant_type: "refresh_token", refresh_token: `${prefix}from-before-the-restart`, client_id: SANDBOX_CLIENT_ID } }));
    expect(out.status).toBe(200);
    const other = await handleSandbox(kindOf, req("POST", "/sandbox/env_test_b/github/oauth/token", { body: { grant_type: "refresh_token", refresh_token: "sbx_someoneelse_rt_x", client_id: SANDBOX_CLIENT_ID } }));
    expect(other.status).toBe(400);
  });

  it("faults: the connection's next N calls answer the provider's error, then it works again; other connections are untouched", async () => {
    const t = token("env_test_a");
    const path = (conn: string) => `/sandbox/env_test_a/github/c/${conn}/user`;
    injectFault("env_test_a", { id: "conn_one", connector: "github" }, { mode: "rate_limited", count: 2, retryAfter: 9 });
    for (let i = 0; i < 2; i++) {
      const r = await handleSandbox(kindOf, req("GET", path("conn_one"), { token: t }));
      expect(r.status).toBe(429);
      expect(r.headers).toMatchObject({ "retry-after": "9" });
    }
    expect((await handleSandbox(kindOf, req("GET", path("conn_one"), { token: t }))).status).toBe(200);

    injectFault("env_test_a", { id: "conn_two", connector: "github" }, { mode: "expired_token", count: 1 });
    expect((await handleSandbox(kindOf, req("GET", path("conn_one"), { token: t }))).status).toBe(200);
    expect((await handleSandbox(kindOf, req("GET", path("conn_two"), { token: t }))).status).toBe(401);

    const sleep = vi.fn(async () => {});
    injectFault("env_test_a", { id: "conn_one", connector: "github" }, { mode: "slow", count: 1, delayMs: 12_345 });
    expect((await handleSandbox(kindOf, req("GET", path("conn_one"), { token: t }), sleep)).status).toBe(200);
    expect(sleep).toHaveBeenCalledWith(12_345);

    // Slack says errors its own way: HTTP 200 with ok:false.
    injectFault("env_test_a", { id: "conn_s", connector: "slack" }, { mode: "expired_token", count: 1 });
    const s = await handleSandbox(kindOf, req("GET", "/sandbox/env_test_a/slack/c/conn_s/auth.test", { token: token("env_test_a", "slack") }));
    expect(s).toMatchObject({ status: 200, body: { ok: false, error: "token_expired" } });
  });
});
