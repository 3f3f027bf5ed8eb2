import * as z from "zod";
import { toolError, type ToolFailure } from "@/lib/connectors/errors";
import { providerMessage } from "@/lib/connectors/http";
import { defineConnector, defineTool, type ProviderAnswer } from "@/lib/connectors/types";

// Jira Cloud platform REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/),
// authenticated with an Atlassian API token over HTTP Basic (email:api_token). Each Jira Cloud site
// has its own host, so the base URL comes from the connection's site URL. Rich text (descriptions,
// comments) is Atlassian Document Format (ADF) in v3; tools take and return plain text.

// ---------------------------------------------------------------------------------------------
// Atlassian Document Format <-> plain text

export type AdfNode = { type: string; text?: string; version?: number; attrs?: Record<string, unknown>; content?: AdfNode[] };

/** Plain text to an ADF document: blank lines separate paragraphs, single newlines become hard breaks. */
export function textToAdf(text: string): AdfNode {
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n+/)
    .map((p) => p.replace(/^\n+|\n+$/g, ""))
    .filter((p) => p.trim() !== "");
  return {
    type: "doc",
    version: 1,
    content: paragraphs.map((p) => ({
      type: "paragraph",
      content: p.split("\n").flatMap((line, i): AdfNode[] => [...(i ? [{ type: "hardBreak" }] : []), ...(line ? [{ type: "text", text: line }] : [])]),
    })),
  };
}

const inlineText = (nodes: AdfNode[] = []): string =>
  nodes
    .map((n) => {
      switch (n.type) {
        case "text":
          return n.text ?? "";
        case "hardBreak":
          return "\n";
        case "mention":
          return String(n.attrs?.text ?? "@user");
        case "emoji":
          return String(n.attrs?.text ?? n.attrs?.shortName ?? "");
        case "inlineCard":
        case "blockCard":
        case "embedCard":
          return String(n.attrs?.url ?? "");
        case "status":
          return `[${String(n.attrs?.text ?? "")}]`;
        case "date": {
          const t = Number(n.attrs?.timestamp);
          return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : "";
        }
        default:
          return n.content ? inlineText(n.content) : (n.text ?? "");
      }
    })
    .join("");

const indent = (s: string, by: string) => s.split("\n").map((l, i) => (i ? " ".repeat(by.length) + l : by + l)).join("\n");

function blockText(n: AdfNode): string {
  const kids = n.content ?? [];
  switch (n.type) {
    case "paragraph":
    case "heading":
      return inlineText(kids);
    case "codeBlock":
      return kids.map((k) => k.text ?? "").join("");
    case "bulletList":
      return kids.map((li) => indent(blocksText(li.content ?? [], "\n"), "- ")).join("\n");
    case "orderedList": {
      const start = Number(n.attrs?.order ?? 1) || 1;
      return kids.map((li, i) => indent(blocksText(li.content ?? [], "\n"), `${start + i}. `)).join("\n");
    }
    case "taskList":
      return kids.map((t) => `[${t.attrs?.state === "DONE" ? "x" : " "}] ${inlineText(t.content)}`).join("\n");
    case "blockquote":
      return blocksText(kids).split("\n").map((l) => `> ${l}`).join("\n");
    case "rule":
      return "---";
    case "table":
      return kids.map((row) => (row.content ?? []).map((cell) => blocksText(cell.content ?? [], " ")).join(" | ")).join("\n");
    case "mediaSingle":
    case "mediaGroup":
      return "[attachment]";
    default:
      return kids.length && kids.some((k) => k.content || ["paragraph", "heading"].includes(k.type)) ? blocksText(kids) : inlineText(kids.length ? kids : [n]);
  }
}

const blocksText = (nodes: AdfNode[], sep = "\n\n") => nodes.map(blockText).filter((s) => s !== "").join(sep);

