import { SandboxRouter, defaultAuthorize, json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows the Jira Cloud platform REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/)
// for the endpoints the Jira connector uses: /myself, the enhanced JQL search (/search/jql), issues,
// comments, transitions, /project/search and /user/search. Credentials are API tokens sent with
// HTTP Basic (email:api_token). Errors use Jira's ErrorCollection: {"errorMessages":[…],"errors":{field:msg}}.

const SITE = "https://acme.atlassian.net";
const API = `${SITE}/rest/api/3`;

type Adf = { type: string; version?: number; text?: string; attrs?: Record<string, unknown>; content?: Adf[] };
type User = { accountId: string; displayName: string; emailAddress: string; timeZone: string; locale: string };
type Status = { id: string; name: string; description: string; category: "new" | "indeterminate" | "done" };
type IssueType = { id: string; name: string; description: string; avatarId: number };
type Priority = { id: string; name: string };
type Project = { id: string; key: string; name: string; projectTypeKey: "software" | "business"; isPrivate: boolean };
type Comment = { id: string; authorId: string; body: Adf; created: string; updated: string };
type Issue = {
  id: string;
  key: string;
  projectKey: string;
  typeId: string;
  summary: string;
  description: Adf | null;
  statusId: string;
  priorityId: string;
  assigneeId: string | null;
  reporterId: string;
  labels: string[];
  created: string;
  updated: string;
  statusChanged: string;
  comments: Comment[];
};

const CATEGORIES = {
  new: { id: 2, key: "new", colorName: "blue-gray", name: "To Do" },
  indeterminate: { id: 4, key: "indeterminate", colorName: "yellow", name: "In Progress" },
  done: { id: 3, key: "done", colorName: "green", name: "Done" },
} as const;
const STATUSES: Status[] = [
  { id: "10000", name: "To Do", description: "Work that has not been started.", category: "new" },
  { id: "10001", name: "In Progress", description: "The issue is currently being worked on.", category: "indeterminate" },
  { id: "10002", name: "Done", description: "Work has been completed.", category: "done" },
];
/** Global transitions (one per target status), as in a team-managed project's default workflow. */
const TRANSITIONS = [
  { id: "11", name: "To Do", to: "10000" },
  { id: "21", name: "In Progress", to: "10001" },
  { id: "31", name: "Done", to: "10002" },
];
const ISSUE_TYPES: IssueType[] = [
  { id: "10001", name: "Task", description: "A small, distinct piece of work.", avatarId: 10318 },
  { id: "10002", name: "Bug", description: "A problem or error.", avatarId: 10303 },
  { id: "10003", name: "Story", description: "Functionality or a feature expressed as a user goal.", avatarId: 10315 },
];
const PRIORITIES: Priority[] = [
  { id: "1", name: "Highest" },
  { id: "2", name: "High" },
  { id: "3", name: "Medium" },
  { id: "4", name: "Low" },
  { id: "5", name: "Lowest" },
];

const text = (...paragraphs: string[]): Adf => ({
  type: "doc",
  version: 1,
  content: paragraphs.map((p) => ({ type: "paragraph", content: [{ type: "text", text: p }] })),
});

function seed() {
  const users: User[] = [
    { accountId: "5fd1c9a2e3b4c1006f1a2b3c", displayName: "Alex Morgan", emailAddress: "alex.morgan@acme.example", timeZone: "Europe/London", locale: "en_GB" },
    { accountId: "712020:8c1e4f2a-3b5d-4e6f-9a7b-1c2d3e4f5a6b", displayName: "Priya Shah", emailAddress: "priya.shah@acme.example", timeZone: "America/New_York", locale: "en_US" },
  ];
  const [alex, priya] = users as [User, User];
  const projects: Project[] = [
    { id: "10000", key: "KAN", name: "Kanban", projectTypeKey: "software", isPrivate: false },
    { id: "10001", key: "OPS", name: "Operations", projectTypeKey: "software", isPrivate: false },
  ];
  let id = 10001;
  const mk = (key: string, typeId: string, summary: string, description: Adf | null, statusId: string, priorityId: string, assignee: User | null, labels: string[], created: string, updated: string): Issue => ({
    id: String(id++),
    key,
    projectKey: key.split("-")[0]!,
    typeId,
    summary,
    description,
    statusId,
    priorityId,
    assigneeId: assignee?.accountId ?? null,
    reporterId: alex.accountId,
    labels,
    created,
    updated,
    statusChanged: updated,
    comments: [],
  });
  const issues: Issue[] = [
    mk("KAN-1", "10001", "Set up CI pipeline for the web app", text("Run lint, unit tests and a preview deploy on every pull request."), "10002", "2", alex, ["devops"], "2026-01-05T09:12:00.000+0000", "2026-01-09T16:40:00.000+0000"),
    mk(
      "KAN-2",
      "10002",
      "Login page returns 500 on expired session",
      {
        type: "doc",
        version: 1,
        content: [
          { type: "paragraph", content: [{ type: "text", text: "Steps to reproduce:" }] },
          {
            type: "orderedList",
            attrs: { order: 1 },
            content: [
              { type: "listItem", content: [{ type: "paragraph", content: [{ type: "text", text: "Sign in and wait for the session to expire" }] }] },
              { type: "listItem", content: [{ type: "paragraph", content: [{ type: "text", text: "Reload /login" }] }] },
            ],
          },
          {
            type: "paragraph",
            content: [
              { type: "text", text: "Expected a redirect, got HTTP 500." },
              { type: "hardBreak" },
              { type: "text", text: "cc " },
              { type: "mention", attrs: { id: priya.accountId, text: "@Priya Shah" } },
            ],
          },
        ],
      },
      "10001",
      "1",
      alex,
      ["auth", "backend"],
      "2026-01-12T10:03:00.000+0000",
      "2026-02-02T11:25:00.000+0000",
    ),
    mk("KAN-3", "10003", "Add a dark mode toggle to settings", text("As a user I want a dark theme so that the app is easier on the eyes at night."), "10000", "3", priya, ["frontend"], "2026-01-20T14:30:00.000+0000", "2026-01-28T08:10:00.000+0000"),
    mk("KAN-4", "10001", "Write an onboarding guide for new contributors", null, "10000", "4", null, ["docs"], "2026-01-22T13:00:00.000+0000", "2026-01-22T13:00:00.000+0000"),
    mk("OPS-1", "10001", "Rotate production database credentials", text("Quarterly rotation. Update the secrets store and restart the API pods."), "10001", "2", priya, ["security"], "2026-01-15T07:45:00.000+0000", "2026-02-03T09:00:00.000+0000"),
    mk("OPS-2", "10002", "Disk usage alert on build server", text("The build server /var partition is at 91%."), "10000", "3", alex, ["infra"], "2026-01-30T18:20:00.000+0000", "2026-01-31T07:55:00.000+0000"),
  ];
  issues[1]!.comments.push({ id: "10100", authorId: priya.accountId, body: text("I can reproduce this on staging."), created: "2026-02-02T11:25:00.000+0000", updated: "2026-02-02T11:25:00.000+0000" });
  return { users, projects, issues, nextIssueId: id, nextCommentId: 10101 };
}
type State = ReturnType<typeof seed>;

