import * as z from "zod";
import { parseLinkHeader, retryAfterSeconds, type HttpResponse } from "@/lib/connectors/http";
import { defineConnector, defineTool } from "@/lib/connectors/types";

// GitHub REST API v3 (https://docs.github.com/en/rest), pinned to API version 2022-11-28.

type GhUser = { login: string; id: number; name?: string | null; email?: string | null; html_url?: string };
type GhLabel = { name: string } | string;
type GhIssue = {
  number: number;
  title: string;
  state: string;
  state_reason?: string | null;
  body?: string | null;
  html_url: string;
  user: GhUser | null;
  labels: GhLabel[];
  assignees?: GhUser[];
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  pull_request?: unknown;
};

const ownerRepo = {
  owner: z.string().min(1).max(100).describe("Account that owns the repository, e.g. octocat"),
  repo: z.string().min(1).max(100).describe("Repository name without the owner, e.g. hello-world"),
};
const paging = {
  per_page: z.number().int().min(1).max(100).default(30).describe("Results per page (max 100)"),
  page: z.number().int().min(1).max(1000).default(1).describe("Page number, starting at 1"),
};

const issueOut = (i: GhIssue) => ({
  number: i.number,
  title: i.title,
  state: i.state,
  state_reason: i.state_reason ?? null,
  body: i.body ?? null,
  url: i.html_url,
  author: i.user?.login ?? null,
  labels: i.labels.map((l) => (typeof l === "string" ? l : l.name)),
  assignees: (i.assignees ?? []).map((a) => a.login),
  comments: i.comments,
  is_pull_request: Boolean(i.pull_request),
  created_at: i.created_at,
  updated_at: i.updated_at,
  closed_at: i.closed_at ?? null,
});

const nextPage = (res: HttpResponse) => {
  const next = parseLinkHeader(res.headers.link as string | undefined).next;
  return next ? Number(new URL(next).searchParams.get("page")) || null : null;
};

const path = (...parts: (string | number)[]) => `/${parts.map((p) => encodeURIComponent(String(p))).join("/")}`;