/** An ADF document (or null) as readable plain text. */
export function adfToText(doc: AdfNode | null | undefined): string | null {
  if (!doc || typeof doc !== "object") return null;
  return blocksText(doc.content ?? []);
}

// ---------------------------------------------------------------------------------------------
// Shapes and helpers

type JiraUser = { accountId: string; accountType?: string; displayName: string; emailAddress?: string; active?: boolean; timeZone?: string; locale?: string };
type JiraStatus = { id: string; name: string; statusCategory?: { key: string; name: string } };
type JiraComment = { id: string; author?: JiraUser; body?: AdfNode | null; created: string; updated: string };
type JiraIssue = {
  id: string;
  key: string;
  self: string;
  fields: {
    summary?: string;
    status?: JiraStatus;
    issuetype?: { id: string; name: string };
    project?: { id: string; key: string; name: string };
    priority?: { id: string; name: string } | null;
    assignee?: JiraUser | null;
    reporter?: JiraUser | null;
    labels?: string[];
    description?: AdfNode | null;
    created?: string;
    updated?: string;
    comment?: { comments: JiraComment[]; total: number };
  };
};
type JiraTransition = { id: string; name: string; to: JiraStatus; hasScreen?: boolean; isConditional?: boolean };

const browseUrl = (self: string, key: string) => `${new URL(self).origin}/browse/${key}`;
const person = (u: JiraUser | null | undefined) => (u ? { account_id: u.accountId, display_name: u.displayName } : null);
const userOut = (u: JiraUser) => ({ account_id: u.accountId, display_name: u.displayName, email: u.emailAddress ?? null, active: u.active ?? true, account_type: u.accountType ?? null });

const issueKey = z
  .string()
  .trim()
  .regex(/^([A-Za-z][A-Za-z0-9_]*-\d+|\d+)$/, "Use an issue key like KAN-12 or a numeric issue id")
  .describe("Issue key (e.g. KAN-12) or numeric issue id");
const label = z.string().min(1).max(255).regex(/^\S+$/, "Jira labels cannot contain spaces");
const accountId = z.string().min(1).max(128).describe("Atlassian accountId (from jira_search_users, jira_get_myself or an issue's assignee/reporter)");

const SEARCH_FIELDS = ["summary", "status", "assignee", "priority", "issuetype", "project", "labels", "updated"];
const ISSUE_FIELDS = ["summary", "status", "assignee", "reporter", "priority", "issuetype", "project", "labels", "description", "created", "updated", "comment"];

const seg = (s: string) => encodeURIComponent(s);

/** Jira's ErrorCollection `{errorMessages:[…], errors:{field: message}}` as one message and a list of field issues. */
function jiraErrors(body: unknown): { text: string; issues: { path: string; message: string }[] } {
  const b = (body && typeof body === "object" ? body : {}) as { errorMessages?: unknown; errors?: unknown };
  const messages = Array.isArray(b.errorMessages) ? b.errorMessages.filter((m): m is string => typeof m === "string" && m !== "") : [];
  const issues = b.errors && typeof b.errors === "object" ? Object.entries(b.errors as Record<string, unknown>).map(([path, m]) => ({ path, message: String(m) })) : [];
  const text = [...messages, ...issues.map((i) => `${i.path}: ${i.message}`)].join("; ") || providerMessage(body) || "";
  return { text: text.slice(0, 600), issues };
}