/** Jira's timestamp format: 2026-01-05T09:12:00.000+0000. */
const jiraNow = () => new Date().toISOString().replace("Z", "+0000");
const ms = (jiraDate: string) => Date.parse(jiraDate.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));

const errorCollection = (status: number, errorMessages: string[], errors: Record<string, string> = {}) => json(status, { errorMessages, errors });
const issueNotFound = () => errorCollection(404, ["Issue does not exist or you do not have permission to see it."]);

// ---------------------------------------------------------------------------------------------
// Representations

const avatarUrls = (kind: "user" | "project", id: string) =>
  Object.fromEntries(["48x48", "24x24", "16x16", "32x32"].map((s) => [s, `${SITE}/rest/api/3/universal_avatar/view/type/${kind}/avatar/${id}?size=${s}`]));

const userJson = (u: User) => ({
  self: `${API}/user?accountId=${encodeURIComponent(u.accountId)}`,
  accountId: u.accountId,
  accountType: "atlassian",
  emailAddress: u.emailAddress,
  avatarUrls: avatarUrls("user", u.accountId),
  displayName: u.displayName,
  active: true,
  timeZone: u.timeZone,
  locale: u.locale,
});

const statusJson = (s: Status) => ({
  self: `${API}/status/${s.id}`,
  description: s.description,
  iconUrl: `${SITE}/`,
  name: s.name,
  id: s.id,
  statusCategory: { self: `${API}/statuscategory/${CATEGORIES[s.category].id}`, ...CATEGORIES[s.category] },
});

const projectRef = (p: Project) => ({ self: `${API}/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.projectTypeKey, simplified: true, avatarUrls: avatarUrls("project", p.id) });

function adfText(node: Adf | null | undefined): string {
  if (!node) return "";
  if (node.type === "text") return node.text ?? "";
  if (node.type === "mention") return String(node.attrs?.text ?? "");
  return (node.content ?? []).map(adfText).join(" ");
}

const isAdfDoc = (v: unknown): v is Adf => !!v && typeof v === "object" && (v as Adf).type === "doc" && (v as Adf).version === 1 && Array.isArray((v as Adf).content);

// ---------------------------------------------------------------------------------------------
// A small JQL subset: clauses on project, status, assignee, reporter, issuetype, priority, labels,
// key, summary/description/comment/text (~), created/updated (relative or absolute dates), joined
// with AND/OR/NOT and parentheses, and ORDER BY. Errors use Jira's messages.

type Tok = { kind: "str" | "word" | "op" | "punct" | "eof"; value: string; pos: number };
class JqlError extends Error {}

function tokenize(jql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = i + 1;
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = "";
      while (j < jql.length && jql[j] !== c) {
        if (jql[j] === "\\" && j + 1 < jql.length) j++;
        s += jql[j];
        j++;
      }
      if (j >= jql.length) throw new JqlError(`Error in the JQL Query: The quoted string '${s}' has not been completed. (line 1, character ${pos})`);
      out.push({ kind: "str", value: s, pos });
      i = j + 1;
      continue;
    }
    const op = /^(!=|!~|>=|<=|=|~|>|<)/.exec(jql.slice(i));
    if (op) {
      out.push({ kind: "op", value: op[1]!, pos });
      i += op[1]!.length;
      continue;
    }
    if ("(),".includes(c)) {
      out.push({ kind: "punct", value: c, pos });
      i++;
      continue;
    }
    const word = /^[^\s"'(),=!~<>]+/.exec(jql.slice(i));
    if (!word) throw new JqlError(`Error in the JQL Query: The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}' instead. (line 1, character ${pos})`);
    out.push({ kind: "word", value: word[0], pos });
    i += word[0].length;
  }
  out.push({ kind: "eof", value: "EOF", pos: jql.length + 1 });
  return out;
}

