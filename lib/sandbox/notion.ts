import { SandboxRouter, bearer, defaultAuthorize, json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows https://developers.notion.com/reference at Notion-Version 2022-06-28 for the endpoints
// the Notion connector uses: users/me, search, pages, block children, databases and their query.
// Error bodies are Notion's `{ object: "error", status, code, message, request_id }`. Where the
// exact wording of a Notion validation message is not documented, the message follows the style
// of the ones that are ("body failed validation: body.x should be …, instead was `…`.").

type Dict = Record<string, unknown>;
type Annotations = { bold: boolean; italic: boolean; strikethrough: boolean; underline: boolean; code: boolean; color: string };
type RichText = { type: "text"; text: { content: string; link: { url: string } | null }; annotations: Annotations; plain_text: string; href: string | null };
type UserRef = { object: "user"; id: string };
type Parent = { type: "workspace"; workspace: true } | { type: "page_id"; page_id: string } | { type: "database_id"; database_id: string } | { type: "block_id"; block_id: string };
type PropValue = { id: string; type: string } & Dict;
type PropSchema = { id: string; name: string; type: string } & Dict;
type Option = { id: string; name: string; color: string };
type Meta = { id: string; created_time: string; last_edited_time: string; created_by: UserRef; last_edited_by: UserRef; archived: boolean; in_trash: boolean };
type Page = Meta & { object: "page"; cover: null; icon: { type: "emoji"; emoji: string } | null; parent: Parent; properties: Record<string, PropValue> };
type Database = Meta & {
  object: "database";
  cover: null;
  icon: { type: "emoji"; emoji: string } | null;
  title: RichText[];
  description: RichText[];
  parent: Parent;
  is_inline: boolean;
  properties: Record<string, PropSchema>;
};
type Block = Meta & { object: "block"; parent: Parent; has_children: boolean; type: string } & Dict;
type BlockDraft = { type: string; data: Dict; children: BlockDraft[] };

class NotionFail extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
const invalid = (message: string): never => {
  throw new NotionFail(400, "validation_error", message);
};
const notFound = (kind: "page" | "database" | "block", id: string): never => {
  throw new NotionFail(404, "object_not_found", `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`);
};
const archivedEdit = (): never => invalid("Can't edit block that is archived. You must unarchive the block before editing.");

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? "undefined" : JSON.stringify(v));
const hex = (id: string) => id.replace(/-/g, "");
/** Notion takes ids with or without dashes; answers always carry the dashed form. */
const norm = (raw: string): string | null => {
  const h = raw.replace(/-/g, "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(h) ? `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` : null;
};
/** Notion's timestamps are rounded to the minute. */
const now = () => {
  const d = new Date();
  d.setUTCSeconds(0, 0);
  return d.toISOString();
};

const defaultAnnotations: Annotations = { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: "default" };
const rt = (content: string, link: string | null = null): RichText => ({
  type: "text",
  text: { content, link: link ? { url: link } : null },
  annotations: { ...defaultAnnotations },
  plain_text: content,
  href: link,
});
const plain = (v: unknown) => (Array.isArray(v) ? (v as RichText[]).map((r) => r.plain_text).join("") : "");

/** Deterministic ids (UUID v4 layout) so a reset sandbox hands out the same ids again. */
function idMaker(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const h = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
    h[12] = "4";
    h[16] = "89ab"[Math.floor(next() * 4)]!;
    return norm(h.join(""))!;
  };
}

const titleSlug = (title: string) =>
  title
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
const pageUrl = (p: Page) => {
  const slug = titleSlug(plain(Object.values(p.properties).find((v) => v.type === "title")?.title));
  return `https://www.notion.so/${slug ? `${slug}-` : ""}${hex(p.id)}`;
};
const pageJson = (p: Page) => ({ ...p, url: pageUrl(p), public_url: null });
const dbJson = (d: Database) => ({ ...d, url: `https://www.notion.so/${hex(d.id)}`, public_url: null });
const pageTitle = (p: Page) => plain(Object.values(p.properties).find((v) => v.type === "title")?.title);

// ---- Seed ----------------------------------------------------------------------------------

const CODE_LANGUAGES = new Set(
  "abap,arduino,bash,basic,c,clojure,coffeescript,c++,c#,css,dart,diff,docker,elixir,elm,erlang,flow,fortran,f#,gherkin,glsl,go,graphql,groovy,haskell,html,java,javascript,json,julia,kotlin,latex,less,lisp,livescript,lua,makefile,markdown,markup,matlab,mermaid,nix,objective-c,ocaml,pascal,perl,php,plain text,powershell,prolog,protobuf,python,r,reason,ruby,rust,sass,scala,scheme,scss,shell,sql,swift,typescript,vb.net,verilog,vhdl,visual basic,webassembly,xml,yaml,java/c/c++/c#".split(
    ",",
  ),
);
const TEXT_BLOCKS = new Set(["paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout", "code"]);
const SUPPORTED_BLOCKS = [...TEXT_BLOCKS, "divider"];
const PARENT_BLOCKS = new Set(["paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout"]);

