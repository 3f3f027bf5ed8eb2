import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jira, adfToText, textToAdf } from "@/lib/connectors/jira";
import { ProviderHttp } from "@/lib/connectors/http";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createJiraSandbox } from "@/lib/sandbox/jira";

// Contract tests: each tool sends Jira Cloud's documented REST v3 request and reads its documented response.
const backend = createJiraSandbox();
const credential = { site_url: "https://acme.atlassian.net", email: "alex.morgan@acme.example", api_token: "ATATT3xFfGF0sandbox-token" };
const basic = (email: string, token: string) => `Basic ${Buffer.from(`${email}:${token}`).toString("base64")}`;
const ALEX = "5fd1c9a2e3b4c1006f1a2b3c";
const PRIYA = "712020:8c1e4f2a-3b5d-4e6f-9a7b-1c2d3e4f5a6b";
let h: ContractHarness;

type SearchOut = { issues: { key: string; summary: string; status: string; assignee: string | null; priority: string | null; updated: string; url: string }[]; next_page_token: string | null };
const search = async (jql: string, extra: Record<string, unknown> = {}) => (await h.call("jira_search_issues", { jql, ...extra })) as SearchOut;
const keys = (o: SearchOut) => o.issues.map((i) => i.key);

beforeAll(async () => {
  h = await contractHarness(jira, backend, credential);
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

describe("jira connector contract", () => {
  it("sends Basic email:api_token and asks for JSON", async () => {
    await h.call("jira_get_myself", {});
    const req = h.last();
    expect(req.headers.authorization).toBe(basic(credential.email, credential.api_token));
    expect(req.headers.accept).toBe("application/json");
  });

  it("validates the connection form: an https *.atlassian.net site (normalised), an email and an API token", () => {
    if (jira.auth.kind !== "basic") throw new Error("expected basic auth");
    const form = jira.auth.form;
    expect(form.parse({ site_url: "https://acme.atlassian.net/", email: "a@b.example", api_token: "ATATT3xFfGF0token" })).toMatchObject({ site_url: "https://acme.atlassian.net" });
    expect(form.parse({ site_url: "https://Acme.atlassian.net/jira/software/projects", email: "a@b.example", api_token: "ATATT3xFfGF0token" }).site_url).toBe("https://acme.atlassian.net");
    for (const site_url of ["http://acme.atlassian.net", "https://acme.example.com", "https://acme.atlassian.net.evil.example", "not a url"]) {
      expect(form.safeParse({ site_url, email: "a@b.example", api_token: "ATATT3xFfGF0token" }).success).toBe(false);
    }
    expect(form.safeParse({ site_url: "https://acme.atlassian.net", email: "nope", api_token: "ATATT3xFfGF0token" }).success).toBe(false);
    expect(form.safeParse({ site_url: "https://acme.atlassian.net", email: "a@b.example", api_token: "short" }).success).toBe(false);
    expect(jira.auth.secretFields).toEqual(["api_token"]);
    expect(jira.auth.headers({ email: "a@b.example", api_token: "tok" })).toEqual({ authorization: basic("a@b.example", "tok") });
    expect(jira.baseUrlFromCredential!({ site_url: "https://acme.atlassian.net/" })).toBe("https://acme.atlassian.net");
  });

  it("jira_get_myself → GET /rest/api/3/myself; the account label is the email", async () => {
    const out = await h.call("jira_get_myself", {});
    expect(h.last()).toMatchObject({ method: "GET", path: "/rest/api/3/myself" });
    expect(out).toEqual({ account_id: ALEX, display_name: "Alex Morgan", email: "alex.morgan@acme.example", active: true, account_type: "atlassian", time_zone: "Europe/London", locale: "en_GB" });
    const http = new ProviderHttp({ connector: jira, baseUrl: h.url, authHeaders: jira.auth.kind === "basic" ? jira.auth.headers(credential) : {}, grantedScopes: [], toolScopes: [] });
    const label = await jira.accountLabel!({ http, connection: { id: "c", grantedScopes: [], accountLabel: null }, signal: new AbortController().signal });
    expect(label).toBe("alex.morgan@acme.example");
  });

  it("jira_search_issues → GET /rest/api/3/search/jql with jql, fields and maxResults; pages with nextPageToken", async () => {
    const first = await search("project = KAN ORDER BY updated DESC", { max_results: 2 });
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/rest/api/3/search/jql" });
    expect(req.query.get("jql")).toBe("project = KAN ORDER BY updated DESC");
    expect(req.query.get("maxResults")).toBe("2");
    expect(req.query.get("fields")!.split(",")).toEqual(expect.arrayContaining(["summary", "status", "assignee", "priority", "updated"]));
    expect(req.query.has("nextPageToken")).toBe(false);
    expect(keys(first)).toEqual(["KAN-2", "KAN-3"]);
    expect(first.issues[0]).toEqual({
      key: "KAN-2",
      id: "10002",
      summary: "Login page returns 500 on expired session",
      status: "In Progress",
      status_category: "In Progress",
      issue_type: "Bug",
      project: "KAN",
      priority: "Highest",
      assignee: "Alex Morgan",
      assignee_account_id: ALEX,
      labels: ["auth", "backend"],
      updated: "2026-02-02T11:25:00.000+0000",
      url: "https://acme.atlassian.net/browse/KAN-2",
    });
    expect(first.next_page_token).toEqual(expect.any(String));

    const second = await search("project = KAN ORDER BY updated DESC", { max_results: 2, next_page_token: first.next_page_token });
    expect(h.last().query.get("nextPageToken")).toBe(first.next_page_token);
    expect(keys(second)).toEqual(["KAN-4", "KAN-1"]);
    expect(second.next_page_token).toBeNull();
  });

  it("the sandbox's JQL subset: status, currentUser(), text ~, OR/IN/NOT, EMPTY, dates and ORDER BY", async () => {
    expect(keys(await search('status = "In Progress" AND assignee = currentUser()'))).toEqual(["KAN-2"]);
    expect(keys(await search("assignee = currentUser() ORDER BY key ASC"))).toEqual(["KAN-1", "KAN-2", "OPS-2"]);
    const asPriya = (await h.call("jira_search_issues", { jql: "assignee = currentUser() ORDER BY key ASC" }, { credential: { ...credential, email: "priya.shah@acme.example" } })) as SearchOut;
    expect(keys(asPriya)).toEqual(["KAN-3", "OPS-1"]);
    expect(keys(await search('text ~ "login"'))).toEqual(["KAN-2"]);
    expect(keys(await search('text ~ "staging"'))).toEqual(["KAN-2"]); // comments are searched too
    expect(keys(await search('project = OPS OR labels = frontend ORDER BY key ASC'))).toEqual(["KAN-3", "OPS-1", "OPS-2"]);
    expect(keys(await search("project = KAN AND status NOT IN (Done, \"In Progress\") ORDER BY key"))).toEqual(["KAN-3", "KAN-4"]);
    expect(keys(await search("project = KAN AND assignee IS EMPTY"))).toEqual(["KAN-4"]);
    expect(keys(await search("issuetype = Bug ORDER BY priority DESC"))).toEqual(["KAN-2", "OPS-2"]);
    expect(keys(await search('updated >= "2026-02-01" ORDER BY updated DESC'))).toEqual(["OPS-1", "KAN-2"]);
  });

  it("JQL Jira cannot run → invalid_request with Jira's message", async () => {
    expect(await h.fail("jira_search_issues", { jql: "project = NOPE" })).toMatchObject({
      code: "invalid_request",
      provider_status: 400,
      message: "Jira rejected the request: The value 'NOPE' does not exist for the field 'project'.",
    });
    expect(h.last().path).toBe("/rest/api/3/search/jql");
    expect(await h.fail("jira_search_issues", { jql: "ORDER BY updated DESC" })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("Unbounded JQL queries are not allowed here. Please add a search restriction to your query."),
    });
    expect(await h.fail("jira_search_issues", { jql: "project = KAN status = Done" })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'status'. (line 1, character 15)"),
    });
    expect(await h.fail("jira_search_issues", { jql: 'summary ~ "unfinished' })).toMatchObject({ message: expect.stringContaining("has not been completed") });
    expect(await h.fail("jira_search_issues", { jql: "colour = red" })).toMatchObject({ message: expect.stringContaining("Field 'colour' does not exist or you do not have permission to view it.") });
    expect(await h.fail("jira_search_issues", { jql: "project ~ KAN" })).toMatchObject({ message: expect.stringContaining("The operator '~' is not supported by the 'project' field.") });
  });

  it("jira_get_issue → GET /rest/api/3/issue/{key} with fields; ADF description and comments become plain text", async () => {
    const out = await h.call("jira_get_issue", { issue_key: "KAN-2" });
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/rest/api/3/issue/KAN-2" });
    expect(req.query.get("fields")!.split(",")).toEqual(expect.arrayContaining(["summary", "description", "comment", "status", "assignee"]));
    expect(out).toEqual({
      key: "KAN-2",
      id: "10002",
      url: "https://acme.atlassian.net/browse/KAN-2",
      project: { key: "KAN", name: "Kanban" },
      issue_type: "Bug",
      summary: "Login page returns 500 on expired session",
      description: "Steps to reproduce:\n\n1. Sign in and wait for the session to expire\n2. Reload /login\n\nExpected a redirect, got HTTP 500.\ncc @Priya Shah",
      status: "In Progress",
      status_category: "In Progress",
      priority: "Highest",
      assignee: { account_id: ALEX, display_name: "Alex Morgan" },
      reporter: { account_id: ALEX, display_name: "Alex Morgan" },
      labels: ["auth", "backend"],
      created: "2026-01-12T10:03:00.000+0000",
      updated: "2026-02-02T11:25:00.000+0000",
      comment_count: 1,
      comments: [{ id: "10100", author: "Priya Shah", body: "I can reproduce this on staging.", created: "2026-02-02T11:25:00.000+0000" }],
    });
    expect(await h.call("jira_get_issue", { issue_key: "KAN-4" })).toMatchObject({ description: null, assignee: null });
  });

  it("an unknown issue → not_found with Jira's message", async () => {
    expect(await h.fail("jira_get_issue", { issue_key: "KAN-999" })).toMatchObject({
      code: "not_found",
      provider_status: 404,
      message: expect.stringContaining("Issue does not exist or you do not have permission to see it."),
    });
    expect(await h.fail("jira_list_transitions", { issue_key: "OPS-77" })).toMatchObject({ code: "not_found" });
  });

  it("jira_create_issue → POST /rest/api/3/issue with fields and an ADF description; 201 {id,key,self}; the issue is searchable", async () => {
    const out = (await h.call("jira_create_issue", {
      project_key: "KAN",
      summary: "Export board as CSV",
      issue_type: "Story",
      description: "Users want a CSV export.\n\nColumns:\nkey, summary, status",
      labels: ["export", "frontend"],
      priority: "High",
      assignee_account_id: PRIYA,
    })) as { id: string; key: string; url: string };
    expect(h.last()).toMatchObject({ method: "POST", path: "/rest/api/3/issue" });
    expect(h.last().headers["content-type"]).toBe("application/json");
    expect(h.last().body).toEqual({
      fields: {
        project: { key: "KAN" },
        summary: "Export board as CSV",
        issuetype: { name: "Story" },
        description: {
          type: "doc",
          version: 1,
          content: [
            { type: "paragraph", content: [{ type: "text", text: "Users want a CSV export." }] },
            { type: "paragraph", content: [{ type: "text", text: "Columns:" }, { type: "hardBreak" }, { type: "text", text: "key, summary, status" }] },
          ],
        },
        labels: ["export", "frontend"],
        priority: { name: "High" },
        assignee: { accountId: PRIYA },
      },
    });
    expect(out).toEqual({ id: "10007", key: "KAN-5", url: "https://acme.atlassian.net/browse/KAN-5" });

    const found = await search('project = KAN AND text ~ "CSV"');
    expect(found.issues).toEqual([expect.objectContaining({ key: "KAN-5", status: "To Do", assignee: "Priya Shah", priority: "High" })]);
    expect(await h.call("jira_get_issue", { issue_key: "KAN-5" })).toMatchObject({
      description: "Users want a CSV export.\n\nColumns:\nkey, summary, status",
      reporter: { account_id: ALEX },
      issue_type: "Story",
    });

    // Only the required fields; the default issue type is Task.
    await h.call("jira_create_issue", { project_key: "OPS", summary: "Renew TLS certificate" });
    expect(h.last().body).toEqual({ fields: { project: { key: "OPS" }, summary: "Renew TLS certificate", issuetype: { name: "Task" } } });
  });

  it("Jira's field validation errors → invalid_request naming the fields", async () => {
    const noProject = await h.fail("jira_create_issue", { project_key: "NOPE", summary: "x" });
    expect(noProject).toMatchObject({
      code: "invalid_request",
      provider_status: 400,
      message: "Jira rejected the request: project: Specify a valid project ID or key",
      issues: [{ path: "project", message: "Specify a valid project ID or key" }],
    });
    const badFields = await h.fail("jira_create_issue", { project_key: "KAN", summary: "x", issue_type: "Epic", priority: "Urgent" });
    expect(badFields).toMatchObject({ code: "invalid_request", message: expect.stringContaining("issuetype: Specify a valid issue type") });
    expect(badFields).toMatchObject({ message: expect.stringContaining("priority: Priority name 'Urgent' is not valid") });
    expect(await h.fail("jira_update_issue", { issue_key: "KAN-1", assignee_account_id: "ghost" })).toMatchObject({
      code: "invalid_request",
      message: "Jira rejected the request: assignee: User 'ghost' does not exist.",
    });
  });

  it("jira_update_issue → PUT /rest/api/3/issue/{key} with only the given fields (204); label add/remove use `update`", async () => {
    const out = await h.call("jira_update_issue", { issue_key: "KAN-3", summary: "Add a dark mode toggle", description: "Follow the OS setting by default.", priority: "High" });
    expect(h.last()).toMatchObject({ method: "PUT", path: "/rest/api/3/issue/KAN-3" });
    expect(h.last().body).toEqual({
      fields: {
        summary: "Add a dark mode toggle",
        description: { type: "doc", version: 1, content: [{ type: "paragraph", content: [{ type: "text", text: "Follow the OS setting by default." }] }] },
        priority: { name: "High" },
      },
    });
    expect(out).toEqual({ key: "KAN-3", updated: true, changed: ["summary", "description", "priority"] });

    await h.call("jira_update_issue", { issue_key: "KAN-3", add_labels: ["ui"], remove_labels: ["frontend"], assignee_account_id: null });
    expect(h.last().body).toEqual({ fields: { assignee: null }, update: { labels: [{ add: "ui" }, { remove: "frontend" }] } });
    expect(await h.call("jira_get_issue", { issue_key: "KAN-3" })).toMatchObject({
      summary: "Add a dark mode toggle",
      description: "Follow the OS setting by default.",
      priority: "High",
      labels: ["ui"],
      assignee: null,
    });

    await h.call("jira_update_issue", { issue_key: "KAN-3", description: "", labels: ["a", "b"] });
    expect(h.last().body).toEqual({ fields: { description: null, labels: ["a", "b"] } });
    expect(await h.call("jira_get_issue", { issue_key: "KAN-3" })).toMatchObject({ description: null, labels: ["a", "b"] });

    await expect(h.call("jira_update_issue", { issue_key: "KAN-3" })).rejects.toThrow(/at least one field/);
    await expect(h.call("jira_update_issue", { issue_key: "KAN-3", labels: ["x"], add_labels: ["y"] })).rejects.toThrow(/not both/);
    await expect(h.call("jira_update_issue", { issue_key: "KAN-3", labels: ["two words"] })).rejects.toThrow(/spaces/);
  });

  it("jira_add_comment → POST /rest/api/3/issue/{key}/comment with an ADF body; the comment shows on the issue", async () => {
    const out = await h.call("jira_add_comment", { issue_key: "KAN-2", body: "Fixed in #482.\nDeploying now." });
    expect(h.last()).toMatchObject({ method: "POST", path: "/rest/api/3/issue/KAN-2/comment" });
    expect(h.last().body).toEqual({
      body: { type: "doc", version: 1, content: [{ type: "paragraph", content: [{ type: "text", text: "Fixed in #482." }, { type: "hardBreak" }, { type: "text", text: "Deploying now." }] }] },
    });
    expect(out).toMatchObject({ id: "10101", issue_key: "KAN-2", author: "Alex Morgan", body: "Fixed in #482.\nDeploying now.", created: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*\+0000$/) });
    const issue = (await h.call("jira_get_issue", { issue_key: "KAN-2" })) as { comment_count: number; comments: { body: string }[] };
    expect(issue.comment_count).toBe(2);
    expect(issue.comments.at(-1)!.body).toBe("Fixed in #482.\nDeploying now.");
  });

  it("jira_list_transitions → GET /rest/api/3/issue/{key}/transitions", async () => {
    const out = await h.call("jira_list_transitions", { issue_key: "KAN-3" });
    expect(h.last()).toMatchObject({ method: "GET", path: "/rest/api/3/issue/KAN-3/transitions" });
    expect(out).toEqual({
      issue_key: "KAN-3",
      transitions: [
        { id: "21", name: "In Progress", to_status: "In Progress", to_status_category: "In Progress", has_screen: false },
        { id: "31", name: "Done", to_status: "Done", to_status_category: "Done", has_screen: false },
      ],
    });
  });

  it("jira_transition_issue → POST /rest/api/3/issue/{key}/transitions {transition:{id}} (204); by status name; with a comment", async () => {
    const out = await h.call("jira_transition_issue", { issue_key: "KAN-3", transition_id: "21" });
    expect(h.last()).toMatchObject({ method: "POST", path: "/rest/api/3/issue/KAN-3/transitions", body: { transition: { id: "21" } } });
    expect(out).toEqual({ key: "KAN-3", transitioned: true, transition_id: "21", to_status: null });
    expect(await h.call("jira_get_issue", { issue_key: "KAN-3" })).toMatchObject({ status: "In Progress" });

    const before = h.requests.length;
    const byName = await h.call("jira_transition_issue", { issue_key: "KAN-3", to_status: "done", comment: "Shipped." });
    const [list, post] = h.requests.slice(before);
    expect(list).toMatchObject({ method: "GET", path: "/rest/api/3/issue/KAN-3/transitions" });
    expect(post).toMatchObject({
      method: "POST",
      path: "/rest/api/3/issue/KAN-3/transitions",
      body: { transition: { id: "31" }, update: { comment: [{ add: { body: { type: "doc", version: 1, content: [{ type: "paragraph", content: [{ type: "text", text: "Shipped." }] }] } } }] } },
    });
    expect(byName).toEqual({ key: "KAN-3", transitioned: true, transition_id: "31", to_status: "Done" });
    expect(await h.call("jira_get_issue", { issue_key: "KAN-3" })).toMatchObject({ status: "Done", comments: [{ body: "Shipped." }] });
    expect(keys(await search('project = KAN AND status = Done ORDER BY key'))).toEqual(["KAN-1", "KAN-3"]);

    expect(await h.fail("jira_transition_issue", { issue_key: "KAN-3", transition_id: "99" })).toMatchObject({
      code: "invalid_request",
      message: "Jira rejected the request: Transition id '99' is not valid for this issue.",
    });
    expect(await h.fail("jira_transition_issue", { issue_key: "KAN-3", to_status: "Done" })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining('No transition to "Done" is available for KAN-3'),
    });
    await expect(h.call("jira_transition_issue", { issue_key: "KAN-3" })).rejects.toThrow(/exactly one/);
  });

  it("jira_list_projects → GET /rest/api/3/project/search with startAt/maxResults; follows isLast", async () => {
    const first = (await h.call("jira_list_projects", { max_results: 1 })) as { projects: { key: string }[]; total: number; next_start_at: number | null };
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/rest/api/3/project/search" });
    expect(Object.fromEntries(req.query)).toEqual({ orderBy: "key", startAt: "0", maxResults: "1" });
    expect(first).toEqual({
      projects: [{ id: "10000", key: "KAN", name: "Kanban", type: "software", team_managed: true, private: false, url: "https://acme.atlassian.net/browse/KAN" }],
      total: 2,
      next_start_at: 1,
    });
    const second = (await h.call("jira_list_projects", { max_results: 1, start_at: first.next_start_at })) as typeof first;
    expect(h.last().query.get("startAt")).toBe("1");
    expect(second.projects.map((p) => p.key)).toEqual(["OPS"]);
    expect(second.next_start_at).toBeNull();
    const filtered = (await h.call("jira_list_projects", { query: "oper" })) as typeof first;
    expect(h.last().query.get("query")).toBe("oper");
    expect(filtered.projects.map((p) => p.key)).toEqual(["OPS"]);
  });

  it("jira_search_users → GET /rest/api/3/user/search?query=", async () => {
    const out = await h.call("jira_search_users", { query: "pri" });
    expect(h.last()).toMatchObject({ method: "GET", path: "/rest/api/3/user/search" });
    expect(Object.fromEntries(h.last().query)).toEqual({ query: "pri", startAt: "0", maxResults: "20" });
    expect(out).toEqual({ users: [{ account_id: PRIYA, display_name: "Priya Shah", email: "priya.shah@acme.example", active: true, account_type: "atlassian" }], next_start_at: null });
  });

  it("maps Jira's errors: 401 → provider auth error; 403 → invalid_request (permission); CAPTCHA; 429 left to Retry-After handling", async () => {
    expect(await h.fail("jira_get_myself", {}, { credential: { ...credential, api_token: "expired_ATATT3xFf" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("jira_get_myself", {}, { credential: { ...credential, api_token: "revoked_ATATT3xFf" } })).toEqual({ code: "provider_unauthorized" });
    expect(h.last().headers.authorization).toBe(basic(credential.email, "revoked_ATATT3xFf"));

    expect(jira.interpret!({ status: 403, headers: {}, body: { errorMessages: ["You do not have permission to create issues in this project."], errors: {} } })).toEqual({
      code: "invalid_request",
      message: "Jira refused the request: the account has no permission for this (You do not have permission to create issues in this project.).",
      provider_status: 403,
    });
    expect(jira.interpret!({ status: 403, headers: { "x-seraph-loginreason": "AUTHENTICATION_DENIED" }, body: "" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("CAPTCHA") });
    expect(jira.interpret!({ status: 429, headers: { "retry-after": "30" }, body: "" })).toBeNull();
    expect(jira.interpret!({ status: 200, headers: {}, body: {} })).toBeNull();
    expect(jira.interpret!({ status: 204, headers: {}, body: null })).toBeNull();
  });

  it("converts between plain text and ADF", () => {
    expect(textToAdf("")).toEqual({ type: "doc", version: 1, content: [] });
    expect(adfToText(textToAdf("one\ntwo\n\n\nthree"))).toBe("one\ntwo\n\nthree");
    expect(
      adfToText({
        type: "doc",
        version: 1,
        content: [
          { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Plan" }] },
          { type: "bulletList", content: [{ type: "listItem", content: [{ type: "paragraph", content: [{ type: "text", text: "a" }] }, { type: "bulletList", content: [{ type: "listItem", content: [{ type: "paragraph", content: [{ type: "text", text: "b" }] }] }] }] }] },
          { type: "codeBlock", attrs: { language: "sh" }, content: [{ type: "text", text: "npm test" }] },
          { type: "paragraph", content: [{ type: "inlineCard", attrs: { url: "https://example.com" } }, { type: "text", text: " " }, { type: "emoji", attrs: { shortName: ":tada:", text: "🎉" } }] },
        ],
      }),
    ).toBe("Plan\n\n- a\n  - b\n\nnpm test\n\nhttps://example.com 🎉");
    expect(adfToText(null)).toBeNull();
  });

  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(jira.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of jira.tools) {
      expect(t.name).toMatch(/^jira_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes).toEqual([]);
      expect(t.description.length).toBeGreaterThan(20);
    }
    expect(jira.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
    expect(new Set(jira.tools.map((t) => t.name)).size).toBe(jira.tools.length);
  });
});
