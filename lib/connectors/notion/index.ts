import * as z from "zod";
import { retryAfterSeconds } from "@/lib/connectors/http";
import { toolError } from "@/lib/connectors/errors";
import { defineConnector, defineTool, type ToolContext } from "@/lib/connectors/types";

// Notion API (https://developers.notion.com/reference), pinned to Notion-Version 2022-06-28
// (the version with `archived` on pages and `/v1/databases/{id}/query`; later versions move
// databases to data sources).

type Dict = Record<string, unknown>;
type RichText = { type?: string; plain_text?: string; text?: { content?: string } | null; href?: string | null };
type NUser = {
  object: "user";
  id: string;
  name?: string | null;
  type?: "person" | "bot";
  person?: { email?: string | null };
  bot?: { owner?: { type: "user"; user?: NUser } | { type: "workspace"; workspace: true }; workspace_name?: string | null };
};
type NParent = { type: string; page_id?: string; database_id?: string; block_id?: string; workspace?: boolean };
type NPropValue = { id: string; type: string } & Dict;
type NPropSchema = { id: string; name: string; type: string } & Dict;
type NPage = {
  object: "page";
  id: string;
  url: string;
  parent: NParent;
  archived?: boolean;
  in_trash?: boolean;
  created_time: string;
  last_edited_time: string;
  properties: Record<string, NPropValue>;
};
type NDatabase = {
  object: "database";
  id: string;
  url: string;
  title: RichText[];
  description?: RichText[];
  parent: NParent;
  archived?: boolean;
  in_trash?: boolean;
  is_inline?: boolean;
  created_time: string;
  last_edited_time: string;
  properties: Record<string, NPropSchema>;
};
type NBlock = { object: "block"; id: string; type: string; has_children: boolean } & Dict;
type NList<T> = { object: "list"; results: T[]; next_cursor: string | null; has_more: boolean };

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** Plain text of a rich text array (Notion's `plain_text`, else the text content). */
export const plainText = (rt: unknown): string =>
  Array.isArray(rt) ? rt.map((r: RichText) => r?.plain_text ?? r?.text?.content ?? "").join("") : "";

/** Notion caps one text object at 2000 characters; longer strings become several. */
export function richText(s: string): { type: "text"; text: { content: string } }[] {
  const chars = Array.from(s);
  const out: { type: "text"; text: { content: string } }[] = [];
  for (let i = 0; i < chars.length; i += 2000) out.push({ type: "text", text: { content: chars.slice(i, i + 2000).join("") } });
  return out;
}

const dashify = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toLowerCase();

/**
 * A Notion id from what an agent has: a UUID with or without dashes, or a Notion URL
 * (`https://www.notion.so/Team-Wiki-1a7e…`, `…?v=…`, `…?p=<page>` peeks). Anything else is sent
 * as given so Notion's own validation message comes back.
 */
export function notionId(input: string): string {
  const s = input.trim();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return s.toLowerCase();
  if (/^[0-9a-f]{32}$/i.test(s)) return dashify(s);
  if (/^https?:\/\//i.test(s)) {
    try {
      const u = new URL(s);
      const peek = u.searchParams.get("p");
      if (peek && /^[0-9a-f]{32}$/i.test(peek)) return dashify(peek);
      const m = /([0-9a-f]{32})$/i.exec(u.pathname.replace(/\/$/, "")) ?? /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(u.pathname);
      if (m) return dashify(m[1]!.replace(/-/g, ""));
    } catch {
      /* not a URL after all */
    }
  }
  return s;
}

const idPath = (...parts: string[]) => `/v1/${parts.map((p) => encodeURIComponent(p)).join("/")}`;

const parentOut = (p: NParent | undefined) =>
  !p ? null : { type: p.type, id: p.page_id ?? p.database_id ?? p.block_id ?? null };

/** A page property value as a plain value where that is lossless enough for an agent. */
export function flatValue(p: NPropValue | Dict): unknown {
  const type = String(p.type);
  const v = p[type];
  switch (type) {
    case "title":
    case "rich_text":
      return plainText(v);
    case "number":
    case "checkbox":
    case "url":
    case "email":
    case "phone_number":
    case "created_time":
    case "last_edited_time":
      return v ?? null;
    case "select":
    case "status":
      return isDict(v) ? (str(v.name) ?? null) : null;
    case "multi_select":
      return Array.isArray(v) ? v.map((o: Dict) => o.name) : [];
    case "date":
      if (!isDict(v)) return null;
      return v.end ? { start: v.start, end: v.end } : (v.start ?? null);
    case "people":
      return Array.isArray(v) ? v.map((u: Dict) => u.name ?? u.id) : [];
    case "relation":
      return Array.isArray(v) ? v.map((r: Dict) => r.id) : [];
    case "created_by":
    case "last_edited_by":
      return isDict(v) ? (v.name ?? v.id ?? null) : null;
    case "files":
      return Array.isArray(v)
        ? v.map((f: Dict) => ({ name: f.name ?? null, url: (isDict(f.file) ? f.file.url : isDict(f.external) ? f.external.url : null) ?? null }))
        : [];
    case "formula":
      if (!isDict(v)) return null;
      return v.type === "date" ? flatValue({ type: "date", date: v.date }) : (v[String(v.type)] ?? null);
    case "rollup":
      if (!isDict(v)) return null;
      if (v.type === "array") return Array.isArray(v.array) ? v.array.map((x: Dict) => flatValue(x)) : [];
      return v.type === "date" ? flatValue({ type: "date", date: v.date }) : (v[String(v.type)] ?? null);
    case "unique_id":
      return isDict(v) ? (v.prefix ? `${v.prefix}-${v.number}` : (v.number ?? null)) : null;
    case "verification":
      return isDict(v) ? (v.state ?? null) : null;
    default:
      return v ?? null;
  }
}

const pageTitle = (p: NPage) => plainText(Object.values(p.properties ?? {}).find((v) => v.type === "title")?.title);

const pageOut = (p: NPage) => ({
  id: p.id,
  object: "page" as const,
  title: pageTitle(p),
  url: p.url,
  parent: parentOut(p.parent),
  archived: Boolean(p.archived || p.in_trash),
  created_time: p.created_time,
  last_edited_time: p.last_edited_time,
  properties: Object.fromEntries(Object.entries(p.properties ?? {}).map(([name, v]) => [name, flatValue(v)])),
});

const schemaOut = (s: NPropSchema) => {
  const conf = isDict(s[s.type]) ? (s[s.type] as Dict) : {};
  const names = (opts: unknown) => (Array.isArray(opts) ? opts.map((o: Dict) => String(o.name)) : undefined);
  return {
    name: s.name,
    id: s.id,
    type: s.type,
    ...(names(conf.options) ? { options: names(conf.options) } : {}),
    ...(s.type === "status" && Array.isArray(conf.groups) && Array.isArray(conf.options)
      ? {
          groups: conf.groups.map((g: Dict) => ({
            name: g.name,
            options: (conf.options as Dict[]).filter((o) => Array.isArray(g.option_ids) && g.option_ids.includes(o.id)).map((o) => o.name),
          })),
        }
      : {}),
    ...(typeof conf.format === "string" ? { format: conf.format } : {}),
    ...(typeof conf.database_id === "string" ? { database_id: conf.database_id } : {}),
  };
};

const databaseOut = (d: NDatabase) => ({
  id: d.id,
  object: "database" as const,
  title: plainText(d.title),
  description: plainText(d.description),
  url: d.url,
  parent: parentOut(d.parent),
  is_inline: d.is_inline ?? false,
  archived: Boolean(d.archived || d.in_trash),
  created_time: d.created_time,
  last_edited_time: d.last_edited_time,
  properties: Object.values(d.properties).map(schemaOut),
});

const blockText = (b: NBlock): string => {
  const data = b[b.type];
  if (!isDict(data)) return "";
  if (b.type === "child_page" || b.type === "child_database") return str(data.title) ?? "";
  if (b.type === "equation") return str(data.expression) ?? "";
  if (b.type === "table_row") return Array.isArray(data.cells) ? data.cells.map(plainText).join(" | ") : "";
  if (Array.isArray(data.rich_text)) return plainText(data.rich_text);
  const media = isDict(data.external) ? data.external.url : isDict(data.file) ? data.file.url : data.url;
  const caption = plainText(data.caption);
  return [caption, str(media)].filter(Boolean).join(" ");
};

const blockOut = (b: NBlock) => {
  const data = isDict(b[b.type]) ? (b[b.type] as Dict) : {};
  return {
    id: b.id,
    type: b.type,
    text: blockText(b),
    has_children: b.has_children,
    ...(b.type === "to_do" ? { checked: Boolean(data.checked) } : {}),
    ...(b.type === "code" && typeof data.language === "string" ? { language: data.language } : {}),
  };
};

// ---- Writing content: a small markdown-ish dialect → Notion block objects ------------------

const blockTypes = ["paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item", "to_do", "quote", "code", "divider"] as const;
type BlockSpec = { type: (typeof blockTypes)[number]; text: string; checked?: boolean; language?: string };

const codeLanguages: Record<string, string> = {
  "": "plain text",
  text: "plain text",
  js: "javascript",
  javascript: "javascript",
  ts: "typescript",
  typescript: "typescript",
  py: "python",
  python: "python",
  sh: "shell",
  shell: "shell",
  bash: "bash",
  json: "json",
  sql: "sql",
  md: "markdown",
  markdown: "markdown",
  html: "html",
  css: "css",
  go: "go",
  rust: "rust",
  java: "java",
  ruby: "ruby",
  yaml: "yaml",
  yml: "yaml",
};

/** Lines → blocks: `#`/`##`/`###` headings, `- `/`* ` bullets, `1. ` numbered, `- [ ]`/`- [x]` to-dos, `> ` quotes, `---` dividers, ``` fences; other lines join into paragraphs split by blank lines. */
export function parseContent(text: string): BlockSpec[] {
  const out: BlockSpec[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push({ type: "paragraph", text: para.join("\n") });
    para = [];
  };
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    let m: RegExpExecArray | null;
    if ((m = /^```\s*([\w+#-]*)\s*$/.exec(line))) {
      flush();
      const body: string[] = [];
      while (++i < lines.length && !/^```\s*$/.test(lines[i]!.trimEnd())) body.push(lines[i]!);
      out.push({ type: "code", text: body.join("\n"), language: codeLanguages[m[1]!.toLowerCase()] ?? "plain text" });
    } else if (!line.trim()) flush();
    else if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      flush();
      out.push({ type: "divider", text: "" });
    } else if ((m = /^(#{1,3})\s+(.*)$/.exec(line))) {
      flush();
      out.push({ type: `heading_${m[1]!.length}` as BlockSpec["type"], text: m[2]! });
    } else if ((m = /^\s*[-*+]\s+\[([ xX])\]\s*(.*)$/.exec(line))) {
      flush();
      out.push({ type: "to_do", text: m[2]!, checked: m[1] !== " " });
    } else if ((m = /^\s*[-*+]\s+(.*)$/.exec(line))) {
      flush();
      out.push({ type: "bulleted_list_item", text: m[1]! });
    } else if ((m = /^\s*\d+[.)]\s+(.*)$/.exec(line))) {
      flush();
      out.push({ type: "numbered_list_item", text: m[1]! });
    } else if ((m = /^>\s?(.*)$/.exec(line))) {
      flush();
      out.push({ type: "quote", text: m[1]! });
    } else para.push(line);
  }
  flush();
  return out;
}

