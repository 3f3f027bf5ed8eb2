import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { github } from "@/lib/connectors/github";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createGithubSandbox } from "@/lib/sandbox/github";

// Contract tests: each tool sends GitHub's documented request and reads its documented response.
const backend = createGithubSandbox();
let h: ContractHarness;

beforeAll(async () => {
  h = await contractHarness(github, backend, { access_token: "gho_sandboxtoken" });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

describe("github connector contract", () => {
  it("sends the token and GitHub's API version headers", async () => {
    await h.call("github_get_authenticated_user", {});
    const req = h.last();
    expect(req.headers.authorization).toBe("Bearer gho_sandboxtoken");
    expect(req.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(req.headers.accept).toBe("application/vnd.github+json");
  });

  it("github_get_authenticated_user → GET /user", async () => {
    const out = await h.call("github_get_authenticated_user", {});
    expect(h.last()).toMatchObject({ method: "GET", path: "/user" });
    expect(out).toMatchObject({ login: "octocat", id: 583231 });
  });

  it("github_list_repositories → GET /user/repos with visibility, sort and paging", async () => {
    const out = (await h.call("github_list_repositories", { visibility: "private", per_page: 10 })) as { repositories: { full_name: string; private: boolean }[] };
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/user/repos" });
    expect(Object.fromEntries(req.query)).toMatchObject({ visibility: "private", sort: "updated", per_page: "10", page: "1" });
    expect(out.repositories).toEqual([expect.objectContaining({ full_name: "octocat/latchkey-demo", private: true })]);
  });

  it("github_list_issues → GET /repos/{owner}/{repo}/issues and follows the Link header", async () => {
    const first = (await h.call("github_list_issues", { owner: "octocat", repo: "hello-world", state: "all", per_page: 2 })) as { issues: { number: number }[]; next_page: number | null };
    expect(h.last()).toMatchObject({ method: "GET", path: "/repos/octocat/hello-world/issues" });
    expect(first.issues.map((i) => i.number)).toEqual([4, 3]);
    expect(first.next_page).toBe(2);
    const second = (await h.call("github_list_issues", { owner: "octocat", repo: "hello-world", state: "all", per_page: 2, page: 2 })) as { issues: { number: number }[]; next_page: number | null };
    expect(second.issues.map((i) => i.number)).toEqual([2, 1]);
    expect(second.next_page).toBeNull();
    const bugs = (await h.call("github_list_issues", { owner: "octocat", repo: "hello-world", labels: ["bug"] })) as { issues: { title: string }[] };
    expect(h.last().query.get("labels")).toBe("bug");
    expect(bugs.issues.map((i) => i.title)).toEqual(["Found a bug"]);
  });

  it("github_get_issue → GET /repos/{owner}/{repo}/issues/{number}; unknown → not_found", async () => {
    const out = await h.call("github_get_issue", { owner: "octocat", repo: "hello-world", issue_number: 1 });
    expect(h.last().path).toBe("/repos/octocat/hello-world/issues/1");
    expect(out).toMatchObject({ number: 1, title: "Found a bug", labels: ["bug"], author: "octocat" });
    expect(await h.fail("github_get_issue", { owner: "octocat", repo: "hello-world", issue_number: 999 })).toMatchObject({ code: "not_found" });
  });

  it("github_create_issue → POST /repos/{owner}/{repo}/issues with title, body and labels; the issue can be listed", async () => {
    const out = (await h.call("github_create_issue", { owner: "octocat", repo: "hello-world", title: "From the agent", body: "Hi", labels: ["triage"] })) as { number: number };
    expect(h.last()).toMatchObject({ method: "POST", path: "/repos/octocat/hello-world/issues", body: { title: "From the agent", body: "Hi", labels: ["triage"] } });
    expect(out).toMatchObject({ title: "From the agent", state: "open", labels: ["triage"] });
    const listed = (await h.call("github_list_issues", { owner: "octocat", repo: "hello-world" })) as { issues: { number: number }[] };
    expect(listed.issues.map((i) => i.number)).toContain(out.number);
  });

  it("github_update_issue → PATCH with only the given fields; closing sets closed_at", async () => {
    const out = await h.call("github_update_issue", { owner: "octocat", repo: "hello-world", issue_number: 2, state: "closed", state_reason: "not_planned" });
    expect(h.last()).toMatchObject({ method: "PATCH", path: "/repos/octocat/hello-world/issues/2", body: { state: "closed", state_reason: "not_planned" } });
    expect(Object.keys(h.last().body as object).sort()).toEqual(["state", "state_reason"]);
    expect(out).toMatchObject({ state: "closed", state_reason: "not_planned", closed_at: expect.any(String) });
  });

  it("github_create_issue_comment → POST …/issues/{number}/comments", async () => {
    const out = await h.call("github_create_issue_comment", { owner: "octocat", repo: "hello-world", issue_number: 1, body: "On it" });
    expect(h.last()).toMatchObject({ method: "POST", path: "/repos/octocat/hello-world/issues/1/comments", body: { body: "On it" } });
    expect(out).toMatchObject({ body: "On it", author: "octocat" });
    expect(await h.call("github_get_issue", { owner: "octocat", repo: "hello-world", issue_number: 1 })).toMatchObject({ comments: 1 });
  });

  it("github_list_pull_requests → GET /repos/{owner}/{repo}/pulls", async () => {
    const out = (await h.call("github_list_pull_requests", { owner: "octocat", repo: "hello-world" })) as { pull_requests: unknown[] };
    expect(h.last()).toMatchObject({ method: "GET", path: "/repos/octocat/hello-world/pulls" });
    expect(out.pull_requests).toEqual([expect.objectContaining({ number: 4, head: "fix-bug", base: "main", draft: false })]);
  });

  it("github_search_issues → GET /search/issues?q=", async () => {
    const out = (await h.call("github_search_issues", { q: "repo:octocat/hello-world is:open bug" })) as { total_count: number; issues: { number: number }[] };
    expect(h.last()).toMatchObject({ method: "GET", path: "/search/issues" });
    expect(h.last().query.get("q")).toBe("repo:octocat/hello-world is:open bug");
    expect(out.issues.map((i) => i.number).sort()).toEqual([1, 4]);
  });

  it("maps GitHub's errors: 401 → provider auth error, 404 → not_found with GitHub's message, exhausted quota → rate_limited, accepted scopes → missing scopes", async () => {
    expect(await h.fail("github_get_authenticated_user", {}, { credential: { access_token: "expired_abc" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("github_list_issues", { owner: "octocat", repo: "no-such-repo" })).toMatchObject({ code: "not_found", message: expect.stringContaining("Not Found") });
    const rl = github.interpret!({ status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 60) }, body: { message: "API rate limit exceeded" } });
    expect(rl).toMatchObject({ code: "rate_limited", retry_after: expect.any(Number) });
    expect(github.missingScopes!({ status: 404, headers: { "x-accepted-oauth-scopes": "repo", "x-oauth-scopes": "read:user" }, body: null })).toEqual(["repo"]);
  });

  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(github.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of github.tools) {
      expect(t.name).toMatch(/^github_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
    }
    expect(github.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
  });
});