function seed() {
  const newId = idMaker(0x6e6f7469);
  const owner = { object: "user" as const, id: "3b9d7e12-4c6a-4f8e-a1b2-c3d4e5f60718", name: "Ada Lovelace", avatar_url: null, type: "person" as const, person: { email: "ada@acme-labs.example" } };
  const bot = {
    object: "user" as const,
    id: "8f3c2a71-5b4e-4d2a-9c1f-0e6b7d8a9c10",
    name: "Latchkey",
    avatar_url: null,
    type: "bot" as const,
    bot: { owner: { type: "user" as const, user: owner }, workspace_name: "Acme Labs" },
  };
  const ada: UserRef = { object: "user", id: owner.id };
  const meta = (id: string, created: string, edited: string): Meta => ({ id, created_time: created, last_edited_time: edited, created_by: ada, last_edited_by: ada, archived: false, in_trash: false });

  const wikiId = "1a7e4c2b-9d3f-4e6a-8b5c-2f1d0e9a8b7c";
  const handbookId = "5c2d8e9f-1a3b-4c7d-9e2f-6a8b0c1d2e3f";
  const tasksId = "9e4b1d7c-3a2f-4b8e-8d6c-1f0a2b3c4d5e";
  const titleProp = (s: string): PropValue => ({ id: "title", type: "title", title: [rt(s)] });

  const pages = new Map<string, Page>();
  const databases = new Map<string, Database>();
  const blocks = new Map<string, Block>();
  const children = new Map<string, string[]>();

  pages.set(wikiId, {
    object: "page",
    ...meta(wikiId, "2026-01-12T09:00:00.000Z", "2026-03-02T16:40:00.000Z"),
    cover: null,
    icon: { type: "emoji", emoji: "📘" },
    parent: { type: "workspace", workspace: true },
    properties: { title: titleProp("Team Wiki") },
  });
  pages.set(handbookId, {
    object: "page",
    ...meta(handbookId, "2026-01-12T09:30:00.000Z", "2026-02-18T11:20:00.000Z"),
    cover: null,
    icon: { type: "emoji", emoji: "🛠️" },
    parent: { type: "page_id", page_id: wikiId },
    properties: { title: titleProp("Engineering Handbook") },
  });

  const status = { notStarted: "b3f1c2d4-6e7a-4b8c-9d0e-1f2a3b4c5d6e", inProgress: "c4a2d3e5-7f8b-4c9d-8e1f-2a3b4c5d6e7f", done: "d5b3e4f6-8a9c-4dae-9f20-3b4c5d6e7f80" };
  databases.set(tasksId, {
    object: "database",
    ...meta(tasksId, "2026-01-15T10:00:00.000Z", "2026-03-01T08:05:00.000Z"),
    cover: null,
    icon: { type: "emoji", emoji: "✅" },
    title: [rt("Tasks")],
    description: [rt("What the team is working on this quarter.")],
    parent: { type: "page_id", page_id: wikiId },
    is_inline: false,
    properties: {
      Name: { id: "title", name: "Name", type: "title", title: {} },
      Status: {
        id: "Z%3ClQ",
        name: "Status",
        type: "status",
        status: {
          options: [
            { id: status.notStarted, name: "Not started", color: "default" },
            { id: status.inProgress, name: "In progress", color: "blue" },
            { id: status.done, name: "Done", color: "green" },
          ],
          groups: [
            { id: "e6c4f5a7-9bad-4ebf-a031-4c5d6e7f8091", name: "To-do", color: "gray", option_ids: [status.notStarted] },
            { id: "f7d5a6b8-acbe-4fc0-b142-5d6e7f8091a2", name: "In progress", color: "blue", option_ids: [status.inProgress] },
            { id: "a8e6b7c9-bdcf-4ad1-8253-6e7f8091a2b3", name: "Complete", color: "green", option_ids: [status.done] },
          ],
        },
      },
      Due: { id: "M%3BBw", name: "Due", type: "date", date: {} },
      Done: { id: "%3DyP%5E", name: "Done", type: "checkbox", checkbox: {} },
    },
  });
  const rows: [string, string, keyof typeof status, string, boolean, string, string][] = [
    ["2d6f8a1c-7b3e-4a9d-b2c1-0e5f7a9c1d01", "Draft Q2 roadmap", "inProgress", "2026-04-10", false, "2026-02-02T10:00:00.000Z", "2026-02-27T15:30:00.000Z"],
    ["2d6f8a1c-7b3e-4a9d-b2c1-0e5f7a9c1d02", "Renew SSL certificates", "done", "2026-03-15", true, "2026-02-03T09:10:00.000Z", "2026-02-26T12:00:00.000Z"],
    ["2d6f8a1c-7b3e-4a9d-b2c1-0e5f7a9c1d03", "Migrate wiki to new template", "notStarted", "2026-04-20", false, "2026-02-05T14:20:00.000Z", "2026-02-20T09:45:00.000Z"],
    ["2d6f8a1c-7b3e-4a9d-b2c1-0e5f7a9c1d04", "Plan team offsite", "notStarted", "2026-05-02", false, "2026-02-10T11:00:00.000Z", "2026-02-25T17:10:00.000Z"],
  ];
  const statusOpts = (databases.get(tasksId)!.properties.Status!.status as { options: Option[] }).options;
  for (const [id, name, st, due, done, created, edited] of rows) {
    pages.set(id, {
      object: "page",
      ...meta(id, created, edited),
      cover: null,
      icon: null,
      parent: { type: "database_id", database_id: tasksId },
      properties: {
        Name: titleProp(name),
        Status: { id: "Z%3ClQ", type: "status", status: { ...statusOpts.find((o) => o.id === status[st])! } },
        Due: { id: "M%3BBw", type: "date", date: { start: due, end: null, time_zone: null } },
        Done: { id: "%3DyP%5E", type: "checkbox", checkbox: done },
      },
    });
  }

  const addBlocks = (pageId: string, created: string, list: ([string, Dict] | string)[]) => {
    const ids: string[] = [];
    list.forEach((entry, i) => {
      if (typeof entry === "string") {
        ids.push(entry); // a child page or database
        return;
      }
      const [type, data] = entry;
      const id = `${hex(pageId).slice(0, 8)}-b10c-4${String(i).padStart(3, "0")}-8000-${hex(pageId).slice(20)}`;
      blocks.set(id, { object: "block", ...meta(id, created, created), parent: { type: "page_id", page_id: pageId }, has_children: false, type, [type]: data });
      ids.push(id);
    });
    children.set(pageId, ids);
  };
  const text = (s: string, extra: Dict = {}) => ({ rich_text: [rt(s)], color: "default", ...extra });
  addBlocks(wikiId, "2026-01-12T09:00:00.000Z", [
    ["heading_1", text("Welcome to the Team Wiki", { is_toggleable: false })],
    ["paragraph", text("This is the home for how Acme Labs works: processes, onboarding notes and the team's task list.")],
    ["heading_2", text("Onboarding checklist", { is_toggleable: false })],
    ["to_do", text("Set up your laptop and SSO", { checked: true })],
    ["to_do", text("Read the Engineering Handbook", { checked: false })],
    ["bulleted_list_item", text("Ask questions in #team-help")],
    handbookId,
    tasksId,
  ]);
  addBlocks(handbookId, "2026-01-12T09:30:00.000Z", [
    ["paragraph", text("We ship small, reviewed changes and keep main deployable.")],
    ["heading_2", text("Code review", { is_toggleable: false })],
    ["bulleted_list_item", text("Every change needs one approving review.")],
    ["bulleted_list_item", text("Keep pull requests under 400 lines where possible.")],
    ["code", { rich_text: [rt("npm run lint && npm test")], caption: [], language: "shell" }],
  ]);
  return { bot, pages, databases, blocks, children, newId };
}

