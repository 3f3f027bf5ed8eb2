import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { slack } from "@/lib/connectors/slack";
import { ProviderHttp } from "@/lib/connectors/http";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createSlackSandbox } from "@/lib/sandbox/slack";
import type { SandboxBackend, SandboxResponse } from "@/lib/sandbox/types";

// Contract tests: each tool sends Slack's documented Web API request and reads its documented answer.
const backend = createSlackSandbox();
let h: ContractHarness;

beforeAll(async () => {
  h = await contractHarness(slack, backend, { access_token: "xoxb-sandbox-token" });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

type Msg = { ts: string; text: string; user: string | null; thread_ts: string | null; reply_count: number; reactions: { name: string; count: number; users: string[] }[]; edited_at: string | null };
type Page<K extends string, T> = Record<K, T[]> & { next_cursor: string | null; has_more?: boolean };

describe("slack connector contract", () => {
  it("sends the bot token as a Bearer header; reads are GETs with query arguments", async () => {
    await h.call("slack_list_users", {});
    const req = h.last();
    expect(req.headers.authorization).toBe("Bearer xoxb-sandbox-token");
    expect(req.method).toBe("GET");
    expect(req.body).toBeUndefined();
  });

  it("accountLabel → GET /auth.test, labelled user @ team", async () => {
    const http = new ProviderHttp({ connector: slack, baseUrl: h.url, authHeaders: { authorization: "Bearer xoxb-sandbox-token" }, grantedScopes: [], toolScopes: [] });
    const label = await slack.accountLabel!({ http, connection: { id: "c", grantedScopes: [], accountLabel: null }, signal: new AbortController().signal });
    expect(h.last()).toMatchObject({ method: "GET", path: "/auth.test" });
    expect(label).toBe("latchkey @ Acme Robotics");
  });

  it("slack_list_channels → GET /conversations.list with types, exclude_archived, limit; follows next_cursor", async () => {
    const all = (await h.call("slack_list_channels", {})) as Page<"channels", { id: string; name: string; is_private: boolean; is_member: boolean; num_members: number; topic: string | null }>;
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/conversations.list" });
    expect(Object.fromEntries(req.query)).toEqual({ types: "public_channel,private_channel", exclude_archived: "true", limit: "100" });
    expect(all.channels.map((c) => c.name)).toEqual(["general", "random", "eng", "design"]);
    expect(all.channels.find((c) => c.name === "eng")).toMatchObject({ id: "C02ENGPRIV", is_private: true, is_member: true, num_members: 3 });
    expect(all.channels.find((c) => c.name === "design")).toMatchObject({ is_member: false, topic: "Design reviews on Thursdays" });
    expect(all.next_cursor).toBeNull();

    const first = (await h.call("slack_list_channels", { limit: 2, exclude_archived: false })) as Page<"channels", { name: string }>;
    expect(first.channels.map((c) => c.name)).toEqual(["general", "random"]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (await h.call("slack_list_channels", { limit: 2, exclude_archived: false, cursor: first.next_cursor })) as Page<"channels", { name: string; is_archived: boolean }>;
    expect(h.last().query.get("cursor")).toBe(first.next_cursor);
    expect(second.channels.map((c) => c.name)).toEqual(["eng", "launch-2023"]);
    expect(second.channels[1]!.is_archived).toBe(true);
    const third = (await h.call("slack_list_channels", { limit: 2, exclude_archived: false, cursor: second.next_cursor })) as Page<"channels", { name: string }>;
    expect(third.channels.map((c) => c.name)).toEqual(["design"]);
    expect(third.next_cursor).toBeNull();

    const publicOnly = (await h.call("slack_list_channels", { types: ["public_channel"] })) as Page<"channels", { name: string }>;
    expect(h.last().query.get("types")).toBe("public_channel");
    expect(publicOnly.channels.map((c) => c.name)).not.toContain("eng");
  });

  it("slack_get_channel_history → GET /conversations.history, newest first, thread replies left out, paginated", async () => {
    const out = (await h.call("slack_get_channel_history", { channel: "C01GENERAL", limit: 2 })) as Page<"messages", Msg>;
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/conversations.history" });
    expect(Object.fromEntries(req.query)).toEqual({ channel: "C01GENERAL", limit: "2" });
    expect(out.messages.map((m) => m.ts)).toEqual(["1712356478.000600", "1712352878.000500"]);
    expect(out.messages[1]).toMatchObject({ user: "U04PRIYARM", reactions: [{ name: "eyes", count: 1, users: ["U03MAYACHN"] }], posted_at: "2024-04-05T21:34:38.000Z" });
    expect(out).toMatchObject({ has_more: true, next_cursor: expect.any(String) });

    const next = (await h.call("slack_get_channel_history", { channel: "C01GENERAL", limit: 2, cursor: out.next_cursor })) as Page<"messages", Msg>;
    expect(next.messages.map((m) => m.ts)).toEqual(["1712349278.000200", "1712345678.000100"]);
    expect(next.messages[0]).toMatchObject({ thread_ts: "1712349278.000200", reply_count: 2, latest_reply: "1712349518.000400" });
    expect(next).toMatchObject({ has_more: false, next_cursor: null });
  });

  it("slack_get_channel_history passes oldest/latest/inclusive through", async () => {
    const out = (await h.call("slack_get_channel_history", { channel: "C01GENERAL", oldest: "1712345678.000100", latest: "1712352878.000500", inclusive: true })) as Page<"messages", Msg>;
    expect(Object.fromEntries(h.last().query)).toMatchObject({ oldest: "1712345678.000100", latest: "1712352878.000500", inclusive: "true" });
    expect(out.messages.map((m) => m.ts)).toEqual(["1712352878.000500", "1712349278.000200", "1712345678.000100"]);
  });

  it("slack_get_thread_replies → GET /conversations.replies: parent first, then replies oldest first", async () => {
    const out = (await h.call("slack_get_thread_replies", { channel: "C01GENERAL", ts: "1712349278.000200" })) as Page<"messages", Msg>;
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/conversations.replies" });
    expect(Object.fromEntries(req.query)).toEqual({ channel: "C01GENERAL", ts: "1712349278.000200", limit: "100" });
    expect(out.messages.map((m) => [m.ts, m.user])).toEqual([
      ["1712349278.000200", "U03JONASWB"],
      ["1712349398.000300", "U04PRIYARM"],
      ["1712349518.000400", "U03JONASWB"],
    ]);
    expect(out.messages[1]!.thread_ts).toBe("1712349278.000200");
    expect(out).toMatchObject({ has_more: false, next_cursor: null });
    expect(await h.fail("slack_get_thread_replies", { channel: "C01GENERAL", ts: "1700000000.000000" })).toMatchObject({ code: "not_found", message: expect.stringContaining("thread_not_found") });
  });

  it("slack_post_message → POST /chat.postMessage with a JSON body; the message appears in history", async () => {
    const out = (await h.call("slack_post_message", { channel: "C01GENERAL", text: "Deploy finished :rocket:" })) as { channel: string; ts: string; thread_ts: string | null; text: string };
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/chat.postMessage", body: { channel: "C01GENERAL", text: "Deploy finished :rocket:" } });
    expect(req.headers["content-type"]).toMatch(/^application\/json/);
    expect(req.headers.authorization).toBe("Bearer xoxb-sandbox-token");
    expect(Object.keys(req.body as object).sort()).toEqual(["channel", "text"]);
    expect(out).toMatchObject({ channel: "C01GENERAL", ts: expect.stringMatching(/^\d{10}\.\d{6}$/), thread_ts: null, text: "Deploy finished :rocket:" });
    const history = (await h.call("slack_get_channel_history", { channel: "C01GENERAL", limit: 1 })) as Page<"messages", Msg & { bot_id: string | null }>;
    expect(history.messages[0]).toMatchObject({ ts: out.ts, text: "Deploy finished :rocket:", user: "U07LK3YBOT", bot_id: "B07LK3YAPP" });
  });

  it("slack_post_message accepts a #channel name", async () => {
    const out = (await h.call("slack_post_message", { channel: "#random", text: "Cake in the kitchen" })) as { channel: string };
    expect(h.last().body).toMatchObject({ channel: "#random" });
    expect(out.channel).toBe("C01RANDOM0");
  });

  it("slack_post_message with thread_ts replies in the thread: it shows in conversations.replies, not in history", async () => {
    const out = (await h.call("slack_post_message", { channel: "C01GENERAL", text: "Dashboards look clean.", thread_ts: "1712349278.000200" })) as { ts: string; thread_ts: string };
    expect(h.last().body).toEqual({ channel: "C01GENERAL", text: "Dashboards look clean.", thread_ts: "1712349278.000200" });
    expect(out.thread_ts).toBe("1712349278.000200");
    const thread = (await h.call("slack_get_thread_replies", { channel: "C01GENERAL", ts: "1712349278.000200" })) as Page<"messages", Msg>;
    expect(thread.messages.map((m) => m.ts)).toEqual(["1712349278.000200", "1712349398.000300", "1712349518.000400", out.ts]);
    const history = (await h.call("slack_get_channel_history", { channel: "C01GENERAL" })) as Page<"messages", Msg>;
    expect(history.messages.map((m) => m.ts)).not.toContain(out.ts);
    expect(history.messages.find((m) => m.ts === "1712349278.000200")).toMatchObject({ reply_count: 3, latest_reply: out.ts });
  });

  it("slack_update_message → POST /chat.update; only the app's own messages", async () => {
    const posted = (await h.call("slack_post_message", { channel: "C02ENGPRIV", text: "Build is red" })) as { ts: string };
    const out = await h.call("slack_update_message", { channel: "C02ENGPRIV", ts: posted.ts, text: "Build is green again" });
    expect(h.last()).toMatchObject({ method: "POST", path: "/chat.update", body: { channel: "C02ENGPRIV", ts: posted.ts, text: "Build is green again" } });
    expect(h.last().headers["content-type"]).toMatch(/^application\/json/);
    expect(out).toMatchObject({ channel: "C02ENGPRIV", ts: posted.ts, text: "Build is green again", edited_at: expect.any(String) });
    const history = (await h.call("slack_get_channel_history", { channel: "C02ENGPRIV", limit: 1 })) as Page<"messages", Msg>;
    expect(history.messages[0]).toMatchObject({ ts: posted.ts, text: "Build is green again", edited_at: expect.any(String) });

    // Slack's validation error (HTTP 200, ok:false) → invalid_request carrying Slack's error code.
    const f = await h.fail("slack_update_message", { channel: "C01GENERAL", ts: "1712345678.000100", text: "hijack" });
    expect(f).toMatchObject({ code: "invalid_request", message: expect.stringContaining("cant_update_message"), provider_status: 200 });
    expect(await h.fail("slack_update_message", { channel: "C01GENERAL", ts: "1600000000.000000", text: "x" })).toMatchObject({ code: "not_found", message: expect.stringContaining("message_not_found") });
  });

  it("slack_delete_message → POST /chat.delete; the message is gone from history", async () => {
    const posted = (await h.call("slack_post_message", { channel: "C01RANDOM0", text: "oops, wrong channel" })) as { ts: string };
    const out = await h.call("slack_delete_message", { channel: "C01RANDOM0", ts: posted.ts });
    expect(h.last()).toMatchObject({ method: "POST", path: "/chat.delete", body: { channel: "C01RANDOM0", ts: posted.ts } });
    expect(out).toEqual({ channel: "C01RANDOM0", ts: posted.ts, deleted: true });
    const history = (await h.call("slack_get_channel_history", { channel: "C01RANDOM0" })) as Page<"messages", Msg>;
    expect(history.messages.map((m) => m.ts)).not.toContain(posted.ts);
    expect(await h.fail("slack_delete_message", { channel: "C01RANDOM0", ts: "1712340000.000100" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("cant_delete_message") });
  });

  it("slack_add_reaction → POST /reactions.add with channel, timestamp, name (colons stripped); repeating it is a no-op", async () => {
    const out = await h.call("slack_add_reaction", { channel: "C01GENERAL", timestamp: "1712352878.000500", name: ":white_check_mark:" });
    expect(h.last()).toMatchObject({ method: "POST", path: "/reactions.add", body: { channel: "C01GENERAL", timestamp: "1712352878.000500", name: "white_check_mark" } });
    expect(out).toMatchObject({ added: true, already_reacted: false, name: "white_check_mark" });
    const history = (await h.call("slack_get_channel_history", { channel: "C01GENERAL", latest: "1712352878.000500", inclusive: true, limit: 1 })) as Page<"messages", Msg>;
    expect(history.messages[0]!.reactions).toEqual([
      { name: "eyes", count: 1, users: ["U03MAYACHN"] },
      { name: "white_check_mark", count: 1, users: ["U07LK3YBOT"] },
    ]);
    expect(await h.call("slack_add_reaction", { channel: "C01GENERAL", timestamp: "1712352878.000500", name: "white_check_mark" })).toMatchObject({ added: false, already_reacted: true });
    expect(await h.fail("slack_add_reaction", { channel: "C01GENERAL", timestamp: "1712352878.000500", name: "thumbs up" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("invalid_name") });
  });

  it("slack_list_users → GET /users.list with limit and cursor", async () => {
    const first = (await h.call("slack_list_users", { limit: 3 })) as Page<"users", { id: string; name: string; deleted: boolean; email: string | null; is_admin: boolean }>;
    expect(h.last()).toMatchObject({ method: "GET", path: "/users.list" });
    expect(Object.fromEntries(h.last().query)).toEqual({ limit: "3" });
    expect(first.users.map((u) => u.name)).toEqual(["tom", "jonas", "maya"]);
    expect(first.users[0]).toMatchObject({ deleted: true });
    expect(first.users[2]).toMatchObject({ id: "U03MAYACHN", real_name: "Maya Chen", title: "Head of Engineering", email: "maya.chen@acme-robotics.example", is_admin: true, tz: "America/Los_Angeles" });
    const rest = (await h.call("slack_list_users", { limit: 10, cursor: first.next_cursor })) as Page<"users", { name: string; is_bot: boolean; is_guest: boolean }>;
    expect(h.last().query.get("cursor")).toBe(first.next_cursor);
    expect(rest.users.map((u) => u.name)).toEqual(["priya", "sam", "latchkey", "slackbot"]);
    expect(rest.users.find((u) => u.name === "sam")).toMatchObject({ is_guest: true });
    expect(rest.users.find((u) => u.name === "latchkey")).toMatchObject({ is_bot: true });
    expect(rest.next_cursor).toBeNull();
  });

  it("slack_get_user → GET /users.info by ID or GET /users.lookupByEmail by email; unknown → not_found", async () => {
    const byId = await h.call("slack_get_user", { user: "U04PRIYARM" });
    expect(h.last()).toMatchObject({ method: "GET", path: "/users.info" });
    expect(Object.fromEntries(h.last().query)).toEqual({ user: "U04PRIYARM" });
    expect(byId).toMatchObject({ id: "U04PRIYARM", name: "priya", real_name: "Priya Raman", status: { text: "In planning sessions", emoji: ":calendar:" } });

    const byEmail = await h.call("slack_get_user", { email: "jonas.weber@acme-robotics.example" });
    expect(h.last()).toMatchObject({ method: "GET", path: "/users.lookupByEmail" });
    expect(Object.fromEntries(h.last().query)).toEqual({ email: "jonas.weber@acme-robotics.example" });
    expect(byEmail).toMatchObject({ id: "U03JONASWB", tz: "Europe/Berlin" });

    expect(await h.fail("slack_get_user", { user: "U0NOBODY00" })).toMatchObject({ code: "not_found", message: expect.stringContaining("user_not_found") });
    expect(await h.fail("slack_get_user", { email: "nobody@acme-robotics.example" })).toMatchObject({ code: "not_found", message: expect.stringContaining("users_not_found") });
    await expect(h.call("slack_get_user", {})).rejects.toThrow(/exactly one of user or email/);
    await expect(h.call("slack_get_user", { user: "U04PRIYARM", email: "priya.raman@acme-robotics.example" })).rejects.toThrow(/exactly one/);
  });

  it("maps Slack's ok:false answers: not_found, not_in_channel / is_archived → invalid_request with Slack's error", async () => {
    expect(await h.fail("slack_get_channel_history", { channel: "C0NOPE0000" })).toMatchObject({ code: "not_found", message: expect.stringContaining("channel_not_found"), provider_status: 200 });
    expect(await h.fail("slack_get_channel_history", { channel: "C03DESIGN0" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("not_in_channel") });
    expect(await h.fail("slack_post_message", { channel: "C02LAUNCH1", text: "hello?" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("is_archived") });
    expect(await h.fail("slack_post_message", { channel: "C03DESIGN0", text: "hello?" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("not_in_channel") });
  });

  it("credential errors (HTTP 200 with token_expired / token_revoked / invalid_auth / not_authed) → provider auth error", async () => {
    expect(await h.fail("slack_list_channels", {}, { credential: { access_token: "expired_xoxb" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("slack_post_message", { channel: "C01GENERAL", text: "hi" }, { credential: { access_token: "revoked_xoxb" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("slack_list_users", {}, { credential: { access_token: "" } })).toEqual({ code: "provider_unauthorized" });
    const denied = createSlackSandbox({ authorize: () => false });
    const res = await denied.handle({ method: "GET", path: "/auth.test", query: new URLSearchParams(), headers: { authorization: "Bearer xoxb-nope" }, body: undefined });
    expect(res).toMatchObject({ status: 200, body: { ok: false, error: "invalid_auth" } });
    expect(slack.interpret!({ status: 200, headers: {}, body: { ok: false, error: "account_inactive" } })).toMatchObject({ code: "reauth_required" });
  });

  it("the sandbox answers unknown methods like Slack (404 unknown_method) and warns about a missing JSON charset", async () => {
    const res = await backend.handle({ method: "GET", path: "/chat.nothing", query: new URLSearchParams(), headers: { authorization: "Bearer xoxb-sandbox-token" }, body: undefined });
    expect(res).toMatchObject({ status: 404, body: { ok: false, error: "unknown_method" } });
    const post = await backend.handle({ method: "POST", path: "/chat.postMessage", query: new URLSearchParams(), headers: { authorization: "Bearer xoxb-sandbox-token", "content-type": "application/json" }, body: { channel: "C01GENERAL", text: "hi" } });
    expect(post).toMatchObject({ status: 200, body: { ok: true, warning: "missing_charset" }, headers: { "x-accepted-oauth-scopes": "chat:write" } });
  });
});

describe("slack error classification (missing_scope, ratelimited, server errors)", () => {
  // A scripted backend: answers every call with the next queued Slack response.
  const queue: SandboxResponse[] = [];
  const scripted: SandboxBackend = { slug: "slack", reset: () => void (queue.length = 0), handle: async () => queue.shift() ?? { status: 200, body: { ok: true } } };
  let s: ContractHarness;
  beforeAll(async () => {
    s = await contractHarness(slack, scripted, { access_token: "xoxb-sandbox-token" });
  });
  afterAll(() => s.close());

  it("missing_scope → insufficient_scope with Slack's `needed` scopes", async () => {
    queue.push({ status: 200, body: { ok: false, error: "missing_scope", needed: "chat:write,chat:write.public", provided: "users:read" } });
    expect(await s.fail("slack_post_message", { channel: "C01GENERAL", text: "hi" })).toMatchObject({
      code: "insufficient_scope",
      missing_scopes: ["chat:write", "chat:write.public"],
      message: expect.stringContaining("chat:write"),
    });
    expect(slack.missingScopes!({ status: 200, headers: {}, body: { ok: false, error: "missing_scope", needed: "users:read.email" } })).toEqual(["users:read.email"]);
  });

  it("HTTP 429 ratelimited with Retry-After → rate_limited with retry_after", async () => {
    queue.push({ status: 429, headers: { "retry-after": "30" }, body: { ok: false, error: "ratelimited" } });
    expect(await s.fail("slack_list_channels", {})).toEqual(expect.objectContaining({ code: "rate_limited", retry_after: 30, provider_status: 429 }));
  });

  it("internal_error → upstream_error; other codes → invalid_request with Slack's details", async () => {
    queue.push({ status: 200, body: { ok: false, error: "internal_error" } });
    expect(await s.fail("slack_list_users", {})).toMatchObject({ code: "upstream_error" });
    queue.push({ status: 200, body: { ok: false, error: "invalid_arguments", response_metadata: { messages: ["[ERROR] missing required field: channel"] } } });
    expect(await s.fail("slack_get_channel_history", { channel: "C01GENERAL" })).toMatchObject({
      code: "invalid_request",
      message: expect.stringMatching(/invalid_arguments.*missing required field: channel/),
    });
    expect(slack.interpret!({ status: 200, headers: {}, body: { ok: true, channels: [] } })).toBeNull();
  });
});

describe("slack metadata", () => {
  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(slack.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of slack.tools) {
      expect(t.name).toMatch(/^slack_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes.length).toBeGreaterThan(0);
    }
    expect(slack.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
    expect(slack.tools.find((t) => t.name === "slack_delete_message")!.annotations.destructiveHint).toBe(true);
    expect(slack.auth).toMatchObject({ kind: "oauth2", scopeSeparator: ",", pkce: false, baseScopes: ["users:read"], tokenUrl: "https://slack.com/api/oauth.v2.access" });
  });
});