export const github = defineConnector({
  slug: "github",
  name: "GitHub",
  description: "Repositories, issues, pull requests and comments on GitHub.",
  icon: `<svg viewBox="0 0 16 16" xmlns="http://www.w3.org/2000/svg"><path d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38l-.01-1.49c-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82a7.4 7.4 0 0 1 4 0c1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48l-.01 2.2c0 .21.15.46.55.38A8.01 8.01 0 0 0 16 8c0-4.42-3.58-8-8-8Z"/></svg>`,
  categories: ["developer-tools", "source-control"],
  docsUrl: "https://docs.github.com/en/rest",
  auth: {
    kind: "oauth2",
    authorizeUrl: "https://github.com/login/oauth/authorize",
    tokenUrl: "https://github.com/login/oauth/access_token",
    pkce: true,
    scopeSeparator: " ",
    baseScopes: ["read:user"],
    tokenAuthMethod: "client_secret_post",
  },
  baseUrl: "https://api.github.com",
  defaultHeaders: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
  // A 403 with no remaining quota is GitHub's primary rate limit, not a permission problem.
  interpret: ({ status, headers }) => {
    if (status === 403 && headers["x-ratelimit-remaining"] === "0") {
      const reset = Number(headers["x-ratelimit-reset"]);
      const retry = Number.isFinite(reset) ? Math.max(0, Math.ceil(reset - Date.now() / 1000)) : retryAfterSeconds(headers);
      return { code: "rate_limited", message: "GitHub's rate limit for this connection is exhausted.", ...(retry !== undefined ? { retry_after: retry } : {}), provider_status: 403 };
    }
    return null;
  },
  missingScopes: ({ headers }) => {
    const accepted = String(headers["x-accepted-oauth-scopes"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const granted = new Set(String(headers["x-oauth-scopes"] ?? "").split(",").map((s) => s.trim()));
    return accepted.length && !accepted.some((s) => granted.has(s)) ? accepted : null;
  },
  accountLabel: async ({ http }) => (await http.get<GhUser>("/user")).body.login,
  tools: [
    defineTool({
      name: "github_get_authenticated_user",
      description: "Get the GitHub account this connection belongs to (login, name, email).",
      input: z.object({}),
      annotations: { title: "Who am I on GitHub", readOnlyHint: true, openWorldHint: true },
      scopes: ["read:user"],
      handler: async (_a, { http }) => {
        const u = (await http.get<GhUser & { public_repos?: number }>("/user")).body;
        return { login: u.login, id: u.id, name: u.name ?? null, email: u.email ?? null, url: u.html_url ?? null };
      },
    }),
    defineTool({
      name: "github_list_repositories",
      description: "List repositories the user can access, most recently updated first.",
      input: z.object({
        visibility: z.enum(["all", "public", "private"]).default("all"),
        sort: z.enum(["created", "updated", "pushed", "full_name"]).default("updated"),
        ...paging,
      }),
      annotations: { title: "List repositories", readOnlyHint: true, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => {
        const res = await http.get<{ full_name: string; name: string; owner: GhUser; private: boolean; description: string | null; html_url: string; default_branch: string; updated_at: string }[]>(
          "/user/repos",
          { visibility: a.visibility, sort: a.sort, per_page: a.per_page, page: a.page },
        );
        return {
          repositories: res.body.map((r) => ({
            full_name: r.full_name,
            owner: r.owner.login,
            name: r.name,
            private: r.private,
            description: r.description,
            url: r.html_url,
            default_branch: r.default_branch,
            updated_at: r.updated_at,
          })),
          next_page: nextPage(res),
        };
      },
    }),
    defineTool({
      name: "github_list_issues",
      description: "List issues of a repository (pull requests are marked is_pull_request).",
      input: z.object({
        ...ownerRepo,
        state: z.enum(["open", "closed", "all"]).default("open"),
        labels: z.array(z.string().min(1)).max(20).optional().describe("Only issues with all these labels"),
        ...paging,
      }),
      annotations: { title: "List issues", readOnlyHint: true, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => {
        const res = await http.get<GhIssue[]>(path("repos", a.owner, a.repo, "issues"), {
          state: a.state,
          labels: a.labels?.join(","),
          per_page: a.per_page,
          page: a.page,
        });
        return { issues: res.body.map(issueOut), next_page: nextPage(res) };
      },
    }),
    defineTool({
      name: "github_get_issue",
      description: "Get one issue by number.",
      input: z.object({ ...ownerRepo, issue_number: z.number().int().min(1) }),
      annotations: { title: "Get issue", readOnlyHint: true, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => issueOut((await http.get<GhIssue>(path("repos", a.owner, a.repo, "issues", a.issue_number))).body),
    }),
    defineTool({
      name: "github_create_issue",
      description: "Open a new issue in a repository.",
      input: z.object({
        ...ownerRepo,
        title: z.string().min(1).max(256),
        body: z.string().max(65536).optional(),
        labels: z.array(z.string().min(1)).max(20).optional(),
        assignees: z.array(z.string().min(1)).max(10).optional(),
      }),
      annotations: { title: "Create issue", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) =>
        issueOut(
          (await http.post<GhIssue>(path("repos", a.owner, a.repo, "issues"), { title: a.title, body: a.body, labels: a.labels, assignees: a.assignees })).body,
        ),
    }),
    defineTool({
      name: "github_update_issue",
      description: "Change an issue's title, body, labels, or close/reopen it.",
      input: z.object({
        ...ownerRepo,
        issue_number: z.number().int().min(1),
        title: z.string().min(1).max(256).optional(),
        body: z.string().max(65536).optional(),
        state: z.enum(["open", "closed"]).optional(),
        state_reason: z.enum(["completed", "not_planned", "reopened"]).optional(),
        labels: z.array(z.string().min(1)).max(20).optional().describe("Replaces all labels"),
      }),
      annotations: { title: "Update issue", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => {
        const { owner, repo, issue_number, ...patch } = a;
        return issueOut((await http.patch<GhIssue>(path("repos", owner, repo, "issues", issue_number), patch)).body);
      },
    }),
    defineTool({
      name: "github_create_issue_comment",
      description: "Comment on an issue or pull request.",
      input: z.object({ ...ownerRepo, issue_number: z.number().int().min(1), body: z.string().min(1).max(65536) }),
      annotations: { title: "Comment on issue", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => {
        const c = (await http.post<{ id: number; html_url: string; body: string; user: GhUser; created_at: string }>(path("repos", a.owner, a.repo, "issues", a.issue_number, "comments"), { body: a.body })).body;
        return { id: c.id, url: c.html_url, body: c.body, author: c.user.login, created_at: c.created_at };
      },
    }),
    defineTool({
      name: "github_list_pull_requests",
      description: "List pull requests of a repository.",
      input: z.object({ ...ownerRepo, state: z.enum(["open", "closed", "all"]).default("open"), ...paging }),
      annotations: { title: "List pull requests", readOnlyHint: true, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => {
        const res = await http.get<{ number: number; title: string; state: string; html_url: string; user: GhUser; draft?: boolean; head: { ref: string }; base: { ref: string }; merged_at: string | null; created_at: string }[]>(
          path("repos", a.owner, a.repo, "pulls"),
          { state: a.state, per_page: a.per_page, page: a.page },
        );
        return {
          pull_requests: res.body.map((p) => ({
            number: p.number,
            title: p.title,
            state: p.state,
            draft: p.draft ?? false,
            url: p.html_url,
            author: p.user.login,
            head: p.head.ref,
            base: p.base.ref,
            merged_at: p.merged_at,
            created_at: p.created_at,
          })),
          next_page: nextPage(res),
        };
      },
    }),
    defineTool({
      name: "github_search_issues",
      description: "Search issues and pull requests with GitHub search syntax, e.g. `repo:octocat/hello-world is:open bug`.",
      input: z.object({ q: z.string().min(1).max(256), ...paging }),
      annotations: { title: "Search issues", readOnlyHint: true, openWorldHint: true },
      scopes: ["repo"],
      handler: async (a, { http }) => {
        const res = await http.get<{ total_count: number; incomplete_results: boolean; items: GhIssue[] }>("/search/issues", { q: a.q, per_page: a.per_page, page: a.page });
        return { total_count: res.body.total_count, issues: res.body.items.map(issueOut), next_page: nextPage(res) };
      },
    }),
  ],
});