// ---- Request validation helpers ------------------------------------------------------------

function richTextIn(x: unknown, path: string): RichText[] {
  if (!Array.isArray(x)) return invalid(`body failed validation: ${path} should be an array, instead was \`${show(x)}\`.`);
  if (x.length > 100) invalid(`body failed validation: ${path}.length should be ≤ \`100\`, instead was \`${x.length}\`.`);
  return x.map((item, i) => {
    const p = `${path}[${i}]`;
    if (!isDict(item)) return invalid(`body failed validation: ${p} should be an object, instead was \`${show(item)}\`.`);
    if (!isDict(item.text)) return invalid(`body failed validation: ${p}.text should be defined, instead was \`${show(item.text)}\`.`);
    const content = item.text.content;
    if (typeof content !== "string") return invalid(`body failed validation: ${p}.text.content should be a string, instead was \`${show(content)}\`.`);
    if (content.length > 2000) invalid(`body failed validation: ${p}.text.content.length should be ≤ \`2000\`, instead was \`${content.length}\`.`);
    const link = isDict(item.text.link) && typeof item.text.link.url === "string" ? item.text.link.url : null;
    const out = rt(content, link);
    if (isDict(item.annotations)) out.annotations = { ...defaultAnnotations, ...(item.annotations as Partial<Annotations>) };
    return out;
  });
}

function blocksIn(x: unknown, path: string, depth = 0): BlockDraft[] {
  if (!Array.isArray(x)) return invalid(`body failed validation: ${path} should be an array, instead was \`${show(x)}\`.`);
  if (x.length > 100) invalid(`body failed validation: ${path}.length should be ≤ \`100\`, instead was \`${x.length}\`.`);
  return x.map((item, i) => {
    const p = `${path}[${i}]`;
    if (!isDict(item)) return invalid(`body failed validation: ${p} should be an object, instead was \`${show(item)}\`.`);
    const type = typeof item.type === "string" ? item.type : SUPPORTED_BLOCKS.find((t) => t in item);
    if (!type || !SUPPORTED_BLOCKS.includes(type)) {
      return invalid(`body failed validation: ${p}.type should be one of ${SUPPORTED_BLOCKS.map((t) => `\`"${t}"\``).join(", ")}, instead was \`${show(item.type)}\`.`);
    }
    const raw = item[type];
    if (!isDict(raw)) return invalid(`body failed validation: ${p}.${type} should be defined, instead was \`${show(raw)}\`.`);
    const data: Dict = {};
    if (TEXT_BLOCKS.has(type)) {
      data.rich_text = richTextIn(raw.rich_text, `${p}.${type}.rich_text`);
      data.color = typeof raw.color === "string" ? raw.color : "default";
    }
    if (type.startsWith("heading_")) data.is_toggleable = raw.is_toggleable === true;
    if (type === "to_do") {
      if (raw.checked !== undefined && typeof raw.checked !== "boolean") invalid(`body failed validation: ${p}.to_do.checked should be a boolean, instead was \`${show(raw.checked)}\`.`);
      data.checked = raw.checked === true;
    }
    if (type === "code") {
      if (typeof raw.language !== "string" || !CODE_LANGUAGES.has(raw.language)) {
        invalid(`body failed validation: ${p}.code.language should be a language Notion supports (e.g. \`"plain text"\`, \`"typescript"\`), instead was \`${show(raw.language)}\`.`);
      }
      data.language = raw.language;
      data.caption = raw.caption === undefined ? [] : richTextIn(raw.caption, `${p}.code.caption`);
    }
    if (type === "callout") data.icon = isDict(raw.icon) ? raw.icon : { type: "emoji", emoji: "💡" };
    let kids: BlockDraft[] = [];
    if (raw.children !== undefined) {
      // Notion accepts two levels of nesting in one request.
      if (depth >= 1) invalid(`body failed validation: ${p}.${type}.children should be not present, instead was \`[…]\`.`);
      if (!PARENT_BLOCKS.has(type) && !(type.startsWith("heading_") && data.is_toggleable)) invalid(`Block type ${type} does not support children.`);
      kids = blocksIn(raw.children, `${p}.${type}.children`, depth + 1);
    }
    return { type, data, children: kids };
  });
}

function pageSizeOf(v: unknown, where: "body" | "query"): number {
  if (v === undefined || v === null) return 100;
  const n = where === "query" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) return invalid(`${where} failed validation: ${where}.page_size should be a number or \`undefined\`, instead was \`${show(v)}\`.`);
  if (n > 100) invalid(`${where} failed validation: ${where}.page_size should be ≤ \`100\`, instead was \`${n}\`.`);
  if (n < 1) invalid(`${where} failed validation: ${where}.page_size should be ≥ \`1\`, instead was \`${n}\`.`);
  return n;
}

