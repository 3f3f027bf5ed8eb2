import { SandboxOAuthServer } from "@/lib/sandbox/oauth";
import { SandboxRouter, bearer, defaultAuthorize, json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows https://docs.github.com/en/rest for the endpoints the GitHub connector uses.

type User = { login: string; id: number; node_id: string; type: "User"; name: string; email: string | null; html_url: string };
type Label = { id: number; name: string; color: string };
type Issue = {
  id: number;
  node_id: string;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  state_reason: string | null;
  labels: Label[];
  user: User;
  assignees: User[];
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  html_url: string;
  url: string;
  pull_request?: { url: string; html_url: string };
};
type Repo = { id: number; name: string; owner: User; private: boolean; description: string | null; default_branch: string; updated_at: string; issues: Issue[]; comments: { id: number; issue: number; body: string; user: User; created_at: string; html_url: string }[]; pulls: { number: number; title: string; state: "open" | "closed"; draft: boolean; head: string; base: string; merged_at: string | null; created_at: string }[] };

const DOCS = "https://docs.github.com/rest";
const notFound = () => json(404, { message: "Not Found", documentation_url: DOCS });

function seed() {
  const octocat: User = { login: "octocat", id: 583231, node_id: "MDQ6VXNlcjU4MzIzMQ==", type: "User", name: "The Octocat", email: "octocat@github.example", html_url: "https://github.com/octocat" };
  const t0 = "2026-01-05T10:00:00Z";
  const mkIssue = (repo: string, n: number, title: string, state: "open" | "closed", labels: string[], isPr = false): Issue => ({
    id: 1_000_000 + n,
    node_id: `I_${repo}_${n}`,
    number: n,
    title,
    body: `${title} — details.`,
    state,
    state_reason: state === "closed" ? "completed" : null,
    labels: labels.map((name, i) => ({ id: 200 + i, name, color: "d73a4a" })),
    user: octocat,
    assignees: [],
    comments: 0,
    created_at: t0,
    updated_at: t0,
    closed_at: state === "closed" ? t0 : null,
    html_url: `https://github.com/octocat/${repo}/issues/${n}`,
    url: `https://api.github.com/repos/octocat/${repo}/issues/${n}`,
    ...(isPr ? { pull_request: { url: `https://api.github.com/repos/octocat/${repo}/pulls/${n}`, html_url: `https://github.com/octocat/${repo}/pull/${n}` } } : {}),
  });
  const repos: Repo[] = [
    {
      id: 1296269,
      name: "hello-world",
      owner: octocat,
      private: false,
      description: "My first repository on GitHub!",
      default_branch: "main",
      updated_at: "2026-02-01T09:00:00Z",
      issues: [
        mkIssue("hello-world", 1, "Found a bug", "open", ["bug"]),
        mkIssue("hello-world", 2, "Add a README badge", "open", ["enhancement"]),
        mkIssue("hello-world", 3, "Typo in docs", "closed", ["documentation"]),
        mkIssue("hello-world", 4, "Fix the bug", "open", [], true),
      ],
      comments: [],
      pulls: [{ number: 4, title: "Fix the bug", state: "open", draft: false, head: "fix-bug", base: "main", merged_at: null, created_at: t0 }],
    },
    { id: 1296270, name: "latchkey-demo", owner: octocat, private: true, description: "Private demo repository", default_branch: "main", updated_at: "2026-03-01T09:00:00Z", issues: [], comments: [], pulls: [] },
  ];
  return { user: octocat, repos, nextId: 5_000_000 };
}

function paginate<T>(req: SandboxRequest, items: T[], base: string): { page: T[]; headers: Record<string, string> } {
  const per = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30)));
  const page = Math.max(1, Number(req.query.get("page") ?? 1));
  const slice = items.slice((page - 1) * per, page * per);
  const links: string[] = [];
  const mk = (p: number) => {
    const q = new URLSearchParams(req.query);
    q.set("page", String(p));
    q.set("per_page", String(per));
    return `<${base}${req.path}?${q.toString()}>`;
  };
  if (page * per < items.length) links.push(`${mk(page + 1)}; rel="next"`, `${mk(Math.ceil(items.length / per))}; rel="last"`);
  if (page > 1) links.push(`${mk(page - 1)}; rel="prev"`, `${mk(1)}; rel="first"`);
  return { page: slice, headers: links.length ? { link: links.join(", ") } : {} };
}

