import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { notion, notionId, parseContent } from "@/lib/connectors/notion";
import { ProviderHttp } from "@/lib/connectors/http";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createNotionSandbox } from "@/lib/sandbox/notion";

// Contract tests: each tool sends Notion's documented request (Notion-Version 2022-06-28) and reads its documented response.
const backend = createNotionSandbox();
let h: ContractHarness;

const WIKI = "1a7e4c2b-9d3f-4e6a-8b5c-2f1d0e9a8b7c";
const HANDBOOK = "5c2d8e9f-1a3b-4c7d-9e2f-6a8b0c1d2e3f";
const TASKS = "9e4b1d7c-3a2f-4b8e-8d6c-1f0a2b3c4d5e";
const ROADMAP = "2d6f8a1c-7b3e-4a9d-b2c1-0e5f7a9c1d01";
const OFFSITE = "2d6f8a1c-7b3e-4a9d-b2c1-0e5f7a9c1d04";

type Page = { id: string; title: string; url: string; parent: { type: string; id: string | null }; archived: boolean; properties: Record<string, unknown> };
type Blocks = { blocks: { id: string; type: string; text: string; has_children: boolean; checked?: boolean; language?: string }[]; next_cursor: string | null; has_more: boolean };

beforeAll(async () => {
  h = await contractHarness(notion, backend, { access_token: "ntn_sandboxtoken" });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

describe("notion connector contract", () => {
  it("sends the bearer token and the Notion-Version header on every call", async () => {
    await h.call("notion_get_self", {});
    await h.call("notion_search", { query: "wiki" });
    for (const req of h.requests.slice(-2)) {
      expect(req.headers.authorization).toBe("Bearer ntn_sandboxtoken");
      expect(req.headers["notion-version"]).toBe("2022-06-28");
    }
  });

  it("notion_get_self → GET /v1/users/me; the account label is the owner's name", async () => {
    const out = await h.call("notion_get_self", {});
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/users/me" });
    expect(out).toEqual({
      id: "8f3c2a71-5b4e-4d2a-9c1f-0e6b7d8a9c10",
      name: "Latchkey",
      type: "bot",
      workspace_name: "Acme Labs",
      owner: { type: "user", id: "3b9d7e12-4c6a-4f8e-a1b2-c3d4e5f60718", name: "Ada Lovelace", email: "ada@acme-labs.example" },
    });
    const http = new ProviderHttp({ connector: notion, baseUrl: h.url, authHeaders: { authorization: "Bearer ntn_sandboxtoken" }, grantedScopes: [], toolScopes: [] });
    const label = await notion.accountLabel!({ http, connection: { id: "c", grantedScopes: [], accountLabel: null }, signal: new AbortController().signal });
    expect(label).toBe("Ada Lovelace");
  });

  it("notion_search → POST /v1/search with query, object filter, sort and page_size", async () => {
    const out = (await h.call("notion_search", { query: "tasks", object: "database", sort_direction: "descending" })) as { results: unknown[] };
    expect(h.last()).toMatchObject({
      method: "POST",
      path: "/v1/search",
      body: { query: "tasks", filter: { property: "object", value: "database" }, sort: { direction: "descending", timestamp: "last_edited_time" }, page_size: 20 },
    });
    expect(out.results).toEqual([
      { id: TASKS, object: "database", title: "Tasks", url: `https://www.notion.so/${TASKS.replace(/-/g, "")}`, parent: { type: "page_id", id: WIKI }, last_edited_time: "2026-03-01T08:05:00.000Z" },
    ]);
    const wiki = (await h.call("notion_search", { query: "Team Wiki" })) as { results: { id: string; title: string; url: string }[] };
    expect(Object.keys(h.last().body as object).sort()).toEqual(["page_size", "query"]);
    expect(wiki.results).toEqual([expect.objectContaining({ id: WIKI, object: "page", title: "Team Wiki", url: `https://www.notion.so/Team-Wiki-${WIKI.replace(/-/g, "")}` })]);
  });

  it("notion_search pages with start_cursor / next_cursor", async () => {
    const first = (await h.call("notion_search", { page_size: 3 })) as { results: { title: string }[]; next_cursor: string | null; has_more: boolean };
    expect(first.results.map((r) => r.title)).toEqual(["Team Wiki", "Tasks", "Draft Q2 roadmap"]);
    expect(first).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
    const second = (await h.call("notion_search", { page_size: 3, start_cursor: first.next_cursor })) as typeof first;
    expect(h.last().body).toMatchObject({ start_cursor: first.next_cursor, page_size: 3 });
    expect(second.results.map((r) => r.title)).toEqual(["Renew SSL certificates", "Plan team offsite", "Migrate wiki to new template"]);
    const third = (await h.call("notion_search", { page_size: 3, start_cursor: second.next_cursor })) as typeof first;
    expect(third).toMatchObject({ results: [{ title: "Engineering Handbook" }], has_more: false, next_cursor: null });
  });

  it("notion_get_page → GET /v1/pages/{id}; properties flattened; ids from URLs and undashed ids", async () => {
    const out = (await h.call("notion_get_page", { page_id: `https://www.notion.so/acme/Draft-Q2-roadmap-${ROADMAP.replace(/-/g, "")}?pvs=4` })) as Page;
    expect(h.last()).toMatchObject({ method: "GET", path: `/v1/pages/${ROADMAP}` });
    expect(out).toEqual({
      id: ROADMAP,
      object: "page",
      title: "Draft Q2 roadmap",
      url: `https://www.notion.so/Draft-Q2-roadmap-${ROADMAP.replace(/-/g, "")}`,
      parent: { type: "database_id", id: TASKS },
      archived: false,
      created_time: "2026-02-02T10:00:00.000Z",
      last_edited_time: "2026-02-27T15:30:00.000Z",
      properties: { Name: "Draft Q2 roadmap", Status: "In progress", Due: "2026-04-10", Done: false },
    });
    await h.call("notion_get_page", { page_id: WIKI.replace(/-/g, "") });
    expect(h.last().path).toBe(`/v1/pages/${WIKI}`);
  });

  it("not found → not_found with Notion's message; malformed id → invalid_request with Notion's validation message", async () => {
    const missing = await h.fail("notion_get_page", { page_id: "00000000-0000-4000-8000-000000000000" });
    expect(missing).toMatchObject({ code: "not_found", provider_status: 404, message: expect.stringContaining("Could not find page with ID: 00000000-0000-4000-8000-000000000000") });
    const bad = await h.fail("notion_get_page", { page_id: "not-an-id" });
    expect(bad).toMatchObject({ code: "invalid_request", provider_status: 400, message: expect.stringContaining("path failed validation: path.page_id should be a valid uuid") });
    expect(await h.fail("notion_get_page", { page_id: TASKS })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("is a database, not a page") });
  });

  it("notion_get_page_content → GET /v1/blocks/{id}/children with page_size and start_cursor", async () => {
    const first = (await h.call("notion_get_page_content", { block_id: WIKI, page_size: 5 })) as Blocks;
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: `/v1/blocks/${WIKI}/children` });
    expect(Object.fromEntries(req.query)).toEqual({ page_size: "5" });
    expect(first.blocks.map((b) => [b.type, b.text])).toEqual([
      ["heading_1", "Welcome to the Team Wiki"],
      ["paragraph", "This is the home for how Acme Labs works: processes, onboarding notes and the team's task list."],
      ["heading_2", "Onboarding checklist"],
      ["to_do", "Set up your laptop and SSO"],
      ["to_do", "Read the Engineering Handbook"],
    ]);
    expect(first.blocks[3]).toMatchObject({ checked: true });
    expect(first.has_more).toBe(true);
    const second = (await h.call("notion_get_page_content", { block_id: WIKI, page_size: 5, start_cursor: first.next_cursor })) as Blocks;
    expect(h.last().query.get("start_cursor")).toBe(first.next_cursor);
    expect(second.blocks).toEqual([
      expect.objectContaining({ type: "bulleted_list_item", text: "Ask questions in #team-help" }),
      { id: HANDBOOK, type: "child_page", text: "Engineering Handbook", has_children: true },
      { id: TASKS, type: "child_database", text: "Tasks", has_children: false },
    ]);
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    const handbook = (await h.call("notion_get_page_content", { block_id: HANDBOOK })) as Blocks;
    expect(handbook.blocks.at(-1)).toMatchObject({ type: "code", text: "npm run lint && npm test", language: "shell" });
    expect(await h.fail("notion_get_page_content", { block_id: "0123456789abcdef0123456789abcdef" })).toMatchObject({ code: "not_found", message: expect.stringContaining("Could not find block") });
  });

  it("notion_create_page under a page → POST /v1/pages with a title property and paragraph children; it shows in the parent", async () => {
    const long = "x".repeat(4500);
    const out = (await h.call("notion_create_page", {
      parent_page_id: WIKI,
      title: "Release checklist",
      content: "Steps before every release.\nKeep it short.\n\n## Before\n- [ ] Freeze main\n- Tag the release\n\n" + long,
    })) as Page;
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/v1/pages" });
    expect(req.body).toEqual({
      parent: { page_id: WIKI },
      properties: { title: { title: [{ type: "text", text: { content: "Release checklist" } }] } },
      children: [
        { object: "block", type: "paragraph", paragraph: { rich_text: [{ type: "text", text: { content: "Steps before every release.\nKeep it short." } }] } },
        { object: "block", type: "heading_2", heading_2: { rich_text: [{ type: "text", text: { content: "Before" } }] } },
        { object: "block", type: "to_do", to_do: { rich_text: [{ type: "text", text: { content: "Freeze main" } }], checked: false } },
        { object: "block", type: "bulleted_list_item", bulleted_list_item: { rich_text: [{ type: "text", text: { content: "Tag the release" } }] } },
        {
          object: "block",
          type: "paragraph",
          paragraph: { rich_text: [2000, 2000, 500].map((n) => ({ type: "text", text: { content: "x".repeat(n) } })) },
        },
      ],
    });
    expect(out).toMatchObject({ title: "Release checklist", parent: { type: "page_id", id: WIKI }, archived: false, properties: { title: "Release checklist" } });
    expect(out.url).toMatch(/^https:\/\/www\.notion\.so\/Release-checklist-[0-9a-f]{32}$/);
    const body = (await h.call("notion_get_page_content", { block_id: out.id })) as Blocks;
    expect(body.blocks.map((b) => b.type)).toEqual(["paragraph", "heading_2", "to_do", "bulleted_list_item", "paragraph"]);
    expect(body.blocks[4]!.text).toBe(long);
    const wiki = (await h.call("notion_get_page_content", { block_id: WIKI })) as Blocks;
    expect(wiki.blocks.at(-1)).toMatchObject({ id: out.id, type: "child_page", text: "Release checklist" });
    expect((await h.call("notion_search", { query: "release" })) as { results: unknown[] }).toMatchObject({ results: [{ id: out.id }] });
  });

  it("notion_create_page in a database → reads the schema, then POST /v1/pages with typed property values; the row can be queried", async () => {
    const out = (await h.call("notion_create_page", {
      parent_database_id: `https://www.notion.so/acme/${TASKS.replace(/-/g, "")}?v=0123456789abcdef0123456789abcdef`,
      title: "Write onboarding guide",
      properties: { Status: "In progress", Due: "2026-04-30", Done: false },
    })) as Page;
    const [schemaReq, createReq] = h.requests.slice(-2);
    expect(schemaReq).toMatchObject({ method: "GET", path: `/v1/databases/${TASKS}` });
    expect(createReq).toMatchObject({ method: "POST", path: "/v1/pages" });
    expect(createReq!.body).toEqual({
      parent: { database_id: TASKS },
      properties: {
        Name: { title: [{ type: "text", text: { content: "Write onboarding guide" } }] },
        Status: { status: { name: "In progress" } },
        Due: { date: { start: "2026-04-30" } },
        Done: { checkbox: false },
      },
    });
    expect(out).toMatchObject({ title: "Write onboarding guide", parent: { type: "database_id", id: TASKS }, properties: { Name: "Write onboarding guide", Status: "In progress", Due: "2026-04-30", Done: false } });
    const rows = (await h.call("notion_query_database", { database_id: TASKS })) as { results: Page[] };
    expect(rows.results.map((r) => r.id)).toContain(out.id);
  });

  it("Notion's validation errors come back as invalid_request with Notion's message; unknown simple properties are refused before any call", async () => {
    const bad = await h.fail("notion_create_page", { parent_database_id: TASKS, title: "Blocked task", properties: { Status: "Blocked" } });
    expect(bad).toMatchObject({ code: "invalid_request", provider_status: 400, message: expect.stringContaining('Status option "Blocked" does not exist') });
    const wrongType = await h.fail("notion_create_page", { parent_database_id: TASKS, title: "T", properties: { Status: { select: { name: "Done" } } } });
    expect(wrongType).toMatchObject({ code: "invalid_request", message: expect.stringContaining("Status is expected to be status.") });
    const before = h.requests.length;
    const unknown = await h.fail("notion_update_page", { page_id: ROADMAP, properties: { Owner: "Ada" } });
    expect(unknown).toMatchObject({ code: "invalid_arguments", message: expect.stringContaining("Name, Status, Due, Done") });
    expect(h.requests.length).toBe(before + 1); // only the GET that reads the property types
    expect(await h.fail("notion_create_page", { parent_page_id: WIKI, parent_database_id: TASKS, title: "x" })).toMatchObject({ code: "invalid_arguments" });
  });

  it("notion_update_page → PATCH /v1/pages/{id} with converted properties; archiving hides the page", async () => {
    const out = (await h.call("notion_update_page", { page_id: OFFSITE, title: "Plan team offsite (Lisbon)", properties: { Status: "Done", Done: true, Due: null } })) as Page;
    const [read, patch] = h.requests.slice(-2);
    expect(read).toMatchObject({ method: "GET", path: `/v1/pages/${OFFSITE}` });
    expect(patch).toMatchObject({ method: "PATCH", path: `/v1/pages/${OFFSITE}` });
    expect(patch!.body).toEqual({
      properties: {
        Status: { status: { name: "Done" } },
        Done: { checkbox: true },
        Due: { date: null },
        Name: { title: [{ type: "text", text: { content: "Plan team offsite (Lisbon)" } }] },
      },
    });
    expect(out.properties).toEqual({ Name: "Plan team offsite (Lisbon)", Status: "Done", Due: null, Done: true });

    const archived = (await h.call("notion_update_page", { page_id: OFFSITE, archived: true })) as Page;
    expect(h.last()).toMatchObject({ method: "PATCH", path: `/v1/pages/${OFFSITE}`, body: { archived: true } });
    expect(Object.keys(h.last().body as object)).toEqual(["archived"]);
    expect(archived.archived).toBe(true);
    const rows = (await h.call("notion_query_database", { database_id: TASKS })) as { results: Page[] };
    expect(rows.results.map((r) => r.id)).not.toContain(OFFSITE);
    const edit = await h.fail("notion_update_page", { page_id: OFFSITE, properties: { Done: { checkbox: false } } });
    expect(edit).toMatchObject({ code: "invalid_request", message: expect.stringContaining("Can't edit block that is archived") });
    expect(h.last().body).toEqual({ properties: { Done: { checkbox: false } } }); // raw values go straight through
    await h.call("notion_update_page", { page_id: OFFSITE, archived: false });
    expect(((await h.call("notion_query_database", { database_id: TASKS })) as { results: Page[] }).results.map((r) => r.id)).toContain(OFFSITE);
  });

  it("notion_append_blocks → PATCH /v1/blocks/{id}/children with children (and after); returns the new blocks", async () => {
    const out = (await h.call("notion_append_blocks", {
      block_id: HANDBOOK,
      content: "### Deploys",
      blocks: [
        { type: "paragraph", text: "Deploy from main only." },
        { type: "to_do", text: "Document the rollback", checked: true },
        { type: "divider" },
      ],
    })) as Blocks;
    expect(h.last()).toMatchObject({ method: "PATCH", path: `/v1/blocks/${HANDBOOK}/children` });
    expect(h.last().body).toEqual({
      children: [
        { object: "block", type: "heading_3", heading_3: { rich_text: [{ type: "text", text: { content: "Deploys" } }] } },
        { object: "block", type: "paragraph", paragraph: { rich_text: [{ type: "text", text: { content: "Deploy from main only." } }] } },
        { object: "block", type: "to_do", to_do: { rich_text: [{ type: "text", text: { content: "Document the rollback" } }], checked: true } },
        { object: "block", type: "divider", divider: {} },
      ],
    });
    expect(out.blocks.map((b) => [b.type, b.text])).toEqual([
      ["heading_3", "Deploys"],
      ["paragraph", "Deploy from main only."],
      ["to_do", "Document the rollback"],
      ["divider", ""],
    ]);
    const first = ((await h.call("notion_get_page_content", { block_id: HANDBOOK })) as Blocks).blocks[0]!;
    await h.call("notion_append_blocks", { block_id: HANDBOOK, blocks: [{ type: "quote", text: "Small changes, often." }], after: first.id });
    expect(h.last().body).toMatchObject({ after: first.id });
    const after = (await h.call("notion_get_page_content", { block_id: HANDBOOK })) as Blocks;
    expect(after.blocks.slice(0, 2).map((b) => b.type)).toEqual(["paragraph", "quote"]);
    expect(after.blocks.at(-1)!.type).toBe("divider");
    expect(await h.fail("notion_append_blocks", { block_id: HANDBOOK })).toMatchObject({ code: "invalid_arguments" });
  });

  it("notion_query_database → POST /v1/databases/{id}/query with filter, sorts, page_size and cursors", async () => {
    const open = (await h.call("notion_query_database", {
      database_id: TASKS,
      filter: { and: [{ property: "Done", checkbox: { equals: false } }, { property: "Due", date: { before: "2026-05-01" } }] },
      sorts: [{ property: "Due", direction: "descending" }],
    })) as { results: Page[]; has_more: boolean };
    expect(h.last()).toMatchObject({
      method: "POST",
      path: `/v1/databases/${TASKS}/query`,
      body: {
        filter: { and: [{ property: "Done", checkbox: { equals: false } }, { property: "Due", date: { before: "2026-05-01" } }] },
        sorts: [{ property: "Due", direction: "descending" }],
        page_size: 50,
      },
    });
    expect(open.results.map((r) => r.title)).toEqual(["Migrate wiki to new template", "Draft Q2 roadmap"]);
    expect(open.results[0]).toMatchObject({ properties: { Status: "Not started", Due: "2026-04-20", Done: false } });

    const first = (await h.call("notion_query_database", { database_id: TASKS, page_size: 3, sorts: [{ timestamp: "created_time" }] })) as { results: Page[]; next_cursor: string | null; has_more: boolean };
    expect(h.last().body).toMatchObject({ sorts: [{ timestamp: "created_time", direction: "descending" }], page_size: 3 });
    expect(first.results.map((r) => r.title)).toEqual(["Plan team offsite", "Migrate wiki to new template", "Renew SSL certificates"]);
    expect(first.has_more).toBe(true);
    const second = (await h.call("notion_query_database", { database_id: TASKS, page_size: 3, sorts: [{ timestamp: "created_time" }], start_cursor: first.next_cursor })) as typeof first;
    expect(h.last().body).toMatchObject({ start_cursor: first.next_cursor });
    expect(second).toMatchObject({ results: [{ title: "Draft Q2 roadmap" }], has_more: false, next_cursor: null });

    const status = (await h.call("notion_query_database", { database_id: TASKS, filter: { property: "Status", status: { equals: "Done" } } })) as { results: Page[] };
    expect(status.results.map((r) => r.title)).toEqual(["Renew SSL certificates"]);
    expect(await h.fail("notion_query_database", { database_id: TASKS, filter: { property: "Status", select: { equals: "Done" } } })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("database property status does not match filter select"),
    });
    expect(await h.fail("notion_query_database", { database_id: TASKS, filter: { property: "Owner", people: { is_empty: true } } })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("Could not find property with name or id: Owner"),
    });
  });

  it("notion_get_database → GET /v1/databases/{id}: title and column schema", async () => {
    const out = await h.call("notion_get_database", { database_id: TASKS });
    expect(h.last()).toMatchObject({ method: "GET", path: `/v1/databases/${TASKS}` });
    expect(out).toEqual({
      id: TASKS,
      object: "database",
      title: "Tasks",
      description: "What the team is working on this quarter.",
      url: `https://www.notion.so/${TASKS.replace(/-/g, "")}`,
      parent: { type: "page_id", id: WIKI },
      is_inline: false,
      archived: false,
      created_time: "2026-01-15T10:00:00.000Z",
      last_edited_time: "2026-03-01T08:05:00.000Z",
      properties: [
        { name: "Name", id: "title", type: "title" },
        {
          name: "Status",
          id: "Z%3ClQ",
          type: "status",
          options: ["Not started", "In progress", "Done"],
          groups: [
            { name: "To-do", options: ["Not started"] },
            { name: "In progress", options: ["In progress"] },
            { name: "Complete", options: ["Done"] },
          ],
        },
        { name: "Due", id: "M%3BBw", type: "date" },
        { name: "Done", id: "%3DyP%5E", type: "checkbox" },
      ],
    });
    expect(await h.fail("notion_get_database", { database_id: "00000000000040008000000000000001" })).toMatchObject({ code: "not_found", message: expect.stringContaining("Could not find database") });
  });

  it("maps Notion's errors: 401 → provider auth error; restricted_resource, conflict and rate limits via interpret", async () => {
    expect(await h.fail("notion_get_self", {}, { credential: { access_token: "expired_abc" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("notion_search", {}, { credential: { access_token: "revoked_abc" } })).toEqual({ code: "provider_unauthorized" });
    const err = (status: number, code: string, message: string) => ({ object: "error", status, code, message, request_id: "r" });
    expect(notion.interpret!({ status: 401, headers: {}, body: err(401, "unauthorized", "API token is invalid.") })).toMatchObject({ code: "reauth_required" });
    expect(notion.interpret!({ status: 403, headers: {}, body: err(403, "restricted_resource", "Insufficient permissions for this endpoint.") })).toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(/Insufficient permissions for this endpoint\..*not been shared with this integration/),
    });
    expect(notion.interpret!({ status: 409, headers: {}, body: err(409, "conflict_error", "Conflict occurred while saving. Please try again.") })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("Conflict occurred while saving"),
    });
    expect(notion.interpret!({ status: 429, headers: { "retry-after": "7" }, body: err(429, "rate_limited", "You have been rate limited. Please try again in a few minutes.") })).toMatchObject({
      code: "rate_limited",
      retry_after: 7,
    });
    expect(notion.interpret!({ status: 400, headers: {}, body: err(400, "validation_error", "body failed validation: body.parent should be defined, instead was `undefined`.") })).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("body.parent should be defined"),
    });
    expect(notion.interpret!({ status: 200, headers: {}, body: { object: "page", id: WIKI } })).toBeNull();
    expect(notion.interpret!({ status: 502, headers: {}, body: err(502, "bad_gateway", "Bad gateway") })).toBeNull();
  });

  it("the sandbox answers like Notion without a version header, with bad JSON and on unknown URLs", async () => {
    const base = { query: new URLSearchParams(), body: undefined, headers: { authorization: "Bearer ntn_x" } as Record<string, string | undefined> };
    expect(await backend.handle({ ...base, method: "GET", path: "/v1/users/me" })).toMatchObject({ status: 400, body: { object: "error", code: "missing_version" } });
    const v = { ...base.headers, "notion-version": "2022-06-28" };
    expect(await backend.handle({ ...base, headers: v, method: "POST", path: "/v1/search", body: "{oops" })).toMatchObject({ status: 400, body: { code: "invalid_json" } });
    expect(await backend.handle({ ...base, headers: v, method: "DELETE", path: `/v1/pages/${WIKI}` })).toMatchObject({ status: 400, body: { code: "invalid_request_url", message: "Invalid request URL." } });
    expect(await backend.handle({ ...base, headers: {}, method: "GET", path: "/v1/users/me" })).toMatchObject({ status: 401, body: { object: "error", status: 401, code: "unauthorized", message: "API token is invalid." } });
  });

  it("parses markdown-ish content and Notion ids/URLs", () => {
    expect(parseContent("# Title\n\nOne\ntwo\n1. first\n> quoted\n---\n```ts\nconst a = 1;\n```")).toEqual([
      { type: "heading_1", text: "Title" },
      { type: "paragraph", text: "One\ntwo" },
      { type: "numbered_list_item", text: "first" },
      { type: "quote", text: "quoted" },
      { type: "divider", text: "" },
      { type: "code", text: "const a = 1;", language: "typescript" },
    ]);
    expect(notionId("1A7E4C2B9D3F4E6A8B5C2F1D0E9A8B7C")).toBe(WIKI);
    expect(notionId(`https://www.notion.so/acme/${TASKS.replace(/-/g, "")}?v=abc&p=${ROADMAP.replace(/-/g, "")}`)).toBe(ROADMAP);
    expect(notionId("not-an-id")).toBe("not-an-id");
  });

  it("declares Notion's OAuth (Basic client auth, owner=user, no scopes) and exports every tool's input as JSON Schema", async () => {
    expect(notion.auth).toMatchObject({
      kind: "oauth2",
      authorizeUrl: "https://api.notion.com/v1/oauth/authorize",
      tokenUrl: "https://api.notion.com/v1/oauth/token",
      tokenAuthMethod: "client_secret_basic",
      pkce: false,
      baseScopes: [],
      authorizeParams: { owner: "user" },
    });
    expect(notion.baseUrl).toBe("https://api.notion.com");
    const { toJSONSchema } = await import("zod");
    expect(notion.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of notion.tools) {
      expect(t.name).toMatch(/^notion_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes).toEqual([]);
    }
    expect(notion.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
  });
});