type Value = { kind: "literal"; value: string } | { kind: "function"; name: string } | { kind: "empty" };
type Clause = { field: string; op: string; values: Value[] };
type Expr = { and: Expr[] } | { or: Expr[] } | { not: Expr } | { clause: Clause };
type Sort = { field: string; dir: "ASC" | "DESC" };

function parseJql(jql: string): { where: Expr | null; orderBy: Sort[] } {
  const toks = tokenize(jql);
  let p = 0;
  const peek = () => toks[p]!;
  const kw = (t: Tok, k: string) => t.kind === "word" && t.value.toUpperCase() === k;
  const unexpected = (expecting: string): never => {
    const t = peek();
    throw new JqlError(`Error in the JQL Query: Expecting ${expecting} but got '${t.value}'. (line 1, character ${t.pos})`);
  };

  const value = (): Value => {
    const t = peek();
    if (t.kind === "str") {
      p++;
      return { kind: "literal", value: t.value };
    }
    if (t.kind === "word") {
      p++;
      if (kw(t, "EMPTY") || kw(t, "NULL")) return { kind: "empty" };
      if (peek().kind === "punct" && peek().value === "(") {
        p++;
        if (!(peek().kind === "punct" && peek().value === ")")) unexpected("')'");
        p++;
        return { kind: "function", name: t.value };
      }
      return { kind: "literal", value: t.value };
    }
    return unexpected("either a value, list or function");
  };

  const clause = (): Expr => {
    const f = peek();
    if (f.kind !== "word" && f.kind !== "str") unexpected("a field name");
    if (f.kind === "word" && ["AND", "OR", "ORDER"].includes(f.value.toUpperCase())) unexpected("a field name");
    p++;
    let op: string;
    const t = peek();
    if (t.kind === "op") {
      op = t.value;
      p++;
    } else if (kw(t, "IN")) {
      op = "in";
      p++;
    } else if (kw(t, "NOT") && kw(toks[p + 1]!, "IN")) {
      op = "not in";
      p += 2;
    } else if (kw(t, "IS")) {
      p++;
      if (kw(peek(), "NOT")) {
        p++;
        op = "is not";
      } else op = "is";
    } else return unexpected("operator");
    let values: Value[];
    if (op === "in" || op === "not in") {
      if (!(peek().kind === "punct" && peek().value === "(")) unexpected("'('");
      p++;
      values = [value()];
      while (peek().kind === "punct" && peek().value === ",") {
        p++;
        values.push(value());
      }
      if (!(peek().kind === "punct" && peek().value === ")")) unexpected("')'");
      p++;
    } else values = [value()];
    return { clause: { field: f.value.toLowerCase(), op, values } };
  };

  const unary = (): Expr => {
    if (kw(peek(), "NOT")) {
      p++;
      return { not: unary() };
    }
    if (peek().kind === "punct" && peek().value === "(") {
      p++;
      const e = or();
      if (!(peek().kind === "punct" && peek().value === ")")) unexpected("')'");
      p++;
      return e;
    }
    return clause();
  };
  const and = (): Expr => {
    const parts = [unary()];
    while (kw(peek(), "AND")) {
      p++;
      parts.push(unary());
    }
    return parts.length === 1 ? parts[0]! : { and: parts };
  };
  const or = (): Expr => {
    const parts = [and()];
    while (kw(peek(), "OR")) {
      p++;
      parts.push(and());
    }
    return parts.length === 1 ? parts[0]! : { or: parts };
  };

  let where: Expr | null = null;
  if (peek().kind !== "eof" && !kw(peek(), "ORDER")) where = or();
  const orderBy: Sort[] = [];
  if (kw(peek(), "ORDER")) {
    p++;
    if (!kw(peek(), "BY")) unexpected("'by'");
    p++;
    do {
      if (orderBy.length) p++;
      const f = peek();
      if (f.kind !== "word" && f.kind !== "str") unexpected("a field name");
      p++;
      let dir: "ASC" | "DESC" = "ASC";
      if (kw(peek(), "ASC") || kw(peek(), "DESC")) {
        dir = peek().value.toUpperCase() as "ASC" | "DESC";
        p++;
      }
      orderBy.push({ field: f.value.toLowerCase(), dir });
    } while (peek().kind === "punct" && peek().value === ",");
  }
  if (peek().kind !== "eof") unexpected(where ? "either 'OR' or 'AND'" : "a field name");
  return { where, orderBy };
}

const FIELD_ALIASES: Record<string, string> = { type: "issuetype", issuekey: "key", id: "key" };
const TEXT_FIELDS = ["summary", "description", "comment", "text"];
const DATE_FIELDS = ["created", "updated"];
const LIST_FIELDS = ["project", "status", "assignee", "reporter", "issuetype", "priority", "labels", "key"];