export function toNotionBlock(b: BlockSpec): Dict {
  if (b.type === "divider") return { object: "block", type: "divider", divider: {} };
  const data: Dict = { rich_text: richText(b.text) };
  if (b.type === "to_do") data.checked = b.checked ?? false;
  if (b.type === "code") data.language = b.language ?? "plain text";
  return { object: "block", type: b.type, [b.type]: data };
}

const MAX_CHILDREN = 100;
function childrenFrom(content: string | undefined, blocks: BlockSpec[] | undefined): Dict[] {
  const specs = [...(content ? parseContent(content) : []), ...(blocks ?? [])];
  if (specs.length > MAX_CHILDREN) {
    throw toolError("invalid_arguments", `That is ${specs.length} blocks; Notion accepts at most ${MAX_CHILDREN} per request. Split the content over several calls.`);
  }
  return specs.map(toNotionBlock);
}

// ---- Writing properties: simple values → Notion property values, by property type ----------

const simpleValue = z.union([z.string().max(20000), z.number(), z.boolean(), z.null(), z.array(z.string().max(2000)).max(100)]);
const propertyValue = z.union([simpleValue, z.record(z.string(), z.unknown())]);
const propertiesInput = z
  .record(z.string().min(1).max(200), propertyValue)
  .describe(
    'Property values by property name. Simple values are converted by the property\'s type: text for title/rich_text/url/email/phone_number, an option name for select/status, a list of names for multi_select, "2026-04-10" or an ISO datetime for date (null clears it), a number, true/false for checkbox, a list of ids for relation/people. An object is sent as Notion\'s own property value, e.g. {"date":{"start":"2026-04-01","end":"2026-04-03"}}.',
  );