export const jira = defineConnector({
  slug: "jira",
  name: "Jira",
  description: "Search, create, update, comment on and move Jira Cloud issues; list projects and users.",
  icon: `<svg viewBox="0 0 32 32" xmlns="http://www.w3.org/2000/svg"><path fill="#2684FF" d="M30.3 15.1 17.4 2.2 16 .8 6.3 10.5 1.7 15.1a1.3 1.3 0 0 0 0 1.8l8.9 8.9 5.4 5.4 9.7-9.7.1-.1 4.5-4.5a1.3 1.3 0 0 0 0-1.8ZM16 20.4 11.6 16 16 11.6l4.4 4.4Z"/></svg>`,
  categories: ["project-management", "developer-tools"],
  docsUrl: "https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/",
  auth: {
    kind: "basic",
    form: z.object({
      site_url: z
        .url({ protocol: /^https$/, hostname: /^[a-z0-9][a-z0-9-]*\.atlassian\.net$/i, error: "Enter your Jira Cloud site, e.g. https://your-team.atlassian.net" })
        .transform((u) => new URL(u).origin)
        .describe("Your Jira Cloud site URL, e.g. https://your-team.atlassian.net"),
      email: z.email().describe("The email address of your Atlassian account"),
      api_token: z.string().trim().min(10).describe("An API token from https://id.atlassian.com/manage-profile/security/api-tokens"),
    }),
    secretFields: ["api_token"],
    headers: (v) => ({ authorization: `Basic ${Buffer.from(`${v.email ?? ""}:${v.api_token ?? ""}`, "utf8").toString("base64")}` }),
  },
  baseUrl: "https://your-site.atlassian.net",
  baseUrlFromCredential: (v) => (v.site_url ?? "").replace(/\/+$/, ""),
  interpret: ({ status, headers, body }: ProviderAnswer): ToolFailure | null => {
    // After repeated failed logins Jira demands a CAPTCHA and refuses API calls until a browser sign-in.
    if (status === 403 && /AUTHENTICATION_DENIED/i.test(String(headers["x-seraph-loginreason"] ?? ""))) {
      return {
        code: "invalid_request",
        message: "Jira is asking for a CAPTCHA after failed sign-ins; sign in to the Jira site once in a browser, then retry.",
        provider_status: 403,
      };
    }
    if (status === 400) {
      const { text, issues } = jiraErrors(body);
      return { code: "invalid_request", message: `Jira rejected the request${text ? `: ${text}` : "."}`, ...(issues.length ? { issues } : {}), provider_status: 400 };
    }
    // API tokens carry the user's own permissions: a 403 is a permission problem, not a scope one.
    if (status === 403) {
      const { text } = jiraErrors(body);
      return { code: "invalid_request", message: `Jira refused the request: the account has no permission for this${text ? ` (${text})` : ""}.`, provider_status: 403 };
    }
    return null;
  },
  accountLabel: async ({ http }) => {
    const me = (await http.get<JiraUser>("/rest/api/3/myself")).body;
    return me.emailAddress || me.displayName || null;
  },
  tools: [
    defineTool({
      name: "jira_get_myself",
      description: "Get the Jira user this connection acts as (accountId, name, email, time zone). Use the accountId to assign issues to yourself.",
      input: z.object({}),
      annotations: { title: "Who am I on Jira", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (_a, { http }) => {
        const me = (await http.get<JiraUser>("/rest/api/3/myself")).body;
        return { ...userOut(me), time_zone: me.timeZone ?? null, locale: me.locale ?? null };
      },
    }),
    defineTool({
      name: "jira_search_issues",
      description:
        "Search issues with JQL, e.g. `project = KAN AND status = \"In Progress\" ORDER BY updated DESC`, `assignee = currentUser() AND statusCategory != Done`, `text ~ \"login\" AND updated >= -14d`. The query must contain at least one restriction (Jira rejects a bare ORDER BY). Returns one page; pass next_page_token to get the next.",
      input: z.object({
        jql: z.string().trim().min(1).max(10000).describe("A bounded JQL query, optionally ending in ORDER BY"),
        max_results: z.number().int().min(1).max(100).default(25).describe("Issues per page (max 100)"),
        next_page_token: z.string().min(1).max(2048).optional().describe("next_page_token from the previous page of the same query"),
      }),
      annotations: { title: "Search issues (JQL)", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<{ issues: JiraIssue[]; nextPageToken?: string | null; isLast?: boolean }>("/rest/api/3/search/jql", {
          jql: a.jql,
          fields: SEARCH_FIELDS.join(","),
          maxResults: a.max_results,
          nextPageToken: a.next_page_token,
        });
        return {
          issues: res.body.issues.map((i) => ({
            key: i.key,
            id: i.id,
            summary: i.fields.summary ?? null,
            status: i.fields.status?.name ?? null,
            status_category: i.fields.status?.statusCategory?.name ?? null,
            issue_type: i.fields.issuetype?.name ?? null,
            project: i.fields.project?.key ?? null,
            priority: i.fields.priority?.name ?? null,
            assignee: i.fields.assignee?.displayName ?? null,
            assignee_account_id: i.fields.assignee?.accountId ?? null,
            labels: i.fields.labels ?? [],
            updated: i.fields.updated ?? null,
            url: browseUrl(i.self, i.key),
          })),
          next_page_token: res.body.isLast === true ? null : (res.body.nextPageToken ?? null),
        };
      },
    }),
    defineTool({
      name: "jira_get_issue",
      description: "Get one issue with its description (as plain text), people, labels, dates and its most recent comments.",
      input: z.object({
        issue_key: issueKey,
        max_comments: z.number().int().min(0).max(50).default(10).describe("How many of the latest comments to include"),
      }),
      annotations: { title: "Get issue", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const i = (await http.get<JiraIssue>(`/rest/api/3/issue/${seg(a.issue_key)}`, { fields: ISSUE_FIELDS.join(",") })).body;
        const f = i.fields;
        const comments = f.comment?.comments ?? [];
        return {
          key: i.key,
          id: i.id,
          url: browseUrl(i.self, i.key),
          project: f.project ? { key: f.project.key, name: f.project.name } : null,
          issue_type: f.issuetype?.name ?? null,
          summary: f.summary ?? null,
          description: adfToText(f.description),
          status: f.status?.name ?? null,
          status_category: f.status?.statusCategory?.name ?? null,
          priority: f.priority?.name ?? null,
          assignee: person(f.assignee),
          reporter: person(f.reporter),
          labels: f.labels ?? [],
          created: f.created ?? null,
          updated: f.updated ?? null,
          comment_count: f.comment?.total ?? comments.length,
          comments: (a.max_comments ? comments.slice(-a.max_comments) : []).map((c) => ({ id: c.id, author: c.author?.displayName ?? null, body: adfToText(c.body), created: c.created })),
        };
      },
    }),
    defineTool({
      name: "jira_create_issue",
      description: "Create an issue in a project. The description is plain text (blank lines separate paragraphs). Use jira_list_projects for project keys and jira_search_users for assignee account ids.",
      input: z.object({
        project_key: z.string().trim().min(1).max(255).describe("Project key, e.g. KAN"),
        summary: z.string().trim().min(1).max(255),
        issue_type: z.string().trim().min(1).max(60).default("Task").describe("Issue type name as configured in the project, e.g. Task, Bug, Story"),
        description: z.string().max(32767).optional().describe("Plain text"),
        labels: z.array(label).max(20).optional().describe("Labels (no spaces)"),
        priority: z.string().trim().min(1).max(60).optional().describe("Priority name, e.g. Highest, High, Medium, Low, Lowest"),
        assignee_account_id: accountId.optional(),
      }),
      annotations: { title: "Create issue", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const fields: Record<string, unknown> = { project: { key: a.project_key }, summary: a.summary, issuetype: { name: a.issue_type } };
        if (a.description?.trim()) fields.description = textToAdf(a.description);
        if (a.labels) fields.labels = a.labels;
        if (a.priority) fields.priority = { name: a.priority };
        if (a.assignee_account_id) fields.assignee = { accountId: a.assignee_account_id };
        const created = (await http.post<{ id: string; key: string; self: string }>("/rest/api/3/issue", { fields })).body;
        return { id: created.id, key: created.key, url: browseUrl(created.self, created.key) };
      },
    }),
    defineTool({
      name: "jira_update_issue",
      description:
        "Edit an issue's summary, description (plain text; empty string clears it), priority, assignee (null unassigns) or labels (replace all with `labels`, or use add_labels/remove_labels). Only the given fields change. To change status use jira_transition_issue.",
      input: z
        .object({
          issue_key: issueKey,
          summary: z.string().trim().min(1).max(255).optional(),
          description: z.string().max(32767).optional().describe("Plain text; replaces the whole description. Empty string clears it."),
          priority: z.string().trim().min(1).max(60).optional().describe("Priority name, e.g. High"),
          assignee_account_id: accountId.nullable().optional().describe("accountId to assign, or null to unassign"),
          labels: z.array(label).max(20).optional().describe("Replaces all labels"),
          add_labels: z.array(label).max(20).optional(),
          remove_labels: z.array(label).max(20).optional(),
        })
        .refine((a) => !(a.labels && (a.add_labels || a.remove_labels)), { message: "Use either labels or add_labels/remove_labels, not both", path: ["labels"] })
        .refine((a) => ["summary", "description", "priority", "assignee_account_id", "labels", "add_labels", "remove_labels"].some((k) => (a as Record<string, unknown>)[k] !== undefined), {
          message: "Give at least one field to change",
        }),
      annotations: { title: "Update issue", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const fields: Record<string, unknown> = {};
        const update: Record<string, unknown[]> = {};
        if (a.summary !== undefined) fields.summary = a.summary;
        if (a.description !== undefined) fields.description = a.description.trim() ? textToAdf(a.description) : null;
        if (a.priority !== undefined) fields.priority = { name: a.priority };
        if (a.assignee_account_id !== undefined) fields.assignee = a.assignee_account_id === null ? null : { accountId: a.assignee_account_id };
        if (a.labels) fields.labels = a.labels;
        const ops = [...(a.add_labels ?? []).map((l) => ({ add: l })), ...(a.remove_labels ?? []).map((l) => ({ remove: l }))];
        if (ops.length) update.labels = ops;
        await http.put(`/rest/api/3/issue/${seg(a.issue_key)}`, { ...(Object.keys(fields).length ? { fields } : {}), ...(ops.length ? { update } : {}) });
        return { key: a.issue_key, updated: true, changed: [...Object.keys(fields), ...(ops.length ? ["labels"] : [])] };
      },
    }),
    defineTool({
      name: "jira_add_comment",
      description: "Add a comment to an issue. The body is plain text (blank lines separate paragraphs).",
      input: z.object({ issue_key: issueKey, body: z.string().trim().min(1).max(32767).describe("Plain text") }),
      annotations: { title: "Comment on issue", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const c = (await http.post<JiraComment & { self: string }>(`/rest/api/3/issue/${seg(a.issue_key)}/comment`, { body: textToAdf(a.body) })).body;
        return { id: c.id, issue_key: a.issue_key, author: c.author?.displayName ?? null, body: adfToText(c.body), created: c.created };
      },
    }),
    defineTool({
      name: "jira_list_transitions",
      description: "List the workflow transitions available for an issue right now (id, name and the status each leads to). Use an id with jira_transition_issue.",
      input: z.object({ issue_key: issueKey }),
      annotations: { title: "List transitions", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<{ transitions: JiraTransition[] }>(`/rest/api/3/issue/${seg(a.issue_key)}/transitions`);
        return {
          issue_key: a.issue_key,
          transitions: res.body.transitions.map((t) => ({
            id: t.id,
            name: t.name,
            to_status: t.to.name,
            to_status_category: t.to.statusCategory?.name ?? null,
            has_screen: t.hasScreen ?? false,
          })),
        };
      },
    }),
    defineTool({
      name: "jira_transition_issue",
      description:
        "Move an issue through its workflow (change its status). Give a transition_id from jira_list_transitions, or to_status with the target status name and the matching transition is looked up. Optionally add a comment with the transition.",
      input: z
        .object({
          issue_key: issueKey,
          transition_id: z.string().trim().regex(/^\d+$/).optional().describe("Transition id from jira_list_transitions"),
          to_status: z.string().trim().min(1).max(255).optional().describe("Target status name, e.g. Done (used when transition_id is not given)"),
          comment: z.string().trim().min(1).max(32767).optional().describe("Plain-text comment added with the transition"),
        })
        .refine((a) => (a.transition_id === undefined) !== (a.to_status === undefined), { message: "Give exactly one of transition_id or to_status", path: ["transition_id"] }),
      annotations: { title: "Transition issue", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const path = `/rest/api/3/issue/${seg(a.issue_key)}/transitions`;
        let id = a.transition_id;
        let toStatus: string | null = null;
        if (!id) {
          const available = (await http.get<{ transitions: JiraTransition[] }>(path)).body.transitions;
          const want = a.to_status!.toLowerCase();
          const t = available.find((x) => x.to.name.toLowerCase() === want) ?? available.find((x) => x.name.toLowerCase() === want);
          if (!t) {
            throw toolError(
              "invalid_request",
              `No transition to "${a.to_status}" is available for ${a.issue_key} now. Available: ${available.map((x) => `${x.name} → ${x.to.name} (id ${x.id})`).join(", ") || "none"}.`,
            );
          }
          id = t.id;
          toStatus = t.to.name;
        }
        await http.post(path, { transition: { id }, ...(a.comment ? { update: { comment: [{ add: { body: textToAdf(a.comment) } }] } } : {}) });
        return { key: a.issue_key, transitioned: true, transition_id: id, to_status: toStatus };
      },
    }),
    defineTool({
      name: "jira_list_projects",
      description: "List the Jira projects the user can see (key, name, type). Filter by a word in the key or name.",
      input: z.object({
        query: z.string().trim().min(1).max(255).optional().describe("Only projects whose key or name contains this (case-insensitive)"),
        order_by: z.enum(["key", "-key", "name", "-name"]).default("key"),
        start_at: z.number().int().min(0).max(100000).default(0).describe("Index of the first project (from next_start_at)"),
        max_results: z.number().int().min(1).max(100).default(50),
      }),
      annotations: { title: "List projects", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<{
          startAt: number;
          maxResults: number;
          total: number;
          isLast: boolean;
          values: { id: string; key: string; name: string; self: string; projectTypeKey: string; style?: string; simplified?: boolean; isPrivate?: boolean }[];
        }>("/rest/api/3/project/search", { query: a.query, orderBy: a.order_by, startAt: a.start_at, maxResults: a.max_results });
        const b = res.body;
        return {
          projects: b.values.map((p) => ({
            id: p.id,
            key: p.key,
            name: p.name,
            type: p.projectTypeKey,
            team_managed: p.simplified ?? p.style === "next-gen",
            private: p.isPrivate ?? false,
            url: browseUrl(p.self, p.key),
          })),
          total: b.total,
          next_start_at: b.isLast ? null : b.startAt + b.values.length,
        };
      },
    }),
    defineTool({
      name: "jira_search_users",
      description: "Find Jira users by the start of their name or email, to get the accountId needed to assign issues.",
      input: z.object({
        query: z.string().trim().min(1).max(255).describe("Start of a display name or email address"),
        start_at: z.number().int().min(0).max(10000).default(0),
        max_results: z.number().int().min(1).max(100).default(20),
      }),
      annotations: { title: "Search users", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const users = (await http.get<JiraUser[]>("/rest/api/3/user/search", { query: a.query, startAt: a.start_at, maxResults: a.max_results })).body;
        return { users: users.map(userOut), next_start_at: users.length === a.max_results ? a.start_at + users.length : null };
      },
    }),
  ],
});