function relativeDate(v: string, now: number): number | null {
  const rel = /^([+-]?)(\d+)([wdhm])$/i.exec(v);
  if (rel) {
    const unit = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[3]!.toLowerCase() as "w" | "d" | "h" | "m"];
    return now + (rel[1] === "-" ? -1 : 1) * Number(rel[2]) * unit;
  }
  const abs = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:\s+(\d{2}):(\d{2}))?$/.exec(v);
  if (abs) return Date.UTC(Number(abs[1]), Number(abs[2]) - 1, Number(abs[3]), Number(abs[4] ?? 0), Number(abs[5] ?? 0));
  return null;
}

function compileJql(state: State, me: User, where: Expr): (i: Issue) => boolean {
  const now = Date.now();
  const compile = (e: Expr): ((i: Issue) => boolean) => {
    if ("and" in e) {
      const parts = e.and.map(compile);
      return (i) => parts.every((f) => f(i));
    }
    if ("or" in e) {
      const parts = e.or.map(compile);
      return (i) => parts.some((f) => f(i));
    }
    if ("not" in e) {
      const inner = compile(e.not);
      return (i) => !inner(i);
    }
    const c = e.clause;
    const field = FIELD_ALIASES[c.field] ?? c.field;
    const known = [...TEXT_FIELDS, ...DATE_FIELDS, ...LIST_FIELDS];
    if (!known.includes(field)) throw new JqlError(`Field '${c.field}' does not exist or you do not have permission to view it.`);
    const opName = c.op.toUpperCase();
    const notSupported = () => new JqlError(`The operator '${opName}' is not supported by the '${c.field}' field.`);

    if (TEXT_FIELDS.includes(field)) {
      if (c.op !== "~" && c.op !== "!~" && !(field !== "text" && (c.op === "is" || c.op === "is not"))) throw notSupported();
      const get = (i: Issue) =>
        field === "summary" ? i.summary : field === "description" ? adfText(i.description) : field === "comment" ? i.comments.map((x) => adfText(x.body)).join(" ") : [i.summary, adfText(i.description), ...i.comments.map((x) => adfText(x.body))].join(" ");
      if (c.op === "is" || c.op === "is not") {
        const want = c.op === "is";
        return (i) => (get(i).trim() === "") === want;
      }
      const v = c.values[0]!;
      if (v.kind !== "literal") throw new JqlError(`The field '${c.field}' does not support searching for EMPTY values or functions.`);
      const words = v.value.toLowerCase().replace(/[*?]/g, "").split(/\s+/).filter(Boolean);
      const match = (i: Issue) => words.every((w) => get(i).toLowerCase().includes(w));
      return c.op === "~" ? match : (i) => !match(i);
    }

    if (DATE_FIELDS.includes(field)) {
      if (!["=", "!=", ">", ">=", "<", "<=", "is", "is not"].includes(c.op)) throw notSupported();
      if (c.op === "is" || c.op === "is not") return () => c.op === "is not";
      const v = c.values[0]!;
      let at: number | null = null;
      if (v.kind === "function") {
        const fn = v.name.toLowerCase();
        if (fn === "now") at = now;
        else if (fn === "startofday") at = new Date(new Date(now).toISOString().slice(0, 10)).getTime();
        else throw new JqlError(`Unable to find JQL function '${v.name}()'.`);
      } else if (v.kind === "literal") at = relativeDate(v.value, now);
      if (at === null) {
        const shown = v.kind === "literal" ? v.value : "EMPTY";
        throw new JqlError(`Date value '${shown}' for field '${c.field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`);
      }
      const t = at;
      const get = (i: Issue) => ms(field === "created" ? i.created : i.updated);
      const cmp: Record<string, (a: number) => boolean> = { "=": (a) => a === t, "!=": (a) => a !== t, ">": (a) => a > t, ">=": (a) => a >= t, "<": (a) => a < t, "<=": (a) => a <= t };
      return (i) => cmp[c.op]!(get(i));
    }

    // Fields whose values are resolved against the site's data.
    if (!["=", "!=", "in", "not in", "is", "is not"].includes(c.op)) throw notSupported();
    if ((c.op === "is" || c.op === "is not") && c.values[0]!.kind !== "empty") throw new JqlError(`The operator '${opName}' can only be used with the value 'EMPTY' or 'NULL'.`);
    const resolve = (v: Value): string | null => {
      if (v.kind === "empty") return null;
      if (v.kind === "function") {
        if (v.name.toLowerCase() === "currentuser" && (field === "assignee" || field === "reporter")) return me.accountId;
        throw new JqlError(`Unable to find JQL function '${v.name}()'.`);
      }
      const raw = v.value;
      const lower = raw.toLowerCase();
      const missing = () => new JqlError(`The value '${raw}' does not exist for the field '${c.field}'.`);
      switch (field) {
        case "project": {
          const p = state.projects.find((x) => x.key.toLowerCase() === lower || x.id === raw || x.name.toLowerCase() === lower);
          if (!p) throw missing();
          return p.key;
        }
        case "status": {
          const s = STATUSES.find((x) => x.name.toLowerCase() === lower || x.id === raw);
          if (!s) throw missing();
          return s.id;
        }
        case "issuetype": {
          const t = ISSUE_TYPES.find((x) => x.name.toLowerCase() === lower || x.id === raw);
          if (!t) throw missing();
          return t.id;
        }
        case "priority": {
          const pr = PRIORITIES.find((x) => x.name.toLowerCase() === lower || x.id === raw);
          if (!pr) throw missing();
          return pr.id;
        }
        case "assignee":
        case "reporter": {
          const u = state.users.find((x) => x.accountId === raw || x.emailAddress.toLowerCase() === lower || x.displayName.toLowerCase() === lower);
          if (!u) throw missing();
          return u.accountId;
        }
        case "key": {
          const is = state.issues.find((x) => x.key.toLowerCase() === lower || x.id === raw);
          if (!is) throw new JqlError(`An issue with key '${raw}' does not exist for field '${c.field}'.`);
          return is.id;
        }
        default:
          return raw.toLowerCase(); // labels
      }
    };
    const wanted = c.values.map(resolve);
    const valuesOf = (i: Issue): (string | null)[] => {
      switch (field) {
        case "project":
          return [i.projectKey];
        case "status":
          return [i.statusId];
        case "issuetype":
          return [i.typeId];
        case "priority":
          return [i.priorityId];
        case "assignee":
          return [i.assigneeId];
        case "reporter":
          return [i.reporterId];
        case "key":
          return [i.id];
        default:
          return i.labels.length ? i.labels.map((l) => l.toLowerCase()) : [null];
      }
    };
    const hit = (i: Issue) => valuesOf(i).some((v) => wanted.includes(v));
    if (c.op === "=" || c.op === "in" || c.op === "is") return hit;
    // Jira's negative operators do not match issues whose field is empty (unless asking for EMPTY).
    return (i) => !hit(i) && (wanted.includes(null) || valuesOf(i).some((v) => v !== null));
  };
  return compile(where);
}