/** Notion's cursor pagination: next_cursor is the id of the first result of the next page. */
function paginate<T extends { id: string }>(items: T[], cursor: unknown, size: number, where: "body" | "query") {
  let start = 0;
  if (cursor !== undefined && cursor !== null) {
    if (typeof cursor !== "string") invalid(`${where} failed validation: ${where}.start_cursor should be a string or \`undefined\`, instead was \`${show(cursor)}\`.`);
    const id = norm(cursor as string);
    start = id ? items.findIndex((i) => i.id === id) : -1;
    // Notion's cursors are opaque; an unknown one is refused rather than silently restarting.
    if (start < 0) invalid(`The start_cursor provided is invalid: ${String(cursor)}`);
  }
  const results = items.slice(start, start + size);
  const next = items[start + size];
  return { object: "list" as const, results, next_cursor: next?.id ?? null, has_more: Boolean(next) };
}

const findSchema = (props: Record<string, PropSchema>, key: string) => {
  const all = Object.values(props);
  return all.find((s) => s.name === key) ?? all.find((s) => s.id === key || decodeURIComponent(s.id) === key) ?? null;
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const validDate = (v: unknown): v is string => typeof v === "string" && ISO_DATE.test(v) && Number.isFinite(Date.parse(v));

/** A database property value from a request, checked against the column; select/multi-select grow new options like Notion's do. */
function valueIn(s: PropSchema, v: unknown, path: string, newOptionId: () => string): PropValue {
  if (!isDict(v)) return invalid(`body failed validation: ${path} should be an object, instead was \`${show(v)}\`.`);
  if (!(s.type in v)) return invalid(`${s.name} is expected to be ${s.type}.`);
  const x = v[s.type];
  const p = `${path}.${s.type}`;
  const out = (value: unknown): PropValue => ({ id: s.id, type: s.type, [s.type]: value });
  const options = (): Option[] => ((s[s.type] as { options?: Option[] }).options ??= []);
  const option = (o: unknown, op: string, create: boolean): Option => {
    if (!isDict(o) || (typeof o.name !== "string" && typeof o.id !== "string")) return invalid(`body failed validation: ${op}.name should be defined, instead was \`undefined\`.`);
    const found = options().find((opt) => (typeof o.id === "string" ? opt.id === o.id : opt.name === o.name));
    if (found) return { ...found };
    if (!create || typeof o.name !== "string") return invalid(`Invalid ${s.type} option. ${s.type === "status" ? "Status" : "Select"} option "${String(o.name ?? o.id)}" does not exist.`);
    if (o.name.includes(",")) invalid(`Invalid ${s.type} option. Option names can't contain commas.`);
    const created = { id: newOptionId(), name: o.name, color: "default" };
    options().push(created);
    return { ...created };
  };
  switch (s.type) {
    case "title":
    case "rich_text":
      return out(richTextIn(x, p));
    case "number":
      if (x !== null && (typeof x !== "number" || !Number.isFinite(x))) invalid(`body failed validation: ${p} should be a number or \`null\`, instead was \`${show(x)}\`.`);
      return out(x);
    case "checkbox":
      if (typeof x !== "boolean") invalid(`body failed validation: ${p} should be a boolean, instead was \`${show(x)}\`.`);
      return out(x);
    case "url":
    case "email":
    case "phone_number":
      if (x !== null && typeof x !== "string") invalid(`body failed validation: ${p} should be a string or \`null\`, instead was \`${show(x)}\`.`);
      return out(x);
    case "select":
      return out(x === null ? null : option(x, p, true));
    case "status":
      return out(option(x, p, false));
    case "multi_select":
      if (!Array.isArray(x)) return invalid(`body failed validation: ${p} should be an array, instead was \`${show(x)}\`.`);
      return out(x.map((o, i) => option(o, `${p}[${i}]`, true)));
    case "date": {
      if (x === null) return out(null);
      if (!isDict(x)) return invalid(`body failed validation: ${p} should be an object or \`null\`, instead was \`${show(x)}\`.`);
      if (!validDate(x.start)) invalid(`body failed validation: ${p}.start should be a valid ISO 8601 date string, instead was \`${show(x.start)}\`.`);
      if (x.end !== undefined && x.end !== null && !validDate(x.end)) invalid(`body failed validation: ${p}.end should be a valid ISO 8601 date string, instead was \`${show(x.end)}\`.`);
      return out({ start: x.start, end: x.end ?? null, time_zone: typeof x.time_zone === "string" ? x.time_zone : null });
    }
    case "relation":
    case "people":
      if (!Array.isArray(x)) return invalid(`body failed validation: ${p} should be an array, instead was \`${show(x)}\`.`);
      return out(
        x.map((r, i) => {
          const id = isDict(r) && typeof r.id === "string" ? norm(r.id) : null;
          if (!id) return invalid(`body failed validation: ${p}[${i}].id should be a valid uuid, instead was \`${show(isDict(r) ? r.id : r)}\`.`);
          return s.type === "people" ? { object: "user", id } : { id };
        }),
      );
    default:
      return invalid(`${s.name} is a ${s.type} property, which cannot be set through the API.`);
  }
}

const emptyValue = (s: PropSchema): PropValue => {
  const empty: Record<string, unknown> = { title: [], rich_text: [], multi_select: [], relation: [], people: [], files: [], checkbox: false };
  if (s.type === "status") {
    const conf = s.status as { options: Option[]; groups: { option_ids: string[] }[] };
    const first = conf.options.find((o) => o.id === conf.groups[0]?.option_ids[0]) ?? conf.options[0];
    return { id: s.id, type: s.type, status: first ? { ...first } : null };
  }
  return { id: s.id, type: s.type, [s.type]: s.type in empty ? empty[s.type] : null };
};

// ---- Database query: filters and sorts -------------------------------------------------------

type Row = Page;
const TEXT_TYPES = new Set(["title", "rich_text", "url", "email", "phone_number"]);
const CONDITIONS: Record<string, string[]> = {
  text: ["equals", "does_not_equal", "contains", "does_not_contain", "starts_with", "ends_with", "is_empty", "is_not_empty"],
  number: ["equals", "does_not_equal", "greater_than", "less_than", "greater_than_or_equal_to", "less_than_or_equal_to", "is_empty", "is_not_empty"],
  checkbox: ["equals", "does_not_equal"],
  select: ["equals", "does_not_equal", "is_empty", "is_not_empty"],
  multi_select: ["contains", "does_not_contain", "is_empty", "is_not_empty"],
  date: ["equals", "before", "after", "on_or_before", "on_or_after", "is_empty", "is_not_empty"],
  relation: ["contains", "does_not_contain", "is_empty", "is_not_empty"],
};
const conditionKind = (type: string) =>
  TEXT_TYPES.has(type) ? "text" : type === "status" ? "select" : type === "people" ? "relation" : type === "created_time" || type === "last_edited_time" ? "date" : type;

function condition(type: string, cond: unknown, path: string): (v: unknown) => boolean {
  const kind = conditionKind(type);
  const allowed = CONDITIONS[kind];
  if (!allowed) return invalid(`body failed validation: ${path} filters on ${type} properties are not supported.`);
  const entries = isDict(cond) ? Object.entries(cond) : [];
  const entry = entries[0];
  if (entries.length !== 1 || !entry || !allowed.includes(entry[0])) {
    return invalid(`body failed validation. Fix one:\n${allowed.map((op) => `${path}.${op} should be defined, instead was \`undefined\`.`).join("\n")}`);
  }
  const [op, arg] = entry;
  const need = (ok: boolean, what: string) => {
    if (!ok) invalid(`body failed validation: ${path}.${op} should be ${what}, instead was \`${show(arg)}\`.`);
  };
  if (op === "is_empty" || op === "is_not_empty") {
    need(arg === true, "`true`");
    const empty = (v: unknown) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
    return op === "is_empty" ? empty : (v) => !empty(v);
  }
  switch (kind) {
    case "text": {
      need(typeof arg === "string", "a string");
      const a = String(arg).toLowerCase();
      const s = (v: unknown) => String(v ?? "").toLowerCase();
      return {
        equals: (v: unknown) => s(v) === a,
        does_not_equal: (v: unknown) => s(v) !== a,
        contains: (v: unknown) => s(v).includes(a),
        does_not_contain: (v: unknown) => !s(v).includes(a),
        starts_with: (v: unknown) => s(v).startsWith(a),
        ends_with: (v: unknown) => s(v).endsWith(a),
      }[op]!;
    }
    case "number": {
      need(typeof arg === "number", "a number");
      const a = arg as number;
      const cmp = { equals: (n: number) => n === a, does_not_equal: (n: number) => n !== a, greater_than: (n: number) => n > a, less_than: (n: number) => n < a, greater_than_or_equal_to: (n: number) => n >= a, less_than_or_equal_to: (n: number) => n <= a }[op]!;
      return (v) => (typeof v === "number" ? cmp(v) : op === "does_not_equal");
    }
    case "checkbox":
      need(typeof arg === "boolean", "a boolean");
      return op === "equals" ? (v) => v === arg : (v) => v !== arg;
    case "select":
      need(typeof arg === "string", "a string");
      return op === "equals" ? (v) => v === arg : (v) => v !== arg;
    case "multi_select":
    case "relation": {
      need(typeof arg === "string", "a string");
      const a = kind === "relation" ? (norm(String(arg)) ?? String(arg)) : arg;
      const has = (v: unknown) => Array.isArray(v) && v.includes(a);
      return op === "contains" ? has : (v) => !has(v);
    }
    case "date": {
      need(validDate(arg), "a valid ISO 8601 date string");
      const a = Date.parse(arg as string);
      const day = (arg as string).slice(0, 10);
      const t = (v: unknown) => (typeof v === "string" ? Date.parse(v) : NaN);
      return {
        equals: (v: unknown) => typeof v === "string" && v.slice(0, 10) === day,
        before: (v: unknown) => t(v) < a,
        after: (v: unknown) => t(v) > a,
        on_or_before: (v: unknown) => t(v) <= a,
        on_or_after: (v: unknown) => t(v) >= a,
      }[op]!;
    }
    default:
      return invalid(`body failed validation: ${path} is not supported.`);
  }
}

