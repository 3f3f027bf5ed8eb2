import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ToolError } from "@/lib/connectors/errors";
import { ProviderHttp } from "@/lib/connectors/http";
import { linear } from "@/lib/connectors/linear";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createLinearSandbox } from "@/lib/sandbox/linear";
import { serveSandbox } from "@/lib/sandbox/serve";
import type { SandboxBackend, SandboxRequest } from "@/lib/sandbox/types";

// Contract tests: each tool sends one named GraphQL operation to POST /graphql, shaped as Linear's
// schema expects, and reads the answer in the nesting its query asked for.
const backend = createLinearSandbox();
let h: ContractHarness;

const ENG = "a4c2e8f1-5b7d-4e90-8c3a-1f2e3d4c5b6a";
const ENG_DONE = "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a44";
const ENG_TODO = "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a42";
const DES_TODO = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c82";
const ADA = "3b8f6d2e-91a4-4c57-8e0b-5d2f7a1c9e34";
const GRACE = "7c1e9a4b-2d6f-4a83-b5c0-8e9f1d2a3b47";
const BUG = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e51";

type GqlBody = { query: string; variables: Record<string, unknown>; operationName: string };
const sent = () => h.last().body as GqlBody;

/** Posts straight to the sandbox, as any GraphQL client would. */
const post = (body: unknown, token = "lin_oauth_sandbox") =>
  backend.handle({ method: "POST", path: "/graphql", query: new URLSearchParams(), headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body } as SandboxRequest);