type PropertiesInput = z.output<typeof propertiesInput>;

function convertValue(name: string, type: string, v: z.output<typeof simpleValue>): Dict {
  const fail = (what: string) =>
    toolError("invalid_arguments", `Property "${name}" is a ${type} property; ${what}`, { issues: [{ path: `properties.${name}`, message: what }] });
  const text = () => {
    if (typeof v !== "string") throw fail("give it a string.");
    return v;
  };
  switch (type) {
    case "title":
    case "rich_text":
      return { [type]: richText(v === null ? "" : text()) };
    case "url":
    case "email":
    case "phone_number":
      return { [type]: v === null ? null : text() };
    case "number":
      if (v !== null && typeof v !== "number") throw fail("give it a number (or null).");
      return { number: v };
    case "checkbox":
      if (typeof v !== "boolean") throw fail("give it true or false.");
      return { checkbox: v };
    case "select":
    case "status":
      return { [type]: v === null ? null : { name: text() } };
    case "multi_select":
      if (v !== null && !Array.isArray(v) && typeof v !== "string") throw fail("give it a list of option names.");
      return { multi_select: (v === null ? [] : Array.isArray(v) ? v : [v]).map((n) => ({ name: n })) };
    case "date":
      return { date: v === null ? null : { start: text() } };
    case "relation":
    case "people":
      if (v !== null && !Array.isArray(v) && typeof v !== "string") throw fail("give it a list of ids.");
      return { [type]: (v === null ? [] : Array.isArray(v) ? v : [v]).map((id) => ({ id: notionId(id) })) };
    default:
      throw fail(`pass Notion's property value object for it, e.g. {"${type}": …}.`);
  }
}