/** The comparable value of a property for filters and sorts. */
function comparable(v: PropValue | undefined): unknown {
  if (!v) return null;
  const x = v[v.type];
  switch (v.type) {
    case "title":
    case "rich_text":
      return plain(x);
    case "select":
    case "status":
      return isDict(x) ? x.name : null;
    case "multi_select":
      return Array.isArray(x) ? x.map((o: Dict) => o.name) : [];
    case "relation":
    case "people":
      return Array.isArray(x) ? x.map((o: Dict) => o.id) : [];
    case "date":
      return isDict(x) ? x.start : null;
    default:
      return x ?? null;
  }
}

function compileFilter(f: unknown, db: Database, path: string, depth = 0): (r: Row) => boolean {
  if (!isDict(f)) return invalid(`body failed validation: ${path} should be an object, instead was \`${show(f)}\`.`);
  for (const key of ["and", "or"] as const) {
    if (!(key in f)) continue;
    const list = f[key];
    if (!Array.isArray(list)) return invalid(`body failed validation: ${path}.${key} should be an array, instead was \`${show(list)}\`.`);
    if (depth >= 2) invalid(`body failed validation: ${path}.${key} is nested too deeply (Notion allows two levels of compound filters).`);
    const fns = list.map((x, i) => compileFilter(x, db, `${path}.${key}[${i}]`, depth + 1));
    return key === "and" ? (r) => fns.every((fn) => fn(r)) : (r) => fns.some((fn) => fn(r));
  }
  if (typeof f.timestamp === "string") {
    const ts = f.timestamp;
    if (ts !== "created_time" && ts !== "last_edited_time") return invalid(`body failed validation: ${path}.timestamp should be \`"created_time"\` or \`"last_edited_time"\`, instead was \`${show(ts)}\`.`);
    const test = condition(ts, f[ts], `${path}.${ts}`);
    return (r) => test(r[ts]);
  }
  if (typeof f.property === "string") {
    const s = findSchema(db.properties, f.property) ?? invalid(`Could not find property with name or id: ${f.property}`);
    const key = Object.keys(f).find((k) => k !== "property" && k !== "type");
    if (!key) return invalid(`body failed validation: ${path}.${s.type} should be defined, instead was \`undefined\`.`);
    if (key !== s.type) return invalid(`database property ${s.type} does not match filter ${key}`);
    const test = condition(s.type, f[key], `${path}.${key}`);
    return (r) => test(comparable(r.properties[s.name]));
  }
  return invalid(`body failed validation: ${path} should be a property filter, a timestamp filter or an "and"/"or" compound filter, instead was \`${show(f)}\`.`);
}