beforeAll(async () => {
  h = await contractHarness(linear, backend, { access_token: "lin_oauth_sandbox" });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

describe("linear connector contract", () => {
  it("POSTs {query, variables, operationName} as JSON to /graphql with the bearer token", async () => {
    await h.call("linear_get_viewer", {});
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/graphql" });
    expect(req.headers.authorization).toBe("Bearer lin_oauth_sandbox");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(Object.keys(req.body as object).sort()).toEqual(["operationName", "query", "variables"]);
  });

  it("linear_get_viewer → query Viewer { viewer { … } }; the account label is the viewer's email", async () => {
    const out = await h.call("linear_get_viewer", {});
    expect(sent().operationName).toBe("Viewer");
    expect(sent().query).toMatch(/^query Viewer \{\s*viewer \{/);
    expect(out).toEqual({
      id: ADA,
      name: "Ada Lovelace",
      display_name: "ada",
      email: "ada@acme-robotics.example",
      admin: true,
      url: "https://linear.app/acme/profiles/ada",
      organization: { id: expect.any(String), name: "Acme Robotics", url_key: "acme" },
    });
    const http = new ProviderHttp({ connector: linear, baseUrl: h.url, authHeaders: { authorization: "Bearer lin_oauth_sandbox" }, grantedScopes: [], toolScopes: [] });
    expect(await linear.accountLabel!({ http, connection: { id: "c", grantedScopes: [], accountLabel: null }, signal: new AbortController().signal })).toBe("ada@acme-robotics.example");
  });

  it("linear_list_teams → teams(first, after) with the Relay cursor", async () => {
    const first = (await h.call("linear_list_teams", { first: 1 })) as { teams: { key: string }[]; next_cursor: string | null };
    expect(sent()).toMatchObject({ operationName: "ListTeams", variables: { first: 1 } });
    expect(sent().query).toContain("teams(first: $first, after: $after)");
    expect(first.teams).toEqual([{ id: "d9b7c5a3-1e2f-4a6b-9c8d-7e6f5a4b3c2d", key: "DES", name: "Design", description: "Product and brand design" }]);
    expect(first.next_cursor).toBe("d9b7c5a3-1e2f-4a6b-9c8d-7e6f5a4b3c2d");
    const second = (await h.call("linear_list_teams", { first: 1, after: first.next_cursor })) as { teams: { key: string }[]; next_cursor: string | null };
    expect(sent().variables).toEqual({ first: 1, after: first.next_cursor });
    expect(second.teams.map((t) => t.key)).toEqual(["ENG"]);
    expect(second.next_cursor).toBeNull();
  });

  it("linear_list_issues → issues(filter, first, after, orderBy) and pages with endCursor", async () => {
    const page1 = (await h.call("linear_list_issues", { team_key: "eng", first: 2 })) as { issues: { identifier: string }[]; next_cursor: string | null };
    expect(sent()).toMatchObject({ operationName: "ListIssues", variables: { filter: { team: { key: { eq: "ENG" } } }, first: 2, orderBy: "updatedAt" } });
    expect(sent().variables).not.toHaveProperty("after");
    expect(page1.issues.map((i) => i.identifier)).toEqual(["ENG-4", "ENG-1"]);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = (await h.call("linear_list_issues", { team_key: "ENG", first: 2, after: page1.next_cursor })) as { issues: { identifier: string }[]; next_cursor: string | null };
    expect(sent().variables.after).toBe(page1.next_cursor);
    expect(page2.issues.map((i) => i.identifier)).toEqual(["ENG-3", "ENG-2"]);
    expect(page2.next_cursor).toBeNull();
  });

  it("linear_list_issues filters by assignee me, state name and label, and returns compact issues", async () => {
    const mine = (await h.call("linear_list_issues", { assignee: "me", state: "in progress" })) as { issues: unknown[] };
    expect(sent().variables.filter).toEqual({ state: { name: { eqIgnoreCase: "in progress" } }, assignee: { isMe: { eq: true } } });
    expect(mine.issues).toEqual([
      {
        id: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b61",
        identifier: "ENG-1",
        title: "Login button unresponsive on Safari 17",
        priority: 1,
        priority_label: "Urgent",
        state: { id: "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a43", name: "In Progress", type: "started" },
        team: { id: ENG, key: "ENG" },
        assignee: { id: ADA, name: "Ada Lovelace" },
        project: { id: "f3e2d1c0-b9a8-4f7e-8d6c-5b4a39281706", name: "Mobile App Launch" },
        labels: ["Bug"],
        estimate: null,
        due_date: null,
        url: "https://linear.app/acme/issue/ENG-1/login-button-unresponsive-on-safari-17",
        created_at: "2026-01-12T10:00:00.000Z",
        updated_at: "2026-02-11T15:30:00.000Z",
        completed_at: null,
        canceled_at: null,
      },
    ]);
    const unassigned = (await h.call("linear_list_issues", { assignee: "none" })) as { issues: { identifier: string }[] };
    expect(sent().variables.filter).toEqual({ assignee: { null: true } });
    expect(unassigned.issues.map((i) => i.identifier)).toEqual(["ENG-3"]);
    const bugs = (await h.call("linear_list_issues", { label: "bug", state_type: "completed" })) as { issues: { identifier: string }[] };
    expect(sent().variables.filter).toEqual({ state: { type: { eq: "completed" } }, labels: { some: { name: { eqIgnoreCase: "bug" } } } });
    expect(bugs.issues.map((i) => i.identifier)).toEqual(["ENG-4"]);
  });

  it("linear_get_issue → issue(id) by identifier, with description and comments; unknown → not_found", async () => {
    const out = await h.call("linear_get_issue", { id: "ENG-1" });
    expect(sent()).toMatchObject({ operationName: "GetIssue", variables: { id: "ENG-1" } });
    expect(sent().query).toContain("issue(id: $id)");
    expect(out).toMatchObject({
      identifier: "ENG-1",
      description: expect.stringContaining("**Sign in**"),
      branch_name: "ada/eng-1-login-button-unresponsive-on-safari-17",
      creator: { id: GRACE, name: "Grace Hopper" },
      parent: null,
      comments: [{ body: expect.stringContaining("Reproduced on Safari"), author: { id: GRACE, name: "Grace Hopper" }, created_at: "2026-01-13T09:15:00.000Z" }],
    });
    const failure = await h.fail("linear_get_issue", { id: "ENG-999" });
    expect(failure).toMatchObject({ code: "not_found", message: expect.stringContaining("Could not find referenced Issue."), provider_status: 200 });
  });

  it("linear_create_issue → mutation issueCreate(input: IssueCreateInput!); the issue is then listed", async () => {
    const out = (await h.call("linear_create_issue", {
      team_id: ENG,
      title: "Crash when uploading a 0-byte file",
      description: "Steps:\n1. Upload `empty.txt`",
      priority: 2,
      assignee_id: GRACE,
      state_id: ENG_TODO,
      label_ids: [BUG],
    })) as { id: string; identifier: string };
    expect(sent()).toMatchObject({
      operationName: "CreateIssue",
      variables: { input: { teamId: ENG, title: "Crash when uploading a 0-byte file", description: "Steps:\n1. Upload `empty.txt`", priority: 2, assigneeId: GRACE, stateId: ENG_TODO, labelIds: [BUG] } },
    });
    expect(Object.keys(sent().variables.input as object).sort()).toEqual(["assigneeId", "description", "labelIds", "priority", "stateId", "teamId", "title"]);
    expect(sent().query).toMatch(/mutation CreateIssue\(\$input: IssueCreateInput!\) \{\s*issueCreate\(input: \$input\)/);
    expect(out).toMatchObject({ identifier: "ENG-5", priority_label: "High", state: { name: "Todo" }, assignee: { name: "Grace Hopper" }, labels: ["Bug"] });
    const listed = (await h.call("linear_list_issues", { team_key: "ENG", order_by: "createdAt", first: 1 })) as { issues: { id: string }[] };
    expect(listed.issues.map((i) => i.id)).toEqual([out.id]);
    const bare = await h.call("linear_create_issue", { team_id: ENG, title: "Defaults" });
    expect(sent().variables.input).toEqual({ teamId: ENG, title: "Defaults" });
    expect(bare).toMatchObject({ identifier: "ENG-6", priority: 0, state: { name: "Backlog" }, assignee: null });
  });

  it("maps Linear's validation errors to invalid_request with Linear's message", async () => {
    const failure = await h.fail("linear_create_issue", { team_id: ENG, title: "Wrong board", state_id: DES_TODO });
    expect(failure).toMatchObject({ code: "invalid_request", message: "Linear rejected the request: The workflow state does not belong to the issue's team." });
    expect(await h.fail("linear_create_issue", { team_id: "1d2c3b4a-5e6f-4a7b-8c9d-000000000000", title: "Nowhere" })).toMatchObject({
      code: "not_found",
      message: expect.stringContaining("Could not find referenced Team."),
    });
    // Nothing was created by the failed calls.
    const listed = (await h.call("linear_list_issues", { team_key: "ENG" })) as { issues: unknown[] };
    expect(listed.issues).toHaveLength(4);
  });

  it("linear_update_issue → mutation issueUpdate(id, input) with only the given fields; Done sets completed_at", async () => {
    const out = await h.call("linear_update_issue", { id: "ENG-2", state_id: ENG_DONE, priority: 1, assignee_id: null });
    expect(sent()).toMatchObject({ operationName: "UpdateIssue", variables: { id: "ENG-2", input: { stateId: ENG_DONE, priority: 1, assigneeId: null } } });
    expect(Object.keys(sent().variables.input as object).sort()).toEqual(["assigneeId", "priority", "stateId"]);
    expect(out).toMatchObject({ identifier: "ENG-2", state: { name: "Done", type: "completed" }, priority_label: "Urgent", assignee: null, completed_at: expect.any(String) });
    expect(await h.fail("linear_update_issue", { id: "ENG-2" })).toMatchObject({ code: "invalid_arguments" });
    expect(await h.fail("linear_update_issue", { id: "ENG-404", title: "x" })).toMatchObject({ code: "not_found" });
  });

  it("linear_create_comment → mutation commentCreate(input: {issueId, body}); the comment shows on the issue", async () => {
    const out = await h.call("linear_create_comment", { issue_id: "DES-1", body: "Looks great — ship it." });
    expect(sent()).toMatchObject({ operationName: "CreateComment", variables: { input: { issueId: "DES-1", body: "Looks great — ship it." } } });
    expect(out).toMatchObject({ body: "Looks great — ship it.", author: { id: ADA, name: "Ada Lovelace" }, issue: { identifier: "DES-1" }, url: expect.stringContaining("/issue/DES-1/") });
    const issue = (await h.call("linear_get_issue", { id: "DES-1" })) as { comments: { body: string }[] };
    expect(issue.comments.map((c) => c.body)).toEqual(["Looks great — ship it."]);
  });

  it("linear_search_issues → searchIssues(term, filter, includeComments, first)", async () => {
    const out = (await h.call("linear_search_issues", { query: "safari" })) as { total_count: number; issues: { identifier: string }[]; next_cursor: string | null };
    expect(sent()).toMatchObject({ operationName: "SearchIssues", variables: { term: "safari", includeComments: false, first: 25 } });
    expect(out).toMatchObject({ total_count: 1, next_cursor: null });
    expect(out.issues.map((i) => i.identifier)).toEqual(["ENG-1"]);
    const byComment = (await h.call("linear_search_issues", { query: "click handler", include_comments: true, team_key: "eng" })) as { issues: { identifier: string }[] };
    expect(sent().variables).toMatchObject({ filter: { team: { key: { eq: "ENG" } } }, includeComments: true });
    expect(byComment.issues.map((i) => i.identifier)).toEqual(["ENG-1"]);
  });

  it("linear_list_projects → projects(filter, first, after) with status, progress and teams", async () => {
    const out = (await h.call("linear_list_projects", {})) as { projects: unknown[] };
    expect(sent()).toMatchObject({ operationName: "ListProjects", variables: { first: 50 } });
    expect(out.projects).toEqual([
      expect.objectContaining({ name: "Design System v2", status: "Planned", status_type: "planned", lead: { id: GRACE, name: "Grace Hopper" }, teams: ["DES"] }),
      expect.objectContaining({
        name: "Mobile App Launch",
        status: "In Progress",
        status_type: "started",
        progress: 0.333,
        teams: ["DES", "ENG"],
        start_date: "2026-01-05",
        target_date: "2026-03-31",
        url: "https://linear.app/acme/project/mobile-app-launch-8c2b7e1f4a9d",
      }),
    ]);
    const started = (await h.call("linear_list_projects", { status: "started" })) as { projects: { name: string }[] };
    expect(sent().variables.filter).toEqual({ status: { type: { eq: "started" } } });
    expect(started.projects.map((p) => p.name)).toEqual(["Mobile App Launch"]);
  });

  it("linear_list_workflow_states → workflowStates(filter: {team: {key}}) in board order", async () => {
    const out = (await h.call("linear_list_workflow_states", { team_key: "DES" })) as { states: { name: string; type: string; team: string }[] };
    expect(sent()).toMatchObject({ operationName: "ListWorkflowStates", variables: { filter: { team: { key: { eq: "DES" } } } } });
    expect(out.states.map((s) => `${s.team}:${s.name}:${s.type}`)).toEqual(["DES:Backlog:backlog", "DES:Todo:unstarted", "DES:In Progress:started", "DES:Done:completed", "DES:Canceled:canceled"]);
    const all = (await h.call("linear_list_workflow_states", {})) as { states: unknown[] };
    expect(all.states).toHaveLength(10);
  });

  it("401 on an expired token → provider_unauthorized (Linear's authentication error body)", async () => {
    expect(await h.fail("linear_get_viewer", {}, { credential: { access_token: "expired_abc" } })).toEqual({ code: "provider_unauthorized" });
    const res = await post({ query: "{ viewer { id } }" }, "revoked_x");
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errors: [{ message: "Authentication required, not authenticated", extensions: { type: "authentication error", code: "AUTHENTICATION_ERROR" } }] });
  });

  it("interpret classifies Linear's GraphQL errors", () => {
    const err = (extensions: Record<string, unknown>, message = "x") => ({ errors: [{ message, extensions }] });
    // An authentication error on HTTP 400 still means the credential is bad.
    expect(linear.interpret!({ status: 400, headers: {}, body: err({ type: "authentication error", code: "AUTHENTICATION_ERROR" }) })).toMatchObject({ code: "reauth_required" });
    const reset = String(Date.now() + 42_000);
    const rl = linear.interpret!({ status: 400, headers: { "x-ratelimit-requests-remaining": "0", "x-ratelimit-requests-reset": reset }, body: err({ type: "ratelimited", code: "RATELIMITED" }, "Rate limit exceeded") });
    expect(rl).toMatchObject({ code: "rate_limited", provider_status: 400 });
    expect(rl!.retry_after).toBeGreaterThanOrEqual(41);
    expect(rl!.retry_after).toBeLessThanOrEqual(42);
    const scope = { status: 400, headers: {}, body: err({ type: "forbidden", code: "FORBIDDEN", statusCode: 403 }, "Invalid scope: `write` required") };
    expect(linear.interpret!(scope)).toMatchObject({ code: "insufficient_scope" });
    expect(linear.missingScopes!(scope)).toEqual(["write"]);
    expect(linear.interpret!({ status: 400, headers: {}, body: err({ type: "forbidden", code: "FORBIDDEN", userPresentableMessage: "You don't have access to this team." }) })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("You don't have access to this team."),
    });
    expect(linear.interpret!({ status: 200, headers: {}, body: { data: { viewer: { id: "x" } } } })).toBeNull();
    expect(linear.interpret!({ status: 503, headers: {}, body: "<html>" })).toBeNull();
  });

  it("a missing OAuth scope reaches the agent as insufficient_scope naming the scope", async () => {
    // Linear refuses a mutation the token's scopes do not cover with a FORBIDDEN GraphQL error.
    const refusing: SandboxBackend = {
      slug: "linear",
      reset: () => {},
      handle: async () => ({
        status: 400,
        body: { errors: [{ message: "Invalid scope: `write` required", extensions: { type: "forbidden", code: "FORBIDDEN", statusCode: 403, userError: true } }] },
      }),
    };
    const served = await serveSandbox(refusing);
    try {
      const http = new ProviderHttp({ connector: linear, baseUrl: served.url, authHeaders: { authorization: "Bearer t" }, grantedScopes: ["read"], toolScopes: ["write"] });
      const err = await http.post("/graphql", { query: "mutation { issueUpdate }" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).failure).toMatchObject({ code: "insufficient_scope", missing_scopes: ["write"], provider_status: 400 });
    } finally {
      await served.close();
    }
  });

  it("the sandbox validates documents and variables like Linear's GraphQL server", async () => {
    const create = "mutation CreateIssue($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id } } }";
    const missingTeam = await post({ query: create, variables: { input: { title: "No team" } }, operationName: "CreateIssue" });
    expect(missingTeam.status).toBe(400);
    expect(missingTeam.body).toEqual({
      errors: [
        {
          message: 'Variable "$input" got invalid value { title: "No team" }; Field "teamId" of required type "String!" was not provided.',
          locations: [{ line: 1, column: 22 }],
          extensions: { type: "graphql error", code: "BAD_USER_INPUT", userError: true },
        },
      ],
    });
    const notUuid = await post({ query: create, variables: { input: { teamId: "ENG", title: "Key, not id" } }, operationName: "CreateIssue" });
    expect(notUuid).toMatchObject({ status: 200, body: { errors: [{ message: "Argument Validation Error", path: ["issueCreate"], extensions: { code: "INPUT_ERROR", userPresentableMessage: "teamId must be a UUID." } }], data: null } });
    const badField = await post({ query: "query Viewer { viewer { id nickname } }", operationName: "Viewer" });
    expect(badField).toMatchObject({ status: 400, body: { errors: [{ message: 'Cannot query field "nickname" on type "User".', extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }] } });
    const wrongName = await post({ query: "query Viewer { viewer { id } }", operationName: "Teams" });
    expect(wrongName).toMatchObject({ status: 400, body: { errors: [{ message: 'Unknown operation named "Teams".' }] } });
    const wrongType = await post({ query: "query GetIssue($id: ID!) { issue(id: $id) { id } }", variables: { id: "ENG-1" } });
    expect(wrongType).toMatchObject({ status: 400, body: { errors: [{ message: 'Variable "$id" of type "ID!" used in position expecting type "String!".' }] } });
    const noSelection = await post({ query: "{ issue(id: \"ENG-1\") { state } }" });
    expect(noSelection).toMatchObject({ status: 400, body: { errors: [{ message: 'Field "state" of type "WorkflowState!" must have a selection of subfields. Did you mean "state { ... }"?' }] } });
    const syntax = await post({ query: "{ viewer { id }" });
    expect(syntax).toMatchObject({ status: 400, body: { errors: [{ message: "Syntax Error: Expected Name, found <EOF>.", extensions: { code: "GRAPHQL_PARSE_FAILED" } }] } });
  });

  it("the sandbox answers exactly the selected fields, with aliases and fragments, and sends rate-limit headers", async () => {
    const res = await post({
      query: "query Q { me: viewer { ...U } issue(id: \"DES-2\") { identifier assignee { name } labels { nodes { name } } } } fragment U on User { id email }",
      operationName: "Q",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { me: { id: ADA, email: "ada@acme-robotics.example" }, issue: { identifier: "DES-2", assignee: { name: "Ada Lovelace" }, labels: { nodes: [] } } } });
    expect(res.headers).toMatchObject({ "x-ratelimit-requests-limit": "5000", "x-ratelimit-requests-remaining": expect.any(String), "x-ratelimit-requests-reset": expect.any(String) });
  });

  it("reset() restores the seeded workspace", async () => {
    await h.call("linear_create_issue", { team_id: ENG, title: "Temporary" });
    backend.reset();
    const listed = (await h.call("linear_list_issues", { team_key: "ENG" })) as { issues: unknown[] };
    expect(listed.issues).toHaveLength(4);
  });

  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(linear.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of linear.tools) {
      expect(t.name).toMatch(/^linear_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes.length).toBeGreaterThan(0);
    }
    expect(linear.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
    expect(new Set(linear.tools.flatMap((t) => t.scopes))).toEqual(new Set(["read", "write", "issues:create", "comments:create"]));
  });
});