/** Converts simple values with the property types (name → type); objects pass through. */
function convertProperties(props: PropertiesInput | undefined, types: Map<string, string>): Dict {
  const out: Dict = {};
  for (const [name, v] of Object.entries(props ?? {})) {
    if (isDict(v)) {
      out[name] = v;
      continue;
    }
    const type = types.get(name);
    if (!type) {
      throw toolError("invalid_arguments", `There is no property "${name}". Properties: ${[...types.keys()].join(", ") || "(none)"}.`, {
        issues: [{ path: `properties.${name}`, message: "unknown property" }],
      });
    }
    out[name] = convertValue(name, type, v);
  }
  return out;
}

const hasSimple = (props: PropertiesInput | undefined) => Object.values(props ?? {}).some((v) => !isDict(v));

// ---- Inputs --------------------------------------------------------------------------------

const idArg = (what: string) => z.string().min(1).max(500).describe(`${what} id (UUID, with or without dashes) or its Notion URL`);
const cursorArgs = (max: number, dflt: number) => ({
  start_cursor: z.string().min(1).max(200).optional().describe("next_cursor from the previous call, to get the next page"),
  page_size: z.number().int().min(1).max(max).default(dflt).describe(`Results per page (max ${max})`),
});
const blockSpec = z.object({
  type: z.enum(blockTypes),
  text: z.string().max(20000).default("").describe("Plain text of the block (ignored for divider)"),
  checked: z.boolean().optional().describe("to_do only: whether it is ticked"),
  language: z.string().max(40).optional().describe('code only: a Notion language name, e.g. "typescript", "python", "plain text"'),
});
const contentArg = z
  .string()
  .max(100_000)
  .describe(
    "Text to add as blocks. Blank lines separate paragraphs; lines starting with '# ', '## ', '### ' become headings, '- ' bulleted items, '1. ' numbered items, '- [ ] ' / '- [x] ' to-dos, '> ' quotes, '---' a divider, and ``` fences a code block. At most 100 blocks per call.",
  );