function compileSorts(sorts: unknown, db: Database): ((a: Row, b: Row) => number) | null {
  if (sorts === undefined) return null;
  if (!Array.isArray(sorts)) return invalid(`body failed validation: body.sorts should be an array or \`undefined\`, instead was \`${show(sorts)}\`.`);
  const cmps = sorts.map((s, i) => {
    const p = `body.sorts[${i}]`;
    if (!isDict(s)) return invalid(`body failed validation: ${p} should be an object, instead was \`${show(s)}\`.`);
    const dir = s.direction;
    if (dir !== "ascending" && dir !== "descending") return invalid(`body failed validation: ${p}.direction should be \`"ascending"\` or \`"descending"\`, instead was \`${show(dir)}\`.`);
    let key: (r: Row) => unknown;
    if (typeof s.property === "string") {
      const schema = findSchema(db.properties, s.property) ?? invalid(`Could not find sort property with name or id: ${s.property}`);
      const opts = (schema[schema.type] as { options?: Option[] } | undefined)?.options;
      key = (r) => {
        const v = comparable(r.properties[schema.name]);
        if (opts && typeof v === "string") return opts.findIndex((o) => o.name === v);
        if (schema.type === "date" && typeof v === "string") return Date.parse(v);
        if (Array.isArray(v)) return v[0] ?? null;
        return typeof v === "string" ? v.toLowerCase() : v;
      };
    } else if (s.timestamp === "created_time" || s.timestamp === "last_edited_time") {
      const ts = s.timestamp;
      key = (r) => r[ts];
    } else {
      return invalid(`body failed validation: ${p}.property should be defined, instead was \`undefined\`.`);
    }
    const sign = dir === "ascending" ? 1 : -1;
    return (a: Row, b: Row) => {
      const x = key(a);
      const y = key(b);
      const ex = x === null || x === undefined || x === "";
      const ey = y === null || y === undefined || y === "";
      if (ex || ey) return ex === ey ? 0 : ex ? 1 : -1; // empty values last either way
      return (x! < y! ? -1 : x! > y! ? 1 : 0) * sign;
    };
  });
  return (a, b) => {
    for (const c of cmps) {
      const d = c(a, b);
      if (d) return d;
    }
    return 0;
  };
}

// ---- The backend -------------------------------------------------------------------------------