export function createGithubSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;
  // github.com's OAuth endpoints, served beside the API so one sandbox is the whole provider.
  const oauth = new SandboxOAuthServer({ provider: "GitHub", paths: { authorize: "/login/oauth/authorize", token: "/login/oauth/access_token" }, tokenPrefix: { access: "ghu_", refresh: "ghr_" } }, opts.oauth);
  const base = "https://api.github.com";
  const repoOf = (p: Record<string, string>) => state.repos.find((r) => r.owner.login === p.owner && r.name === p.repo);
  const now = () => new Date().toISOString();

  const router = new SandboxRouter()
    .on("GET", "/user", () => json(200, { ...state.user, public_repos: state.repos.filter((r) => !r.private).length }))
    .on("GET", "/user/repos", (req) => {
      const vis = req.query.get("visibility") ?? "all";
      const list = state.repos
        .filter((r) => vis === "all" || (vis === "private") === r.private)
        .map(({ issues: _i, comments: _c, pulls: _p, ...r }) => ({ ...r, full_name: `${r.owner.login}/${r.name}`, html_url: `https://github.com/${r.owner.login}/${r.name}` }));
      const { page, headers } = paginate(req, list, base);
      return json(200, page, headers);
    })
    .on("GET", "/repos/:owner/:repo/issues", (req, p) => {
      const repo = repoOf(p);
      if (!repo) return notFound();
      const st = req.query.get("state") ?? "open";
      const labels = (req.query.get("labels") ?? "").split(",").filter(Boolean);
      const list = repo.issues
        .filter((i) => st === "all" || i.state === st)
        .filter((i) => labels.every((l) => i.labels.some((x) => x.name === l)))
        .sort((a, b) => b.number - a.number);
      const { page, headers } = paginate(req, list, base);
      return json(200, page, headers);
    })
    .on("POST", "/repos/:owner/:repo/issues", (req, p) => {
      const repo = repoOf(p);
      if (!repo) return notFound();
      const b = (req.body ?? {}) as { title?: unknown; body?: string; labels?: string[]; assignees?: string[] };
      if (typeof b.title !== "string" || !b.title) {
        return json(422, { message: "Validation Failed", errors: [{ resource: "Issue", code: "missing_field", field: "title" }], documentation_url: DOCS });
      }
      const number = Math.max(0, ...repo.issues.map((i) => i.number)) + 1;
      const issue: Issue = {
        id: state.nextId++,
        node_id: `I_${repo.name}_${number}`,
        number,
        title: b.title,
        body: b.body ?? null,
        state: "open",
        state_reason: null,
        labels: (b.labels ?? []).map((name, i) => ({ id: 900 + i, name, color: "ededed" })),
        user: state.user,
        assignees: (b.assignees ?? []).map((login) => ({ ...state.user, login })),
        comments: 0,
        created_at: now(),
        updated_at: now(),
        closed_at: null,
        html_url: `https://github.com/${repo.owner.login}/${repo.name}/issues/${number}`,
        url: `${base}/repos/${repo.owner.login}/${repo.name}/issues/${number}`,
      };
      repo.issues.push(issue);
      return json(201, issue, { location: issue.url });
    })
    .on("GET", "/repos/:owner/:repo/issues/:number", (_req, p) => {
      const issue = repoOf(p)?.issues.find((i) => i.number === Number(p.number));
      return issue ? json(200, issue) : notFound();
    })
    .on("PATCH", "/repos/:owner/:repo/issues/:number", (req, p) => {
      const issue = repoOf(p)?.issues.find((i) => i.number === Number(p.number));
      if (!issue) return notFound();
      const b = (req.body ?? {}) as Partial<{ title: string; body: string; state: "open" | "closed"; state_reason: string; labels: string[] }>;
      if (b.state && !["open", "closed"].includes(b.state)) {
        return json(422, { message: "Validation Failed", errors: [{ resource: "Issue", code: "invalid", field: "state" }], documentation_url: DOCS });
      }
      if (b.title !== undefined) issue.title = b.title;
      if (b.body !== undefined) issue.body = b.body;
      if (b.labels) issue.labels = b.labels.map((name, i) => ({ id: 900 + i, name, color: "ededed" }));
      if (b.state && b.state !== issue.state) {
        issue.state = b.state;
        issue.closed_at = b.state === "closed" ? now() : null;
        issue.state_reason = b.state_reason ?? (b.state === "closed" ? "completed" : "reopened");
      }
      issue.updated_at = now();
      return json(200, issue);
    })
    .on("POST", "/repos/:owner/:repo/issues/:number/comments", (req, p) => {
      const repo = repoOf(p);
      const issue = repo?.issues.find((i) => i.number === Number(p.number));
      if (!repo || !issue) return notFound();
      const body = (req.body as { body?: unknown } | undefined)?.body;
      if (typeof body !== "string" || !body) {
        return json(422, { message: "Validation Failed", errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }], documentation_url: DOCS });
      }
      const c = { id: state.nextId++, issue: issue.number, body, user: state.user, created_at: now(), html_url: `${issue.html_url}#issuecomment-${state.nextId}` };
      repo.comments.push(c);
      issue.comments++;
      return json(201, { id: c.id, node_id: `IC_${c.id}`, body: c.body, user: c.user, created_at: c.created_at, updated_at: c.created_at, html_url: c.html_url, issue_url: issue.url });
    })
    .on("GET", "/repos/:owner/:repo/pulls", (req, p) => {
      const repo = repoOf(p);
      if (!repo) return notFound();
      const st = req.query.get("state") ?? "open";
      const list = repo.pulls
        .filter((pr) => st === "all" || pr.state === st)
        .map((pr) => ({
          number: pr.number,
          title: pr.title,
          state: pr.state,
          draft: pr.draft,
          html_url: `https://github.com/${repo.owner.login}/${repo.name}/pull/${pr.number}`,
          user: state.user,
          head: { ref: pr.head, label: `${repo.owner.login}:${pr.head}` },
          base: { ref: pr.base, label: `${repo.owner.login}:${pr.base}` },
          merged_at: pr.merged_at,
          created_at: pr.created_at,
        }));
      const { page, headers } = paginate(req, list, base);
      return json(200, page, headers);
    })
    .on("GET", "/search/issues", (req) => {
      const q = req.query.get("q") ?? "";
      if (!q) return json(422, { message: "Validation Failed", errors: [{ resource: "Search", field: "q", code: "missing" }], documentation_url: DOCS });
      const terms = q.split(/\s+/).filter(Boolean);
      const repoTerm = terms.find((t) => t.startsWith("repo:"))?.slice(5);
      const stateTerm = terms.find((t) => t.startsWith("is:") && ["is:open", "is:closed"].includes(t))?.slice(3);
      const words = terms.filter((t) => !t.includes(":")).map((w) => w.toLowerCase());
      const all = state.repos.filter((r) => !repoTerm || `${r.owner.login}/${r.name}` === repoTerm).flatMap((r) => r.issues);
      const items = all.filter((i) => (!stateTerm || i.state === stateTerm) && words.every((w) => `${i.title} ${i.body ?? ""}`.toLowerCase().includes(w)));
      const { page, headers } = paginate(req, items, base);
      return json(200, { total_count: items.length, incomplete_results: false, items: page }, headers);
    });

  return {
    slug: "github",
    oauth,
    reset: () => {
      state = seed();
      oauth.reset();
    },
    async handle(req): Promise<SandboxResponse> {
      const oauthAnswer = oauth.handle(req);
      if (oauthAnswer) return oauthAnswer;
      const token = bearer(req);
      if (!token || oauth.rejects(token) || !(await authorize(token, req))) return json(401, { message: "Bad credentials", documentation_url: DOCS });
      const out = (await router.dispatch(req)) ?? notFound();
      return { ...out, headers: { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-oauth-scopes": "repo, read:user", ...(out.headers ?? {}) } };
    },
  };
}