const getBody = async <T>(http: ToolContext["http"], path: string) => (await http.get<T>(path)).body;

/** Notion's error body: `{ object: "error", status, code, message }`. */
const notionError = (body: unknown) =>
  isDict(body) && body.object === "error" ? { code: str(body.code) ?? "", message: str(body.message) ?? "" } : null;

export const notion = defineConnector({
  slug: "notion",
  name: "Notion",
  description: "Search, read and write Notion pages, databases and their content.",
  icon: `<svg viewBox="0 0 100 100" xmlns="http://www.w3.org/2000/svg"><path fill="#fff" d="M6 4.3 61.3.2c6.8-.6 8.5-.2 12.8 2.9l17.6 12.4c2.9 2.1 3.9 2.7 3.9 5v68.2c0 4.3-1.6 6.8-7 7.2l-64.3 3.9c-4.1.2-6-.4-8.2-3.1L3 80.3C.6 77.2-.4 74.8-.4 72V11.4C-.4 7.9 1.2 4.7 6 4.3Z"/><path d="M61.3.2 6 4.3C1.2 4.7-.4 7.9-.4 11.4V72c0 2.8 1 5.2 3.4 8.3l13 16.9c2.1 2.7 4.1 3.3 8.2 3.1l64.3-3.9c5.4-.4 7-2.9 7-7.2V20.5c0-2.2-.9-2.9-3.5-4.8L74.1 3.1C69.8 0 68.1-.4 61.3.2ZM25.9 19.5c-5.3.4-6.5.4-9.5-2l-7.6-6c-.8-.8-.4-1.8 1.6-2l53.2-3.9c4.5-.4 6.8 1.2 8.5 2.5l9.1 6.6c.4.2 1.4 1.4.2 1.4l-55 3.3-.5.1ZM19.8 88.3V30.4c0-2.5.8-3.7 3.1-3.9l63.1-3.7c2.1-.2 3.1 1.2 3.1 3.7v57.5c0 2.5-.4 4.7-3.9 4.9l-60.4 3.5c-3.5.2-5-1-5-4.1Zm59.6-54.8c.4 1.7 0 3.5-1.7 3.7l-2.9.6v42.7c-2.5 1.4-4.8 2.1-6.8 2.1-3.1 0-3.9-1-6.2-3.9L42.9 49.3v28.7l6 1.4s0 3.5-4.8 3.5l-13.3.8c-.4-.8 0-2.7 1.4-3.1l3.5-1V41.8l-4.8-.4c-.4-1.7.6-4.1 3.3-4.3l14.3-1 19.7 30.2V39.5l-5-.6c-.4-2.1 1.2-3.7 3.1-3.9l13.5-.8Z"/></svg>`,
  categories: ["productivity", "knowledge-base", "documents"],
  docsUrl: "https://developers.notion.com/reference/intro",
  auth: {
    kind: "oauth2",
    authorizeUrl: "https://api.notion.com/v1/oauth/authorize",
    tokenUrl: "https://api.notion.com/v1/oauth/token",
    // Public integrations exchange the code with HTTP Basic client auth; Notion has no PKCE and no scopes
    // (access is the pages the user picks on the consent screen, plus the integration's capabilities).
    pkce: false,
    scopeSeparator: " ",
    baseScopes: [],
    tokenAuthMethod: "client_secret_basic",
    authorizeParams: { owner: "user" },
  },
  baseUrl: "https://api.notion.com",
  defaultHeaders: { "notion-version": "2022-06-28" },
  interpret: ({ status, headers, body }) => {
    const e = notionError(body);
    if (!e || status < 400) return null;
    const said = e.message ? `: ${e.message}` : ".";
    switch (e.code) {
      case "unauthorized":
        return { code: "reauth_required", message: "Notion rejected the access token (invalid or revoked).", provider_status: status };
      case "restricted_resource":
        return {
          code: "invalid_request",
          message: `Notion refused access${said} The page or database has not been shared with this integration (or the integration lacks the capability). In Notion, open it, choose ••• → Connections and add the integration, then retry.`,
          provider_status: status,
        };
      case "object_not_found":
        return {
          code: "not_found",
          message: `Notion found nothing there${said}${/shared/i.test(e.message) ? "" : " Pages and databases must be shared with the integration to be visible."}`,
          provider_status: status,
        };
      case "validation_error":
      case "invalid_json":
      case "invalid_request":
      case "invalid_request_url":
      case "missing_version":
        return { code: "invalid_request", message: `Notion rejected the request${said}`, provider_status: status };
      case "conflict_error":
        return { code: "invalid_request", message: `Notion reported a conflicting edit${said} Read the page again and retry.`, provider_status: status };
      case "rate_limited": {
        const retry = retryAfterSeconds(headers);
        return {
          code: "rate_limited",
          message: `Notion is rate limiting this integration (about 3 requests per second on average)${retry !== undefined ? `; retry after ${retry} s` : ""}.`,
          ...(retry !== undefined ? { retry_after: retry } : {}),
          provider_status: status,
        };
      }
      default:
        return null;
    }
  },
  accountLabel: async ({ http }) => {
    const me = (await http.get<NUser>("/v1/users/me")).body;
    const owner = me.bot?.owner;
    return (owner?.type === "user" ? owner.user?.name : null) || me.bot?.workspace_name || me.name || null;
  },
  tools: [
    defineTool({
      name: "notion_search",
      description:
        "Search the pages and databases shared with this Notion integration by title. Returns ids to use with the other notion_ tools. Omit query to list everything shared.",
      input: z.object({
        query: z.string().max(500).optional().describe("Words to look for in page and database titles"),
        object: z.enum(["page", "database"]).optional().describe("Only pages or only databases"),
        sort_direction: z.enum(["ascending", "descending"]).optional().describe("Order by last_edited_time instead of relevance"),
        ...cursorArgs(100, 20),
      }),
      annotations: { title: "Search Notion", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.post<NList<NPage | NDatabase>>("/v1/search", {
          query: a.query,
          filter: a.object ? { property: "object", value: a.object } : undefined,
          sort: a.sort_direction ? { direction: a.sort_direction, timestamp: "last_edited_time" } : undefined,
          start_cursor: a.start_cursor,
          page_size: a.page_size,
        });
        return {
          results: res.body.results.map((r) => ({
            id: r.id,
            object: r.object,
            title: r.object === "database" ? plainText(r.title) : pageTitle(r),
            url: r.url,
            parent: parentOut(r.parent),
            last_edited_time: r.last_edited_time,
          })),
          next_cursor: res.body.next_cursor,
          has_more: res.body.has_more,
        };
      },
    }),
    defineTool({
      name: "notion_get_page",
      description: "Get a Notion page's title, parent, url and property values (database rows: every column as a plain value). Use notion_get_page_content for the body.",
      input: z.object({ page_id: idArg("Page") }),
      annotations: { title: "Get page", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => pageOut(await getBody<NPage>(http, idPath("pages", notionId(a.page_id)))),
    }),
    defineTool({
      name: "notion_get_page_content",
      description:
        "Read the content blocks of a page (or the children of a block) as plain text, in order. Blocks with has_children have nested blocks: call again with that block's id to read them.",
      input: z.object({ block_id: idArg("Page or block"), ...cursorArgs(100, 50) }),
      annotations: { title: "Read page content", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<NList<NBlock>>(idPath("blocks", notionId(a.block_id), "children"), { start_cursor: a.start_cursor, page_size: a.page_size });
        return { blocks: res.body.results.map(blockOut), next_cursor: res.body.next_cursor, has_more: res.body.has_more };
      },
    }),
    defineTool({
      name: "notion_create_page",
      description:
        "Create a Notion page under a parent page, or a new row in a database (then title fills the title column and properties set the other columns). Optional content becomes the page body.",
      input: z.object({
        parent_page_id: idArg("Parent page").optional().describe("Create the page under this page (id or URL). Give this or parent_database_id."),
        parent_database_id: idArg("Database").optional().describe("Create a row in this database (id or URL). Give this or parent_page_id."),
        title: z.string().max(2000).describe("Page title (for a database row, the value of its title column)"),
        properties: propertiesInput.optional().describe("Database rows only: column values by name (see notion_get_database for the columns)"),
        content: contentArg.optional(),
      }),
      annotations: { title: "Create page", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        if (Boolean(a.parent_page_id) === Boolean(a.parent_database_id)) {
          throw toolError("invalid_arguments", "Give exactly one of parent_page_id or parent_database_id.");
        }
        const children = childrenFrom(a.content, undefined);
        let parent: Dict;
        let properties: Dict;
        if (a.parent_page_id) {
          if (a.properties && Object.keys(a.properties).length) {
            throw toolError("invalid_arguments", "A page under another page has only a title; properties need a database parent (parent_database_id).");
          }
          parent = { page_id: notionId(a.parent_page_id) };
          properties = { title: { title: richText(a.title) } };
        } else {
          const databaseId = notionId(a.parent_database_id!);
          const db = await getBody<NDatabase>(http, idPath("databases", databaseId));
          const schema = Object.values(db.properties);
          const types = new Map(schema.map((s) => [s.name, s.type]));
          const titleName = schema.find((s) => s.type === "title")?.name ?? "title";
          parent = { database_id: databaseId };
          properties = { ...convertProperties(a.properties, types), [titleName]: { title: richText(a.title) } };
        }
        const page = (await http.post<NPage>("/v1/pages", { parent, properties, ...(children.length ? { children } : {}) })).body;
        return pageOut(page);
      },
    }),
    defineTool({
      name: "notion_update_page",
      description:
        "Change a page's title or property values, or archive (move to trash) / restore it with archived. Only the given properties change. Archiving removes the page from search and its database views.",
      input: z.object({
        page_id: idArg("Page"),
        title: z.string().max(2000).optional().describe("New title"),
        properties: propertiesInput.optional(),
        archived: z.boolean().optional().describe("true moves the page to the trash; false restores it"),
      }),
      annotations: { title: "Update page", readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const id = notionId(a.page_id);
        if (a.title === undefined && !Object.keys(a.properties ?? {}).length && a.archived === undefined) {
          throw toolError("invalid_arguments", "Nothing to change: give title, properties or archived.");
        }
        let properties: Dict | undefined;
        if (a.title !== undefined || hasSimple(a.properties)) {
          // Simple values need the property types, which the page itself carries.
          const current = await getBody<NPage>(http, idPath("pages", id));
          const types = new Map(Object.entries(current.properties).map(([name, v]) => [name, v.type]));
          properties = convertProperties(a.properties, types);
          if (a.title !== undefined) {
            const titleName = [...types].find(([, t]) => t === "title")?.[0] ?? "title";
            properties[titleName] = { title: richText(a.title) };
          }
        } else if (a.properties && Object.keys(a.properties).length) {
          properties = a.properties as Dict;
        }
        const page = (await http.patch<NPage>(idPath("pages", id), { ...(properties ? { properties } : {}), ...(a.archived !== undefined ? { archived: a.archived } : {}) })).body;
        return pageOut(page);
      },
    }),
    defineTool({
      name: "notion_append_blocks",
      description:
        "Add content to the end of a page (or inside a block, or after one of its blocks): paragraphs, headings, bulleted/numbered items, to-dos, quotes, code and dividers, given as markdown-ish text and/or a list of blocks.",
      input: z.object({
        block_id: idArg("Page or block"),
        content: contentArg.optional(),
        blocks: z.array(blockSpec).max(MAX_CHILDREN).optional().describe("Blocks to add after those from content, in order"),
        after: z.string().min(1).max(200).optional().describe("Insert after this child block id instead of at the end"),
      }),
      annotations: { title: "Append content", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const children = childrenFrom(a.content, a.blocks);
        if (!children.length) throw toolError("invalid_arguments", "Nothing to add: give content or blocks.");
        const res = await http.patch<NList<NBlock>>(idPath("blocks", notionId(a.block_id), "children"), {
          children,
          ...(a.after ? { after: notionId(a.after) } : {}),
        });
        return { blocks: res.body.results.map(blockOut) };
      },
    }),
    defineTool({
      name: "notion_query_database",
      description:
        "List the rows of a Notion database, optionally filtered and sorted with Notion's filter/sort objects. Each row comes with its column values as plain values.",
      input: z.object({
        database_id: idArg("Database"),
        filter: z
          .record(z.string(), z.unknown())
          .optional()
          .describe(
            'A Notion filter object, e.g. {"property":"Done","checkbox":{"equals":false}}, {"property":"Status","status":{"equals":"In progress"}}, {"property":"Due","date":{"before":"2026-05-01"}}, or {"and":[…]} / {"or":[…]} of those. The condition key must match the column type (see notion_get_database).',
          ),
        sorts: z
          .array(
            z.union([
              z.object({ property: z.string().min(1).max(200), direction: z.enum(["ascending", "descending"]).default("ascending") }),
              z.object({ timestamp: z.enum(["created_time", "last_edited_time"]), direction: z.enum(["ascending", "descending"]).default("descending") }),
            ]),
          )
          .max(10)
          .optional()
          .describe("Sort by columns ({property, direction}) or timestamps ({timestamp, direction}), first one first"),
        ...cursorArgs(100, 50),
      }),
      annotations: { title: "Query database", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.post<NList<NPage>>(idPath("databases", notionId(a.database_id), "query"), {
          filter: a.filter,
          sorts: a.sorts,
          start_cursor: a.start_cursor,
          page_size: a.page_size,
        });
        return { results: res.body.results.map(pageOut), next_cursor: res.body.next_cursor, has_more: res.body.has_more };
      },
    }),
    defineTool({
      name: "notion_get_database",
      description: "Get a Notion database's title and columns (name, type, and the options of select/status/multi_select columns). Read it before filtering or writing rows.",
      input: z.object({ database_id: idArg("Database") }),
      annotations: { title: "Get database", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => databaseOut(await getBody<NDatabase>(http, idPath("databases", notionId(a.database_id)))),
    }),
    defineTool({
      name: "notion_get_self",
      description: "Get the Notion integration (bot user) this connection uses, its workspace, and the person who connected it.",
      input: z.object({}),
      annotations: { title: "Who am I on Notion", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (_a, { http }) => {
        const me = (await http.get<NUser>("/v1/users/me")).body;
        const owner = me.bot?.owner;
        return {
          id: me.id,
          name: me.name ?? null,
          type: me.type ?? null,
          workspace_name: me.bot?.workspace_name ?? null,
          owner:
            owner?.type === "user"
              ? { type: "user", id: owner.user?.id ?? null, name: owner.user?.name ?? null, email: owner.user?.person?.email ?? null }
              : owner
                ? { type: owner.type }
                : null,
        };
      },
    }),
  ],
});