export function createNotionSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;
  let requestSeq = 0;
  const requestId = () => `${(0x5a000000 + ++requestSeq).toString(16)}-0000-4000-8000-${requestSeq.toString(16).padStart(12, "0")}`;
  const error = (status: number, code: string, message: string, headers?: Record<string, string>) =>
    json(status, { object: "error", status, code, message, request_id: requestId() }, headers);

  const bodyOf = (req: SandboxRequest): Dict => (isDict(req.body) ? req.body : req.body === undefined ? {} : invalid(`body failed validation: body should be an object, instead was \`${show(req.body)}\`.`));
  const pathId = (raw: string, name: string) => norm(raw) ?? invalid(`path failed validation: path.${name} should be a valid uuid, instead was \`${show(raw)}\`.`);
  const botRef = (): UserRef => ({ object: "user", id: state.bot.id });
  const touch = (o: Meta) => {
    o.last_edited_time = now();
    o.last_edited_by = botRef();
  };
  const pageOr404 = (id: string) => {
    const page = state.pages.get(id);
    if (page) return page;
    if (state.databases.has(id)) return invalid(`Provided ID ${id} is a database, not a page. Use the retrieve database API instead, https://developers.notion.com/reference/retrieve-a-database.`);
    return notFound("page", id);
  };
  const databaseOr404 = (id: string) => {
    const db = state.databases.get(id);
    if (db) return db;
    if (state.pages.has(id)) return invalid(`Provided ID ${id} is a page, not a database. Use the retrieve a page API instead, https://developers.notion.com/reference/retrieve-a-page.`);
    return notFound("database", id);
  };
  const kids = (id: string) => state.children.get(id) ?? [];

  /** A child of a page or block as Notion lists it: real blocks, and child_page / child_database blocks for sub-pages. */
  const childBlock = (id: string): Block | null => {
    const block = state.blocks.get(id);
    if (block) return block;
    const page = state.pages.get(id);
    const db = state.databases.get(id);
    const source = page ?? db;
    if (!source) return null;
    const { created_time, last_edited_time, created_by, last_edited_by, archived, in_trash } = source;
    const common = { object: "block" as const, id, parent: source.parent, created_time, last_edited_time, created_by, last_edited_by, archived, in_trash };
    return page
      ? { ...common, has_children: kids(id).length > 0, type: "child_page", child_page: { title: pageTitle(page) } }
      : { ...common, has_children: false, type: "child_database", child_database: { title: plain(db!.title) } };
  };

  const materialize = (drafts: BlockDraft[], parent: Parent, parentId: string, at?: number): Block[] => {
    const created = drafts.map((d) => {
      const id = state.newId();
      const t = now();
      const block: Block = {
        object: "block",
        id,
        parent,
        created_time: t,
        last_edited_time: t,
        created_by: botRef(),
        last_edited_by: botRef(),
        has_children: d.children.length > 0,
        archived: false,
        in_trash: false,
        type: d.type,
        [d.type]: d.type === "divider" ? {} : d.data,
      };
      state.blocks.set(id, block);
      if (d.children.length) materialize(d.children, { type: "block_id", block_id: id }, id);
      return block;
    });
    const list = [...kids(parentId)];
    list.splice(at ?? list.length, 0, ...created.map((b) => b.id));
    state.children.set(parentId, list);
    return created;
  };

  const router = new SandboxRouter()
    .on("GET", "/v1/users/me", () => json(200, state.bot))
    .on("POST", "/v1/search", (req) => {
      const b = bodyOf(req);
      if (b.query !== undefined && typeof b.query !== "string") invalid(`body failed validation: body.query should be a string or \`undefined\`, instead was \`${show(b.query)}\`.`);
      let only: string | null = null;
      if (b.filter !== undefined) {
        const f = b.filter;
        if (!isDict(f)) return invalid(`body failed validation: body.filter should be an object or \`undefined\`, instead was \`${show(f)}\`.`);
        if (f.property !== "object") invalid(`body failed validation: body.filter.property should be \`"object"\`, instead was \`${show(f.property)}\`.`);
        if (f.value !== "page" && f.value !== "database") invalid(`body failed validation: body.filter.value should be \`"page"\` or \`"database"\`, instead was \`${show(f.value)}\`.`);
        only = f.value as string;
      }
      let direction = "descending";
      if (b.sort !== undefined) {
        const s = b.sort;
        if (!isDict(s)) return invalid(`body failed validation: body.sort should be an object or \`undefined\`, instead was \`${show(s)}\`.`);
        if (s.timestamp !== "last_edited_time") invalid(`body failed validation: body.sort.timestamp should be \`"last_edited_time"\`, instead was \`${show(s.timestamp)}\`.`);
        if (s.direction !== "ascending" && s.direction !== "descending") invalid(`body failed validation: body.sort.direction should be \`"ascending"\` or \`"descending"\`, instead was \`${show(s.direction)}\`.`);
        direction = s.direction as string;
      }
      const size = pageSizeOf(b.page_size, "body");
      const terms = String(b.query ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      const titleOf = (o: Page | Database) => (o.object === "page" ? pageTitle(o) : plain(o.title)).toLowerCase();
      const items: (Page | Database)[] = [...state.pages.values(), ...state.databases.values()]
        .filter((o) => !o.archived && (!only || o.object === only))
        .filter((o) => terms.every((t) => titleOf(o).includes(t)))
        // Without a sort Notion orders by relevance; here the most recently edited come first.
        .sort((x, y) => (x.last_edited_time < y.last_edited_time ? 1 : x.last_edited_time > y.last_edited_time ? -1 : 0) * (direction === "ascending" ? -1 : 1));
      const page = paginate(items, b.start_cursor, size, "body");
      const results = page.results.map((o) => (o.object === "page" ? pageJson(o) : dbJson(o)));
      return json(200, { ...page, results, type: "page_or_database", page_or_database: {} });
    })
    .on("GET", "/v1/pages/:id", (_req, p) => json(200, pageJson(pageOr404(pathId(p.id!, "page_id")))))
    .on("POST", "/v1/pages", (req) => {
      const b = bodyOf(req);
      const parentIn = b.parent;
      if (!isDict(parentIn)) return invalid(`body failed validation: body.parent should be defined, instead was \`${show(parentIn)}\`.`);
      let parent: Parent;
      let schema: Record<string, PropSchema>;
      let parentPage: Page | null = null;
      if (parentIn.page_id !== undefined) {
        const id = norm(String(parentIn.page_id)) ?? invalid(`body failed validation: body.parent.page_id should be a valid uuid, instead was \`${show(parentIn.page_id)}\`.`);
        parentPage = state.pages.get(id) ?? notFound("page", id);
        if (parentPage.archived) archivedEdit();
        parent = { type: "page_id", page_id: id };
        schema = { title: { id: "title", name: "title", type: "title", title: {} } };
      } else if (parentIn.database_id !== undefined) {
        const id = norm(String(parentIn.database_id)) ?? invalid(`body failed validation: body.parent.database_id should be a valid uuid, instead was \`${show(parentIn.database_id)}\`.`);
        const db = state.databases.get(id) ?? notFound("database", id);
        if (db.archived) archivedEdit();
        parent = { type: "database_id", database_id: id };
        schema = db.properties;
      } else {
        return invalid(
          "body failed validation. Fix one:\nbody.parent.page_id should be defined, instead was `undefined`.\nbody.parent.database_id should be defined, instead was `undefined`.",
        );
      }
      if (!isDict(b.properties)) return invalid(`body failed validation: body.properties should be defined, instead was \`${show(b.properties)}\`.`);
      const given: Record<string, PropValue> = {};
      for (const [key, v] of Object.entries(b.properties)) {
        const s = findSchema(schema, key) ?? invalid(`${key} is not a property that exists.`);
        given[s.name] = valueIn(s, v, `body.properties.${key}`, state.newId);
      }
      const drafts = b.children === undefined ? [] : blocksIn(b.children, "body.children");
      const id = state.newId();
      const t = now();
      const page: Page = {
        object: "page",
        id,
        created_time: t,
        last_edited_time: t,
        created_by: botRef(),
        last_edited_by: botRef(),
        archived: false,
        in_trash: false,
        cover: null,
        icon: isDict(b.icon) && b.icon.type === "emoji" && typeof b.icon.emoji === "string" ? { type: "emoji", emoji: b.icon.emoji } : null,
        parent,
        properties: Object.fromEntries(Object.values(schema).map((s) => [s.name, given[s.name] ?? emptyValue(s)])),
      };
      state.pages.set(id, page);
      if (parentPage) {
        state.children.set(parentPage.id, [...kids(parentPage.id), id]);
        touch(parentPage);
      }
      if (drafts.length) materialize(drafts, { type: "page_id", page_id: id }, id);
      return json(200, pageJson(page));
    })
    .on("PATCH", "/v1/pages/:id", (req, p) => {
      const page = pageOr404(pathId(p.id!, "page_id"));
      const b = bodyOf(req);
      for (const k of ["archived", "in_trash"] as const) {
        if (b[k] !== undefined && typeof b[k] !== "boolean") invalid(`body failed validation: body.${k} should be a boolean or \`undefined\`, instead was \`${show(b[k])}\`.`);
      }
      const trash = (b.archived ?? b.in_trash) as boolean | undefined;
      if (page.archived && trash !== false) archivedEdit();
      if (b.properties !== undefined) {
        if (!isDict(b.properties)) return invalid(`body failed validation: body.properties should be an object or \`undefined\`, instead was \`${show(b.properties)}\`.`);
        const schema =
          page.parent.type === "database_id"
            ? (state.databases.get(page.parent.database_id)?.properties ?? {})
            : { title: { id: "title", name: "title", type: "title", title: {} } as PropSchema };
        const changes: Record<string, PropValue> = {};
        for (const [key, v] of Object.entries(b.properties)) {
          const s = findSchema(schema, key) ?? invalid(`${key} is not a property that exists.`);
          changes[s.name] = valueIn(s, v, `body.properties.${key}`, state.newId);
        }
        Object.assign(page.properties, changes);
      }
      if (trash !== undefined) {
        page.archived = trash;
        page.in_trash = trash;
      }
      touch(page);
      return json(200, pageJson(page));
    })
    .on("GET", "/v1/blocks/:id/children", (req, p) => {
      const id = pathId(p.id!, "block_id");
      if (!state.pages.has(id) && !state.blocks.has(id) && !state.databases.has(id)) notFound("block", id);
      const size = pageSizeOf(req.query.get("page_size") ?? undefined, "query");
      const items = kids(id)
        .map(childBlock)
        .filter((b): b is Block => b !== null && !b.archived);
      return json(200, { ...paginate(items, req.query.get("start_cursor") ?? undefined, size, "query"), type: "block", block: {} });
    })
    .on("PATCH", "/v1/blocks/:id/children", (req, p) => {
      const id = pathId(p.id!, "block_id");
      const page = state.pages.get(id);
      const block = state.blocks.get(id);
      if (!page && !block) {
        if (state.databases.has(id)) invalid("Block type child_database does not support children.");
        notFound("block", id);
      }
      const target = (page ?? block)!;
      if (target.archived) archivedEdit();
      if (block && !PARENT_BLOCKS.has(block.type) && !(block.type.startsWith("heading_") && (block[block.type] as Dict).is_toggleable)) {
        invalid(`Block type ${block.type} does not support children.`);
      }
      const b = bodyOf(req);
      if (b.children === undefined) return invalid("body failed validation: body.children should be defined, instead was `undefined`.");
      const drafts = blocksIn(b.children, "body.children");
      let at: number | undefined;
      if (b.after !== undefined) {
        const after = typeof b.after === "string" ? norm(b.after) : null;
        if (!after) return invalid(`body failed validation: body.after should be a valid uuid, instead was \`${show(b.after)}\`.`);
        const idx = kids(id).indexOf(after);
        if (idx < 0) return invalid(`Block ${after} is not a child of ${id}; "after" must name one of its children.`);
        at = idx + 1;
      }
      const created = materialize(drafts, page ? { type: "page_id", page_id: id } : { type: "block_id", block_id: id }, id, at);
      if (block) block.has_children = true;
      touch(target);
      return json(200, { object: "list", results: created, next_cursor: null, has_more: false, type: "block", block: {} });
    })
    .on("GET", "/v1/databases/:id", (_req, p) => json(200, dbJson(databaseOr404(pathId(p.id!, "database_id")))))
    .on("POST", "/v1/databases/:id/query", (req, p) => {
      const db = databaseOr404(pathId(p.id!, "database_id"));
      const b = bodyOf(req);
      const test = b.filter === undefined ? null : compileFilter(b.filter, db, "body.filter");
      const sort = compileSorts(b.sorts, db);
      const size = pageSizeOf(b.page_size, "body");
      // Unsorted rows come in creation order (Notion documents no default order for unsorted queries).
      let rows = [...state.pages.values()].filter((r) => r.parent.type === "database_id" && r.parent.database_id === db.id && !r.archived);
      if (test) rows = rows.filter(test);
      if (sort) rows.sort(sort);
      const page = paginate(rows, b.start_cursor, size, "body");
      return json(200, { ...page, results: page.results.map(pageJson), type: "page_or_database", page_or_database: {} });
    });

  return {
    slug: "notion",
    reset: () => {
      state = seed();
    },
    async handle(req): Promise<SandboxResponse> {
      try {
        const token = bearer(req);
        if (!token || !(await authorize(token, req))) return error(401, "unauthorized", "API token is invalid.");
        const version = req.headers["notion-version"];
        if (!version) return error(400, "missing_version", "Notion-Version header failed validation: Notion-Version should be defined, instead was `undefined`.");
        // The sandbox speaks 2022-06-28 only; answering another version in these shapes would mislead.
        if (version !== "2022-06-28") return error(400, "validation_error", `Notion-Version header failed validation: Notion-Version should be \`"2022-06-28"\`, instead was \`"${version}"\`.`);
        if ((req.method === "POST" || req.method === "PATCH") && typeof req.body === "string") return error(400, "invalid_json", "Error parsing JSON body.");
        const out = await router.dispatch(req);
        if (!out || out.status === 405) return error(400, "invalid_request_url", "Invalid request URL.");
        return out;
      } catch (e) {
        if (e instanceof NotionFail) return error(e.status, e.code, e.message);
        throw e;
      }
    },
  };
}
