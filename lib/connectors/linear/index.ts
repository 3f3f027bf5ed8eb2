import * as z from "zod";
import { retryAfterSeconds, type ProviderHttp } from "@/lib/connectors/http";
import { toolError, type ToolFailure } from "@/lib/connectors/errors";
import { defineConnector, defineTool, type ProviderAnswer } from "@/lib/connectors/types";

// Linear's GraphQL API (https://linear.app/developers/graphql): every call is POST /graphql with
// `{ query, variables, operationName }`. Field and argument names follow the published schema
// (github.com/linear/linear, packages/sdk/src/schema.graphql). Each tool sends one fixed, named
// operation; only variables change. Linear has no API version header.

type GqlError = { message?: string; path?: (string | number)[]; extensions?: { type?: string; code?: string; statusCode?: number; userPresentableMessage?: string } };
type PageInfo = { hasNextPage: boolean; endCursor: string | null };
type Ref = { id: string; name: string };
type LinearUser = { id: string; name: string; displayName?: string; email?: string; url?: string; active?: boolean; admin?: boolean; organization?: { id: string; name: string; urlKey: string } };
type LinearState = { id: string; name: string; type: string };
type LinearIssue = {
  id: string;
  identifier: string;
  title: string;
  description?: string | null;
  priority: number;
  priorityLabel: string;
  estimate?: number | null;
  dueDate?: string | null;
  url: string;
  branchName?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string | null;
  completedAt?: string | null;
  canceledAt?: string | null;
  state: LinearState | null;
  team: { id: string; key: string; name: string } | null;
  assignee: (Ref & { email?: string }) | null;
  creator?: Ref | null;
  project: Ref | null;
  parent?: { id: string; identifier: string; title: string } | null;
  labels: { nodes: Ref[] };
  comments?: { nodes: LinearComment[] };
};
type LinearComment = { id: string; body: string; url?: string; createdAt: string; user: Ref | null; issue?: { id: string; identifier: string } | null };

/** The issue fields every issue-returning operation selects. */
const ISSUE_FIELDS = `id identifier title priority priorityLabel estimate dueDate url createdAt updatedAt startedAt completedAt canceledAt
      state { id name type }
      team { id key name }
      assignee { id name email }
      project { id name }
      labels { nodes { id name } }`;

const issueOut = (i: LinearIssue) => ({
  id: i.id,
  identifier: i.identifier,
  title: i.title,
  priority: i.priority,
  priority_label: i.priorityLabel,
  state: i.state ? { id: i.state.id, name: i.state.name, type: i.state.type } : null,
  team: i.team ? { id: i.team.id, key: i.team.key } : null,
  assignee: i.assignee ? { id: i.assignee.id, name: i.assignee.name } : null,
  project: i.project ? { id: i.project.id, name: i.project.name } : null,
  labels: i.labels.nodes.map((l) => l.name),
  estimate: i.estimate ?? null,
  due_date: i.dueDate ?? null,
  url: i.url,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
  completed_at: i.completedAt ?? null,
  canceled_at: i.canceledAt ?? null,
});

const nextCursor = (p: PageInfo) => (p.hasNextPage ? p.endCursor : null);

/** Sends one named operation and returns its `data` (errors were classified by `interpret`). */
async function gql<T>(http: ProviderHttp, operationName: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await http.post<{ data?: T | null }>("/graphql", { query, variables, operationName });
  const data = res.body && typeof res.body === "object" ? res.body.data : undefined;
  if (!data) throw toolError("upstream_error", "Linear answered without data.");
  return data;
}

const errorsOf = (body: unknown): GqlError[] => {
  const errors = body && typeof body === "object" ? (body as { errors?: unknown }).errors : undefined;
  return Array.isArray(errors) ? (errors as GqlError[]) : [];
};

/** Seconds until a Linear reset header: epoch milliseconds (documented), tolerating seconds. */
const secondsUntil = (v: unknown): number | undefined => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  const ms = n > 1e12 ? n : n * 1000;
  return Math.max(0, Math.ceil((ms - Date.now()) / 1000));
};