const SORTERS: Record<string, (a: Issue, b: Issue) => number> = {
  created: (a, b) => ms(a.created) - ms(b.created) || Number(a.id) - Number(b.id),
  updated: (a, b) => ms(a.updated) - ms(b.updated) || Number(a.id) - Number(b.id),
  key: (a, b) => a.projectKey.localeCompare(b.projectKey) || Number(a.key.split("-")[1]) - Number(b.key.split("-")[1]),
  priority: (a, b) => Number(b.priorityId) - Number(a.priorityId),
  status: (a, b) => a.statusId.localeCompare(b.statusId),
  summary: (a, b) => a.summary.localeCompare(b.summary),
};

// ---------------------------------------------------------------------------------------------

export function createJiraSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;

  const userById = (id: string | null) => (id ? (state.users.find((u) => u.accountId === id) ?? null) : null);
  const findIssue = (idOrKey: string) => state.issues.find((i) => i.key.toLowerCase() === idOrKey.toLowerCase() || i.id === idOrKey);
  /** The signed-in user: the seeded user with the Basic credential's email, else the site's first user. */
  const currentUser = (req: SandboxRequest): User => {
    const email = basicCredentials(req)?.email.toLowerCase();
    return state.users.find((u) => u.emailAddress.toLowerCase() === email) ?? state.users[0]!;
  };

  const commentJson = (issue: Issue, c: Comment) => {
    const author = userJson(userById(c.authorId)!);
    return { self: `${API}/issue/${issue.id}/comment/${c.id}`, id: c.id, author, body: c.body, updateAuthor: author, created: c.created, updated: c.updated, jsdPublic: true };
  };

  const allFields = (i: Issue): Record<string, unknown> => {
    const project = state.projects.find((p) => p.key === i.projectKey)!;
    const type = ISSUE_TYPES.find((t) => t.id === i.typeId)!;
    const priority = PRIORITIES.find((p) => p.id === i.priorityId)!;
    const assignee = userById(i.assigneeId);
    const reporter = userById(i.reporterId)!;
    return {
      summary: i.summary,
      issuetype: { self: `${API}/issuetype/${type.id}`, id: type.id, description: type.description, iconUrl: `${API}/universal_avatar/view/type/issuetype/avatar/${type.avatarId}?size=medium`, name: type.name, subtask: false, avatarId: type.avatarId, hierarchyLevel: 0 },
      project: projectRef(project),
      status: statusJson(STATUSES.find((s) => s.id === i.statusId)!),
      statuscategorychangedate: i.statusChanged,
      priority: { self: `${API}/priority/${priority.id}`, iconUrl: `${SITE}/images/icons/priorities/${priority.name.toLowerCase()}.svg`, name: priority.name, id: priority.id },
      assignee: assignee ? userJson(assignee) : null,
      reporter: userJson(reporter),
      creator: userJson(reporter),
      labels: [...i.labels],
      description: i.description,
      created: i.created,
      updated: i.updated,
      comment: { comments: i.comments.map((c) => commentJson(i, c)), self: `${API}/issue/${i.id}/comment`, maxResults: i.comments.length, total: i.comments.length, startAt: 0 },
    };
  };

  /** The `fields` parameter: comma-separated and/or repeated; `*all`, `*navigable`, `-name` exclusions. */
  const issueJson = (i: Issue, req: SandboxRequest, defaultFields: string[]) => {
    const requested = req.query.getAll("fields").flatMap((f) => f.split(",")).map((f) => f.trim()).filter(Boolean);
    const spec = requested.length ? requested : defaultFields;
    const fields = allFields(i);
    const include = new Set<string>();
    for (const f of spec) {
      if (f === "*all") Object.keys(fields).forEach((k) => include.add(k));
      else if (f === "*navigable") Object.keys(fields).filter((k) => k !== "comment").forEach((k) => include.add(k));
      else if (!f.startsWith("-")) include.add(f);
    }
    for (const f of spec) if (f.startsWith("-")) include.delete(f.slice(1));
    return {
      expand: "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
      id: i.id,
      self: `${API}/issue/${i.id}`,
      key: i.key,
      fields: Object.fromEntries([...include].filter((k) => k in fields).map((k) => [k, fields[k]])),
    };
  };

  /** Validates `fields` of a create or edit; returns Jira's per-field error messages. */
  const checkFields = (f: Record<string, unknown>, creating: boolean): Record<string, string> => {
    const errors: Record<string, string> = {};
    const settable = ["project", "issuetype", "summary", "description", "labels", "priority", "assignee", "reporter"];
    for (const k of Object.keys(f)) if (!settable.includes(k)) errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
    if (creating || "summary" in f) {
      const s = f.summary;
      if (typeof s !== "string" || !s.trim()) errors.summary = "You must specify a summary of the issue.";
      else if (s.length > 255) errors.summary = "Summary must be less than 255 characters.";
    }
    if (creating) {
      const t = f.issuetype as { name?: unknown; id?: unknown } | undefined;
      if (!t || (t.name === undefined && t.id === undefined)) errors.issuetype = "Specify an issue type";
      else if (!ISSUE_TYPES.some((x) => x.name === t.name || x.id === t.id)) errors.issuetype = "Specify a valid issue type";
    }
    if ("description" in f && f.description !== null && !isAdfDoc(f.description)) errors.description = "Operation value must be an Atlassian Document (see the Atlassian Document Format)";
    if ("labels" in f) {
      const labels = f.labels;
      if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string")) errors.labels = "Specify the labels as an array of strings.";
      else {
        const bad = labels.find((l: string) => /\s/.test(l) || !l);
        if (bad !== undefined) errors.labels = `The label '${bad}' contains spaces which is invalid.`;
      }
    }
    if ("priority" in f) {
      const pr = f.priority as { name?: unknown; id?: unknown } | null;
      if (!pr || typeof pr !== "object") errors.priority = "Specify the Priority (id or name) in the string format";
      else if (!PRIORITIES.some((x) => x.name === pr.name || x.id === pr.id)) errors.priority = `Priority name '${String(pr.name ?? pr.id)}' is not valid`;
    }
    if ("assignee" in f && f.assignee !== null) {
      const a = f.assignee as { accountId?: unknown } | undefined;
      if (!a || typeof a.accountId !== "string") errors.assignee = "Specify a valid value for assignee";
      else if (!userById(a.accountId)) errors.assignee = `User '${a.accountId}' does not exist.`;
    }
    return errors;
  };

  const applyFields = (i: Issue, f: Record<string, unknown>) => {
    if (typeof f.summary === "string") i.summary = f.summary;
    if ("description" in f) i.description = (f.description as Adf | null) ?? null;
    if (Array.isArray(f.labels)) i.labels = [...new Set(f.labels as string[])];
    if (f.priority) {
      const pr = f.priority as { name?: string; id?: string };
      i.priorityId = PRIORITIES.find((x) => x.name === pr.name || x.id === pr.id)!.id;
    }
    if ("assignee" in f) i.assigneeId = (f.assignee as { accountId: string } | null)?.accountId ?? null;
  };

  const addComment = (issue: Issue, authorId: string, body: Adf) => {
    const at = jiraNow();
    const c: Comment = { id: String(state.nextCommentId++), authorId, body, created: at, updated: at };
    issue.comments.push(c);
    issue.updated = at;
    return c;
  };

  const nonEmptyAdf = (v: unknown): v is Adf => isAdfDoc(v) && adfText(v).trim() !== "";

  const router = new SandboxRouter()
    .on("GET", "/rest/api/3/myself", (req) => {
      const me = currentUser(req);
      return json(200, { ...userJson(me), groups: { size: 1, items: [] }, applicationRoles: { size: 1, items: [] }, expand: "groups,applicationRoles" });
    })
    .on("GET", "/rest/api/3/search/jql", (req) => {
      const jql = req.query.get("jql") ?? "";
      let parsed: ReturnType<typeof parseJql>;
      let filter: (i: Issue) => boolean;
      try {
        parsed = parseJql(jql);
        // The enhanced search refuses queries without a restriction.
        if (!parsed.where) return errorCollection(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."]);
        filter = compileJql(state, currentUser(req), parsed.where);
        for (const s of parsed.orderBy) if (!SORTERS[s.field]) throw new JqlError(`Field '${s.field}' does not exist or you do not have permission to view it.`);
      } catch (e) {
        if (e instanceof JqlError) return errorCollection(400, [e.message]);
        throw e;
      }
      const order = parsed.orderBy.length ? parsed.orderBy : [{ field: "created", dir: "DESC" as const }];
      const matches = state.issues.filter(filter).sort((a, b) => {
        for (const s of order) {
          const d = SORTERS[s.field]!(a, b);
          if (d) return s.dir === "DESC" ? -d : d;
        }
        return 0;
      });
      // nextPageToken is opaque in Jira; here it encodes the offset of the next page.
      const token = req.query.get("nextPageToken");
      let offset = 0;
      if (token) {
        const m = /^offset:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
        if (!m) return errorCollection(400, ["The provided next page token is invalid or expired."]);
        offset = Number(m[1]);
      }
      const fields = req.query.getAll("fields").flatMap((f) => f.split(",")).filter(Boolean);
      const idOnly = fields.every((f) => f === "id" || f === "key");
      const requestedMax = Number(req.query.get("maxResults") ?? 50);
      const max = Math.max(1, Math.min(idOnly ? 5000 : 100, Number.isFinite(requestedMax) ? requestedMax : 50));
      const page = matches.slice(offset, offset + max);
      const isLast = offset + max >= matches.length;
      // By default the enhanced search returns only the issue id.
      const issues = page.map((i) => (fields.length ? issueJson(i, req, []) : { id: i.id }));
      return json(200, { issues, ...(isLast ? {} : { nextPageToken: Buffer.from(`offset:${offset + max}`).toString("base64url") }), isLast });
    })
    .on("POST", "/rest/api/3/issue", (req) => {
      const b = (req.body ?? {}) as { fields?: Record<string, unknown> };
      const f = b.fields && typeof b.fields === "object" ? b.fields : {};
      const pRef = f.project as { key?: unknown; id?: unknown } | undefined;
      const project = state.projects.find((p) => (pRef?.key !== undefined && p.key === pRef.key) || (pRef?.id !== undefined && p.id === pRef.id));
      // Without a valid project Jira cannot resolve the other fields, so it reports only that.
      if (!project) return errorCollection(400, [], { project: "Specify a valid project ID or key" });
      const rest = Object.fromEntries(Object.entries(f).filter(([k]) => k !== "project"));
      const errors = checkFields(rest, true);
      if (Object.keys(errors).length) return errorCollection(400, [], errors);
      const t = f.issuetype as { name?: string; id?: string };
      const number = Math.max(0, ...state.issues.filter((i) => i.projectKey === project.key).map((i) => Number(i.key.split("-")[1]))) + 1;
      const at = jiraNow();
      const issue: Issue = {
        id: String(state.nextIssueId++),
        key: `${project.key}-${number}`,
        projectKey: project.key,
        typeId: ISSUE_TYPES.find((x) => x.name === t.name || x.id === t.id)!.id,
        summary: "",
        description: null,
        statusId: "10000",
        priorityId: "3",
        assigneeId: null,
        reporterId: currentUser(req).accountId,
        labels: [],
        created: at,
        updated: at,
        statusChanged: at,
        comments: [],
      };
      applyFields(issue, rest);
      state.issues.push(issue);
      return json(201, { id: issue.id, key: issue.key, self: `${API}/issue/${issue.id}` });
    })
    .on("GET", "/rest/api/3/issue/:key", (req, p) => {
      const issue = findIssue(p.key!);
      return issue ? json(200, issueJson(issue, req, ["*all"])) : issueNotFound();
    })
    .on("PUT", "/rest/api/3/issue/:key", (req, p) => {
      const issue = findIssue(p.key!);
      if (!issue) return issueNotFound();
      const b = (req.body ?? {}) as { fields?: Record<string, unknown>; update?: Record<string, { add?: unknown; remove?: unknown; set?: unknown }[]> };
      const fields = { ...(b.fields ?? {}) };
      const update = b.update ?? {};
      const errors: Record<string, string> = {};
      for (const k of Object.keys(update)) {
        if (k in fields) errors[k] = `Field '${k}' cannot be set in both 'fields' and 'update'.`;
        else if (k !== "labels") errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
      Object.assign(errors, checkFields(fields, false));
      if (Object.keys(errors).length) return errorCollection(400, [], errors);
      let labels = [...issue.labels];
      for (const op of update.labels ?? []) {
        const bad = [op.add, op.remove].find((v) => v !== undefined && (typeof v !== "string" || /\s/.test(v) || !v));
        if (bad !== undefined) return errorCollection(400, [], { labels: `The label '${String(bad)}' contains spaces which is invalid.` });
        if (op.set !== undefined) labels = Array.isArray(op.set) ? (op.set as string[]) : [];
        if (typeof op.add === "string" && !labels.includes(op.add)) labels.push(op.add);
        if (typeof op.remove === "string") labels = labels.filter((l) => l !== op.remove);
      }
      applyFields(issue, fields);
      if (update.labels) issue.labels = labels;
      issue.updated = jiraNow();
      if (req.query.get("returnIssue") === "true") return json(200, issueJson(issue, req, ["*all"]));
      return { status: 204 };
    })
    .on("POST", "/rest/api/3/issue/:key/comment", (req, p) => {
      const issue = findIssue(p.key!);
      if (!issue) return issueNotFound();
      const body = (req.body as { body?: unknown } | undefined)?.body;
      if (!nonEmptyAdf(body)) return errorCollection(400, [], { comment: "Comment body can not be empty!" });
      return json(201, commentJson(issue, addComment(issue, currentUser(req).accountId, body)));
    })
    .on("GET", "/rest/api/3/issue/:key/transitions", (_req, p) => {
      const issue = findIssue(p.key!);
      if (!issue) return issueNotFound();
      const transitions = TRANSITIONS.filter((t) => t.to !== issue.statusId).map((t) => ({
        id: t.id,
        name: t.name,
        to: statusJson(STATUSES.find((s) => s.id === t.to)!),
        hasScreen: false,
        isGlobal: true,
        isInitial: false,
        isAvailable: true,
        isConditional: false,
        isLooped: false,
      }));
      return json(200, { expand: "transitions", transitions });
    })
    .on("POST", "/rest/api/3/issue/:key/transitions", (req, p) => {
      const issue = findIssue(p.key!);
      if (!issue) return issueNotFound();
      const b = (req.body ?? {}) as { transition?: { id?: unknown }; update?: { comment?: { add?: { body?: unknown } }[] } };
      const id = b.transition?.id;
      if (id === undefined || id === null || id === "") return errorCollection(400, ["Missing 'transition' identifier"]);
      const t = TRANSITIONS.find((x) => x.id === String(id) && x.to !== issue.statusId);
      if (!t) return errorCollection(400, [`Transition id '${String(id)}' is not valid for this issue.`]);
      const comments = (b.update?.comment ?? []).map((op) => op.add?.body);
      if (comments.some((c) => !nonEmptyAdf(c))) return errorCollection(400, [], { comment: "Comment body can not be empty!" });
      const at = jiraNow();
      issue.statusId = t.to;
      issue.statusChanged = at;
      issue.updated = at;
      for (const c of comments) addComment(issue, currentUser(req).accountId, c as Adf);
      return { status: 204 };
    })
    .on("GET", "/rest/api/3/project/search", (req) => {
      const startAt = Math.max(0, Number(req.query.get("startAt") ?? 0) || 0);
      const maxResults = Math.max(1, Math.min(100, Number(req.query.get("maxResults") ?? 50) || 50));
      const q = (req.query.get("query") ?? "").toLowerCase();
      const orderBy = req.query.get("orderBy") ?? "key";
      const desc = orderBy.startsWith("-");
      const by = orderBy.replace(/^[-+]/, "") === "name" ? "name" : "key";
      const all = state.projects
        .filter((p) => !q || p.key.toLowerCase().includes(q) || p.name.toLowerCase().includes(q))
        .sort((a, b) => (desc ? -1 : 1) * a[by].localeCompare(b[by]));
      const values = all.slice(startAt, startAt + maxResults).map((p) => ({
        expand: "description,lead,issueTypes,url,projectKeys,permissions,insight",
        ...projectRef(p),
        style: "next-gen",
        isPrivate: p.isPrivate,
        properties: {},
        entityId: `b7f3c2d1-0000-4000-8000-${p.id.padStart(12, "0")}`,
        uuid: `b7f3c2d1-0000-4000-8000-${p.id.padStart(12, "0")}`,
      }));
      const isLast = startAt + maxResults >= all.length;
      const pageUrl = (s: number) => {
        const u = new URLSearchParams(req.query);
        u.set("startAt", String(s));
        u.set("maxResults", String(maxResults));
        return `${API}/project/search?${u.toString()}`;
      };
      return json(200, { self: pageUrl(startAt), ...(isLast ? {} : { nextPage: pageUrl(startAt + maxResults) }), maxResults, startAt, total: all.length, isLast, values });
    })
    .on("GET", "/rest/api/3/user/search", (req) => {
      const q = req.query.get("query");
      const accountId = req.query.get("accountId");
      if (!q && !accountId) return errorCollection(400, ["The query parameter 'query' or 'accountId' is required."]);
      const startAt = Math.max(0, Number(req.query.get("startAt") ?? 0) || 0);
      const maxResults = Math.max(1, Math.min(1000, Number(req.query.get("maxResults") ?? 50) || 50));
      const needle = (q ?? "").toLowerCase();
      // Matches the prefix of the display name's words or of the email address.
      const found = state.users.filter((u) =>
        accountId ? u.accountId === accountId : u.emailAddress.toLowerCase().startsWith(needle) || u.displayName.toLowerCase().split(/\s+/).some((w) => w.startsWith(needle)) || u.displayName.toLowerCase().startsWith(needle),
      );
      return json(200, found.slice(startAt, startAt + maxResults).map(userJson));
    });

  return {
    slug: "jira",
    reset: () => {
      state = seed();
    },
    async handle(req): Promise<SandboxResponse> {
      const cred = basicCredentials(req);
      if (!cred || !cred.email || !(await authorize(cred.token, req))) {
        // Jira Cloud answers a missing or bad API token with this plain-text 401.
        return {
          status: 401,
          headers: { "content-type": "text/plain;charset=UTF-8", "www-authenticate": `OAuth realm="${encodeURIComponent(SITE)}"`, "x-seraph-loginreason": "AUTHENTICATED_FAILED" },
          body: "Client must be authenticated to access this resource.",
        };
      }
      const out = (await router.dispatch(req)) ?? errorCollection(404, [`null for uri: ${SITE}${req.path}`]);
      return { ...out, headers: { "x-arequestid": "sandbox", ...(out.headers ?? {}) } };
    },
  };
}

/** Decodes `Authorization: Basic base64(email:api_token)`. */
function basicCredentials(req: SandboxRequest): { email: string; token: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const at = decoded.indexOf(":");
  if (at < 0) return null;
  return { email: decoded.slice(0, at), token: decoded.slice(at + 1) };
}