/** Linear's scope complaint reads "Invalid scope: `write` required". */
const scopeRe = /scope:?\s*`?([A-Za-z]+(?::[A-Za-z]+)?)`?\s+required/i;

/**
 * Linear answers GraphQL errors with HTTP 200, 400 or 401 and the same body shape:
 * `{ errors: [{ message, extensions: { type, code, userPresentableMessage } }] }`. The generic
 * status mapping cannot read them, so every answer carrying `errors` is classified here.
 */
export function interpretLinear({ status, headers, body }: ProviderAnswer): ToolFailure | null {
  const first = errorsOf(body)[0];
  if (!first) return null;
  const ext = first.extensions ?? {};
  const type = (ext.type ?? "").toLowerCase();
  const code = (ext.code ?? "").toUpperCase();
  const said = (ext.userPresentableMessage || first.message || "no message").slice(0, 300);
  const provider_status = status;
  if (type === "authentication error" || code === "AUTHENTICATION_ERROR") {
    return { code: "reauth_required", message: "Linear rejected the credential; reconnect Linear.", provider_status };
  }
  if (type === "ratelimited" || code === "RATELIMITED") {
    const exhausted = headers["x-ratelimit-complexity-remaining"] === "0" && headers["x-ratelimit-requests-remaining"] !== "0" ? "x-ratelimit-complexity-reset" : "x-ratelimit-requests-reset";
    const retry = retryAfterSeconds(headers) ?? secondsUntil(headers[exhausted]);
    return {
      code: "rate_limited",
      message: `Linear is rate limiting this connection${retry !== undefined ? `; retry after ${retry} s` : ""}.`,
      ...(retry !== undefined ? { retry_after: retry } : {}),
      provider_status,
    };
  }
  if (type === "forbidden" || code === "FORBIDDEN") {
    // A missing OAuth scope is fixable by reconnecting; other refusals (a private team) are not.
    if (scopeRe.test(`${first.message ?? ""} ${ext.userPresentableMessage ?? ""}`)) {
      return { code: "insufficient_scope", message: `Linear says the connection lacks a scope: ${said}. Reconnect Linear with it granted.`, provider_status };
    }
    return { code: "invalid_request", message: `Linear refused the request: ${said}`, provider_status };
  }
  if (/^entity not found/i.test(first.message ?? "")) return { code: "not_found", message: `Linear found nothing there: ${said}`, provider_status };
  if (status >= 500 || ["internal error", "lock timeout", "network error", "bootstrap error", "unknown"].includes(type)) {
    return { code: "upstream_error", message: `Linear had an error: ${said}`, provider_status };
  }
  return { code: "invalid_request", message: `Linear rejected the request: ${said}`, provider_status };
}

const VIEWER_QUERY = `query Viewer {
  viewer { id name displayName email url admin organization { id name urlKey } }
}`;

const paging = (max: number, byDefault: number) => ({
  first: z.number().int().min(1).max(max).default(byDefault).describe(`Results per page (max ${max})`),
  after: z.string().min(1).max(200).optional().describe("next_cursor from the previous page, to fetch the page after it"),
});

const issueRef = z
  .string()
  .min(1)
  .max(100)
  .describe('The issue: its identifier such as "ENG-123", or its UUID');

const uuid = (what: string) => z.uuid().describe(`${what} (a UUID)`);

export const linear = defineConnector({
  slug: "linear",
  name: "Linear",
  description: "Issues, comments, teams, projects and workflow states in Linear.",
  icon: `<svg viewBox="0 0 100 100" xmlns="http://www.w3.org/2000/svg"><path d="M1.23 61.52c-.22-.95.91-1.54 1.6-.86l36.5 36.52c.7.69.1 1.82-.85 1.6A50.07 50.07 0 0 1 1.23 61.52ZM0 46.89c-.02.28.09.56.29.76l52.06 52.06c.2.2.48.3.76.29 2.37-.15 4.7-.46 6.96-.93.77-.16 1.03-1.1.48-1.65L2.58 39.45c-.55-.55-1.5-.29-1.65.48A50.2 50.2 0 0 0 0 46.89Zm4.21-17.18c-.17.37-.08.81.2 1.1l64.78 64.77c.29.29.73.37 1.1.2a49.8 49.8 0 0 0 5.19-2.68c.55-.33.63-1.08.18-1.54L8.44 24.34c-.46-.46-1.21-.37-1.54.18a49.8 49.8 0 0 0-2.69 5.19Zm8.45-11.64a1 1 0 0 1-.05-1.35A49.93 49.93 0 0 1 49.95 0C77.6 0 100 22.4 100 50.05c0 14.84-6.46 28.17-16.72 37.34-.39.35-.98.32-1.35-.05L12.66 18.07Z"/></svg>`,
  categories: ["project-management", "developer-tools"],
  docsUrl: "https://linear.app/developers/graphql",
  auth: {
    kind: "oauth2",
    authorizeUrl: "https://linear.app/oauth/authorize",
    tokenUrl: "https://api.linear.app/oauth/token",
    revokeUrl: "https://api.linear.app/oauth/revoke",
    pkce: true,
    scopeSeparator: ",",
    baseScopes: ["read"],
    tokenAuthMethod: "client_secret_post",
  },
  baseUrl: "https://api.linear.app",
  interpret: interpretLinear,
  missingScopes: ({ body }) => {
    for (const e of errorsOf(body)) {
      const m = scopeRe.exec(`${e.message ?? ""} ${e.extensions?.userPresentableMessage ?? ""}`);
      if (m) return [m[1]!];
    }
    return null;
  },
  accountLabel: async ({ http }) => (await gql<{ viewer: { email: string } }>(http, "Viewer", VIEWER_QUERY)).viewer.email,
  tools: [
    defineTool({
      name: "linear_get_viewer",
      description: "Get the Linear user this connection acts as (id, name, email) and their workspace. Use the id as assignee_id to assign work to yourself.",
      input: z.object({}),
      annotations: { title: "Who am I on Linear", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (_a, { http }) => {
        const { viewer: u } = await gql<{ viewer: LinearUser }>(http, "Viewer", VIEWER_QUERY);
        return {
          id: u.id,
          name: u.name,
          display_name: u.displayName ?? null,
          email: u.email ?? null,
          admin: u.admin ?? false,
          url: u.url ?? null,
          organization: u.organization ? { id: u.organization.id, name: u.organization.name, url_key: u.organization.urlKey } : null,
        };
      },
    }),
    defineTool({
      name: "linear_list_teams",
      description: "List the teams in the Linear workspace with their id (needed to create issues) and key (the prefix of issue identifiers, e.g. ENG).",
      input: z.object({ ...paging(100, 50) }),
      annotations: { title: "List teams", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (a, { http }) => {
        const { teams } = await gql<{ teams: { nodes: { id: string; key: string; name: string; description: string | null }[]; pageInfo: PageInfo } }>(
          http,
          "ListTeams",
          `query ListTeams($first: Int, $after: String) {
  teams(first: $first, after: $after) {
    nodes { id key name description }
    pageInfo { hasNextPage endCursor }
  }
}`,
          { first: a.first, after: a.after },
        );
        return { teams: teams.nodes.map((t) => ({ id: t.id, key: t.key, name: t.name, description: t.description })), next_cursor: nextCursor(teams.pageInfo) };
      },
    }),
    defineTool({
      name: "linear_list_issues",
      description:
        "List issues, filtered by team, workflow state, assignee, project or label, most recently updated first. Returns a next_cursor when more pages exist.",
      input: z.object({
        team_key: z.string().min(1).max(10).optional().describe("Team key, e.g. ENG"),
        state: z.string().min(1).max(100).optional().describe('Workflow state name, e.g. "In Progress" (case-insensitive)'),
        state_type: z.enum(["triage", "backlog", "unstarted", "started", "completed", "canceled"]).optional().describe("Workflow state category, e.g. started"),
        assignee: z.string().min(1).max(100).optional().describe('"me" for the connected user, "none" for unassigned issues, or a user UUID'),
        project_id: z.uuid().optional().describe("Only issues in this project (UUID)"),
        label: z.string().min(1).max(100).optional().describe("Only issues carrying this label name"),
        order_by: z.enum(["updatedAt", "createdAt"]).default("updatedAt"),
        ...paging(50, 25),
      }),
      annotations: { title: "List issues", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (a, { http }) => {
        const filter: Record<string, unknown> = {};
        if (a.team_key) filter.team = { key: { eq: a.team_key.toUpperCase() } };
        if (a.state || a.state_type) filter.state = { ...(a.state ? { name: { eqIgnoreCase: a.state } } : {}), ...(a.state_type ? { type: { eq: a.state_type } } : {}) };
        if (a.assignee) {
          const who = a.assignee.toLowerCase();
          filter.assignee = who === "me" ? { isMe: { eq: true } } : who === "none" ? { null: true } : { id: { eq: a.assignee } };
        }
        if (a.project_id) filter.project = { id: { eq: a.project_id } };
        if (a.label) filter.labels = { some: { name: { eqIgnoreCase: a.label } } };
        const { issues } = await gql<{ issues: { nodes: LinearIssue[]; pageInfo: PageInfo } }>(
          http,
          "ListIssues",
          `query ListIssues($filter: IssueFilter, $first: Int, $after: String, $orderBy: PaginationOrderBy) {
  issues(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    nodes { ${ISSUE_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`,
          { filter: Object.keys(filter).length ? filter : undefined, first: a.first, after: a.after, orderBy: a.order_by },
        );
        return { issues: issues.nodes.map(issueOut), next_cursor: nextCursor(issues.pageInfo) };
      },
    }),
    defineTool({
      name: "linear_get_issue",
      description: "Get one issue with its description (markdown), parent, and up to 20 recent comments.",
      input: z.object({ id: issueRef }),
      annotations: { title: "Get issue", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (a, { http }) => {
        const { issue: i } = await gql<{ issue: LinearIssue }>(
          http,
          "GetIssue",
          `query GetIssue($id: String!) {
  issue(id: $id) {
    ${ISSUE_FIELDS}
    description branchName
    creator { id name }
    parent { id identifier title }
    comments(first: 20) { nodes { id body url createdAt user { id name } } }
  }
}`,
          { id: a.id },
        );
        return {
          ...issueOut(i),
          description: i.description ?? null,
          branch_name: i.branchName ?? null,
          creator: i.creator ? { id: i.creator.id, name: i.creator.name } : null,
          parent: i.parent ? { id: i.parent.id, identifier: i.parent.identifier, title: i.parent.title } : null,
          started_at: i.startedAt ?? null,
          comments: (i.comments?.nodes ?? [])
            .map((c) => ({ id: c.id, body: c.body, url: c.url ?? null, author: c.user ? { id: c.user.id, name: c.user.name } : null, created_at: c.createdAt }))
            .sort((x, y) => x.created_at.localeCompare(y.created_at)),
        };
      },
    }),
    defineTool({
      name: "linear_create_issue",
      description:
        "Create an issue in a team. team_id is the team's UUID from linear_list_teams; state_id comes from linear_list_workflow_states (omit it for the team's default state).",
      input: z.object({
        team_id: uuid("Team id from linear_list_teams"),
        title: z.string().min(1).max(255),
        description: z.string().max(100_000).optional().describe("Markdown"),
        priority: z.number().int().min(0).max(4).optional().describe("0 none, 1 urgent, 2 high, 3 medium, 4 low"),
        assignee_id: uuid("User to assign").optional(),
        state_id: uuid("Workflow state of the same team").optional(),
        label_ids: z.array(z.uuid()).max(20).optional().describe("Issue label UUIDs"),
        project_id: uuid("Project to add the issue to").optional(),
        due_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe("YYYY-MM-DD"),
      }),
      annotations: { title: "Create issue", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: ["issues:create"],
      handler: async (a, { http }) => {
        const { issueCreate } = await gql<{ issueCreate: { success: boolean; issue: LinearIssue | null } }>(
          http,
          "CreateIssue",
          `mutation CreateIssue($input: IssueCreateInput!) {
  issueCreate(input: $input) {
    success
    issue { ${ISSUE_FIELDS} }
  }
}`,
          {
            input: {
              teamId: a.team_id,
              title: a.title,
              description: a.description,
              priority: a.priority,
              assigneeId: a.assignee_id,
              stateId: a.state_id,
              labelIds: a.label_ids,
              projectId: a.project_id,
              dueDate: a.due_date,
            },
          },
        );
        if (!issueCreate.success || !issueCreate.issue) throw toolError("invalid_request", "Linear did not create the issue.");
        return issueOut(issueCreate.issue);
      },
    }),
    defineTool({
      name: "linear_update_issue",
      description:
        "Change an issue's title, description, workflow state (e.g. move to Done), priority, assignee, labels or due date. Only the fields given change; assignee_id null unassigns.",
      input: z.object({
        id: issueRef,
        title: z.string().min(1).max(255).optional(),
        description: z.string().max(100_000).optional().describe("Markdown; replaces the whole description"),
        state_id: uuid("Workflow state of the issue's team, from linear_list_workflow_states").optional(),
        priority: z.number().int().min(0).max(4).optional().describe("0 none, 1 urgent, 2 high, 3 medium, 4 low"),
        assignee_id: z.uuid().nullable().optional().describe("User UUID, or null to unassign"),
        label_ids: z.array(z.uuid()).max(20).optional().describe("Replaces all labels"),
        due_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable().optional().describe("YYYY-MM-DD, or null to clear"),
      }),
      annotations: { title: "Update issue", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: ["write"],
      handler: async (a, { http }) => {
        const input = {
          title: a.title,
          description: a.description,
          stateId: a.state_id,
          priority: a.priority,
          assigneeId: a.assignee_id,
          labelIds: a.label_ids,
          dueDate: a.due_date,
        };
        if (Object.values(input).every((v) => v === undefined)) throw toolError("invalid_arguments", "Give at least one field to change.");
        const { issueUpdate } = await gql<{ issueUpdate: { success: boolean; issue: LinearIssue | null } }>(
          http,
          "UpdateIssue",
          `mutation UpdateIssue($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) {
    success
    issue { ${ISSUE_FIELDS} }
  }
}`,
          { id: a.id, input },
        );
        if (!issueUpdate.success || !issueUpdate.issue) throw toolError("invalid_request", "Linear did not update the issue.");
        return issueOut(issueUpdate.issue);
      },
    }),
    defineTool({
      name: "linear_create_comment",
      description: "Comment on an issue (markdown).",
      input: z.object({ issue_id: issueRef, body: z.string().min(1).max(100_000).describe("Markdown") }),
      annotations: { title: "Comment on issue", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: ["comments:create"],
      handler: async (a, { http }) => {
        const { commentCreate } = await gql<{ commentCreate: { success: boolean; comment: LinearComment } }>(
          http,
          "CreateComment",
          `mutation CreateComment($input: CommentCreateInput!) {
  commentCreate(input: $input) {
    success
    comment { id body url createdAt user { id name } issue { id identifier } }
  }
}`,
          { input: { issueId: a.issue_id, body: a.body } },
        );
        if (!commentCreate.success) throw toolError("invalid_request", "Linear did not create the comment.");
        const c = commentCreate.comment;
        return {
          id: c.id,
          body: c.body,
          url: c.url ?? null,
          author: c.user ? { id: c.user.id, name: c.user.name } : null,
          issue: c.issue ? { id: c.issue.id, identifier: c.issue.identifier } : null,
          created_at: c.createdAt,
        };
      },
    }),
    defineTool({
      name: "linear_search_issues",
      description: "Full-text search over issue identifiers, titles and descriptions (optionally comments), best matches first.",
      input: z.object({
        query: z.string().min(1).max(256).describe('Search text, e.g. "login safari" or an identifier like ENG-12'),
        team_key: z.string().min(1).max(10).optional().describe("Only issues of this team, e.g. ENG"),
        include_comments: z.boolean().default(false).describe("Also match comment text"),
        ...paging(50, 25),
      }),
      annotations: { title: "Search issues", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (a, { http }) => {
        const { searchIssues } = await gql<{ searchIssues: { totalCount: number; nodes: LinearIssue[]; pageInfo: PageInfo } }>(
          http,
          "SearchIssues",
          `query SearchIssues($term: String!, $filter: IssueFilter, $includeComments: Boolean, $first: Int, $after: String) {
  searchIssues(term: $term, filter: $filter, includeComments: $includeComments, first: $first, after: $after) {
    totalCount
    nodes { ${ISSUE_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`,
          {
            term: a.query,
            filter: a.team_key ? { team: { key: { eq: a.team_key.toUpperCase() } } } : undefined,
            includeComments: a.include_comments,
            first: a.first,
            after: a.after,
          },
        );
        return { total_count: searchIssues.totalCount, issues: searchIssues.nodes.map(issueOut), next_cursor: nextCursor(searchIssues.pageInfo) };
      },
    }),
    defineTool({
      name: "linear_list_projects",
      description: "List projects with their status, progress (0–1), lead, dates and teams.",
      input: z.object({
        status: z.enum(["backlog", "planned", "started", "paused", "completed", "canceled"]).optional().describe("Only projects whose status has this type"),
        ...paging(100, 50),
      }),
      annotations: { title: "List projects", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (a, { http }) => {
        type P = {
          id: string;
          name: string;
          description: string;
          url: string;
          progress: number;
          startDate: string | null;
          targetDate: string | null;
          createdAt: string;
          updatedAt: string;
          status: { name: string; type: string };
          lead: Ref | null;
          teams: { nodes: { id: string; key: string }[] };
        };
        const { projects } = await gql<{ projects: { nodes: P[]; pageInfo: PageInfo } }>(
          http,
          "ListProjects",
          `query ListProjects($filter: ProjectFilter, $first: Int, $after: String) {
  projects(filter: $filter, first: $first, after: $after) {
    nodes {
      id name description url progress startDate targetDate createdAt updatedAt
      status { name type }
      lead { id name }
      teams { nodes { id key } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
          { filter: a.status ? { status: { type: { eq: a.status } } } : undefined, first: a.first, after: a.after },
        );
        return {
          projects: projects.nodes.map((p) => ({
            id: p.id,
            name: p.name,
            description: p.description || null,
            status: p.status.name,
            status_type: p.status.type,
            progress: p.progress,
            lead: p.lead ? { id: p.lead.id, name: p.lead.name } : null,
            teams: p.teams.nodes.map((t) => t.key),
            start_date: p.startDate,
            target_date: p.targetDate,
            url: p.url,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })),
          next_cursor: nextCursor(projects.pageInfo),
        };
      },
    }),
    defineTool({
      name: "linear_list_workflow_states",
      description: "List workflow states (Backlog, Todo, In Progress, Done, …) with the ids that linear_create_issue and linear_update_issue take as state_id, in board order per team.",
      input: z.object({ team_key: z.string().min(1).max(10).optional().describe("Only this team's states, e.g. ENG"), ...paging(100, 50) }),
      annotations: { title: "List workflow states", readOnlyHint: true, openWorldHint: true },
      scopes: ["read"],
      handler: async (a, { http }) => {
        const { workflowStates } = await gql<{ workflowStates: { nodes: (LinearState & { color: string; position: number; team: { id: string; key: string } })[]; pageInfo: PageInfo } }>(
          http,
          "ListWorkflowStates",
          `query ListWorkflowStates($filter: WorkflowStateFilter, $first: Int, $after: String) {
  workflowStates(filter: $filter, first: $first, after: $after) {
    nodes { id name type color position team { id key } }
    pageInfo { hasNextPage endCursor }
  }
}`,
          { filter: a.team_key ? { team: { key: { eq: a.team_key.toUpperCase() } } } : undefined, first: a.first, after: a.after },
        );
        return {
          states: workflowStates.nodes
            .map((s) => ({ id: s.id, name: s.name, type: s.type, color: s.color, position: s.position, team: s.team.key, team_id: s.team.id }))
            .sort((x, y) => x.team.localeCompare(y.team) || x.position - y.position),
          next_cursor: nextCursor(workflowStates.pageInfo),
        };
      },
    }),
  ],
});
