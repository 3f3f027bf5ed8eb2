import * as z from "zod";
import { retryAfterSeconds } from "@/lib/connectors/http";
import { ToolError, type ToolFailure } from "@/lib/connectors/errors";
import { defineConnector, defineTool, type ProviderAnswer } from "@/lib/connectors/types";

// Slack Web API (https://docs.slack.dev/apis/web-api/): RPC-style methods under
// https://slack.com/api/<method>. Reads are GET with query arguments; writes are POST with a JSON
// body. Slack answers most errors with HTTP 200 and `{ ok: false, error: "<code>" }`, so the
// connector classifies answers itself (`interpret`).
//
// Note: Slack asks for `Content-type: application/json; charset=utf-8` on JSON posts. ProviderHttp
// sends `application/json` (no charset); Slack accepts it and only adds a `missing_charset`
// warning to the answer, which the tools ignore.

type SlackReaction = { name: string; count: number; users?: string[] };
type SlackMessage = {
  type?: string;
  subtype?: string;
  ts: string;
  user?: string;
  bot_id?: string;
  username?: string;
  text?: string;
  thread_ts?: string;
  reply_count?: number;
  reply_users_count?: number;
  latest_reply?: string;
  reactions?: SlackReaction[];
  edited?: { user: string; ts: string };
};
type SlackChannel = {
  id: string;
  name?: string;
  is_channel?: boolean;
  is_group?: boolean;
  is_im?: boolean;
  is_mpim?: boolean;
  is_private?: boolean;
  is_archived?: boolean;
  is_general?: boolean;
  is_member?: boolean;
  user?: string;
  created: number;
  topic?: { value: string };
  purpose?: { value: string };
  num_members?: number;
};
type SlackUser = {
  id: string;
  team_id?: string;
  name: string;
  deleted?: boolean;
  real_name?: string;
  tz?: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
  is_app_user?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  profile?: { real_name?: string; display_name?: string; title?: string; email?: string; status_text?: string; status_emoji?: string; image_192?: string };
};
type Paged = { response_metadata?: { next_cursor?: string } };
type SlackErrorBody = { ok?: boolean; error?: string; needed?: string; provided?: string; response_metadata?: { messages?: string[] } };

/** `1712345678.000100` → ISO time (Slack message timestamps are Unix seconds plus a sequence). */
const tsToIso = (ts: string | undefined) => {
  const secs = Number((ts ?? "").split(".")[0]);
  return ts && Number.isFinite(secs) ? new Date(secs * 1000).toISOString() : null;
};
const nextCursor = (b: Paged) => b.response_metadata?.next_cursor || null;

const messageOut = (m: SlackMessage) => ({
  ts: m.ts,
  posted_at: tsToIso(m.ts),
  user: m.user ?? null,
  bot_id: m.bot_id ?? null,
  text: m.text ?? "",
  subtype: m.subtype ?? null,
  thread_ts: m.thread_ts ?? null,
  reply_count: m.reply_count ?? 0,
  latest_reply: m.latest_reply ?? null,
  reactions: (m.reactions ?? []).map((r) => ({ name: r.name, count: r.count, users: r.users ?? [] })),
  edited_at: m.edited ? tsToIso(m.edited.ts) : null,
});

const channelOut = (c: SlackChannel) => ({
  id: c.id,
  name: c.name ?? null,
  kind: c.is_im ? "im" : c.is_mpim ? "mpim" : c.is_private ? "private_channel" : "public_channel",
  is_private: Boolean(c.is_private),
  is_archived: Boolean(c.is_archived),
  is_general: Boolean(c.is_general),
  is_member: Boolean(c.is_member),
  ...(c.user ? { user: c.user } : {}),
  topic: c.topic?.value || null,
  purpose: c.purpose?.value || null,
  num_members: c.num_members ?? null,
  created_at: new Date(c.created * 1000).toISOString(),
});

const userOut = (u: SlackUser) => ({
  id: u.id,
  name: u.name,
  real_name: u.real_name ?? u.profile?.real_name ?? null,
  display_name: u.profile?.display_name || null,
  title: u.profile?.title || null,
  email: u.profile?.email ?? null,
  is_bot: Boolean(u.is_bot),
  is_admin: Boolean(u.is_admin),
  is_owner: Boolean(u.is_owner),
  is_guest: Boolean(u.is_restricted || u.is_ultra_restricted),
  deleted: Boolean(u.deleted),
  tz: u.tz ?? null,
  status: u.profile?.status_text || u.profile?.status_emoji ? { text: u.profile?.status_text ?? "", emoji: u.profile?.status_emoji ?? "" } : null,
  avatar_url: u.profile?.image_192 ?? null,
});

// Slack ids and timestamps.
const channelId = z.string().min(1).max(40).describe("Conversation ID, e.g. C0123ABCDEF (find it with slack_list_channels)");
const tsField = z
  .string()
  .regex(/^\d{1,10}(\.\d{1,6})?$/, "a Slack timestamp like 1712345678.000100")
  .describe("Slack message timestamp (the message's `ts`), e.g. 1712345678.000100");
const cursorField = z.string().min(1).max(500).optional().describe("next_cursor from the previous page; omit for the first page");
const rangeFields = {
  oldest: tsField.optional().describe("Only messages after this Unix timestamp (e.g. 1712300000 or a message ts)"),
  latest: tsField.optional().describe("Only messages before this Unix timestamp (default: now)"),
  inclusive: z.boolean().optional().describe("Include messages exactly at oldest/latest"),
};

// Error codes, from https://docs.slack.dev/apis/web-api/ and each method's "Errors" section.
const REAUTH = new Set(["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"]);
const NOT_FOUND = new Set(["channel_not_found", "user_not_found", "users_not_found", "message_not_found", "thread_not_found"]);
const SERVER_SIDE = new Set(["internal_error", "fatal_error", "service_unavailable"]);
const HINTS: Record<string, string> = {
  not_in_channel: "the app is not a member of this channel; someone must invite it (/invite @app) first",
  is_archived: "the channel is archived",
  cant_update_message: "only messages posted by this app can be edited",
  cant_delete_message: "only messages posted by this app can be deleted",
  edit_window_closed: "the workspace no longer allows editing this message",
  no_text: "the message needs text",
  msg_too_long: "the message text is too long",
  invalid_name: "no emoji has that name",
  too_many_reactions: "the message has too many reactions",
  invalid_cursor: "the cursor is invalid or expired; start again without it",
  restricted_action: "a workspace setting prevents this",
};
const NOT_FOUND_WHAT: Record<string, string> = {
  channel_not_found: "no conversation with that ID (or the app cannot see it)",
  user_not_found: "no user with that ID",
  users_not_found: "no user with that email address",
  message_not_found: "no message with that timestamp in this conversation",
  thread_not_found: "no message with that timestamp in this conversation",
};

/** Slack's `needed` field: the scope(s) the method wanted, comma-separated. */
const neededScopes = (body: unknown): string[] | null => {
  const needed = (body as SlackErrorBody | null)?.needed;
  const list = typeof needed === "string" ? needed.split(",").map((s) => s.trim()).filter(Boolean) : [];
  return list.length ? list : null;
};

export function interpretSlack({ status, headers, body }: ProviderAnswer): ToolFailure | null {
  const b = body && typeof body === "object" ? (body as SlackErrorBody) : null;
  if (status === 429 || b?.error === "ratelimited") {
    const retry = retryAfterSeconds(headers);
    return {
      code: "rate_limited",
      message: `Slack is rate limiting this method for this workspace${retry !== undefined ? `; retry after ${retry} s` : ""}.`,
      ...(retry !== undefined ? { retry_after: retry } : {}),
      provider_status: status,
    };
  }
  if (!b || b.ok !== false) return null;
  const error = typeof b.error === "string" && b.error ? b.error : "unknown_error";
  const details = (b.response_metadata?.messages ?? []).filter((m) => typeof m === "string").join("; ").slice(0, 300);
  if (REAUTH.has(error)) return { code: "reauth_required", message: `Slack rejected the credential (${error}).`, provider_status: status };
  if (error === "missing_scope") {
    const missing = neededScopes(b);
    return {
      code: "insufficient_scope",
      message: `The connection lacks the Slack scope(s) ${missing?.join(", ") ?? "this method needs"}. Reconnect with them granted.`,
      ...(missing ? { missing_scopes: missing } : {}),
      provider_status: status,
    };
  }
  if (NOT_FOUND.has(error)) return { code: "not_found", message: `Slack found nothing there: ${error} (${NOT_FOUND_WHAT[error]}).`, provider_status: status };
  if (SERVER_SIDE.has(error) || status >= 500) return { code: "upstream_error", message: `Slack had an error: ${error}.`, provider_status: status };
  const hint = HINTS[error];
  return {
    code: "invalid_request",
    message: `Slack rejected the request: ${error}${hint ? ` (${hint})` : ""}${details ? `. ${details}` : ""}.`,
    provider_status: status,
  };
}

export const slack = defineConnector({
  slug: "slack",
  name: "Slack",
  description: "Channels, messages, threads, reactions and people in a Slack workspace.",
  icon: `<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path fill="#E01E5A" d="M5.04 15.17a2.53 2.53 0 0 1-2.52 2.52A2.53 2.53 0 0 1 0 15.17a2.53 2.53 0 0 1 2.52-2.52h2.52zm1.27 0a2.53 2.53 0 0 1 2.52-2.52 2.53 2.53 0 0 1 2.52 2.52v6.31A2.53 2.53 0 0 1 8.83 24a2.53 2.53 0 0 1-2.52-2.52z"/><path fill="#36C5F0" d="M8.83 5.04a2.53 2.53 0 0 1-2.52-2.52A2.53 2.53 0 0 1 8.83 0a2.53 2.53 0 0 1 2.52 2.52v2.52zm0 1.27a2.53 2.53 0 0 1 2.52 2.52 2.53 2.53 0 0 1-2.52 2.52H2.52A2.53 2.53 0 0 1 0 8.83a2.53 2.53 0 0 1 2.52-2.52z"/><path fill="#2EB67D" d="M18.96 8.83a2.53 2.53 0 0 1 2.52-2.52A2.53 2.53 0 0 1 24 8.83a2.53 2.53 0 0 1-2.52 2.52h-2.52zm-1.27 0a2.53 2.53 0 0 1-2.52 2.52 2.53 2.53 0 0 1-2.52-2.52V2.52A2.53 2.53 0 0 1 15.17 0a2.53 2.53 0 0 1 2.52 2.52z"/><path fill="#ECB22E" d="M15.17 18.96a2.53 2.53 0 0 1 2.52 2.52A2.53 2.53 0 0 1 15.17 24a2.53 2.53 0 0 1-2.52-2.52v-2.52zm0-1.27a2.53 2.53 0 0 1-2.52-2.52 2.53 2.53 0 0 1 2.52-2.52h6.31A2.53 2.53 0 0 1 24 15.17a2.53 2.53 0 0 1-2.52 2.52z"/></svg>`,
  categories: ["communication", "chat"],
  docsUrl: "https://docs.slack.dev/apis/web-api/",
  auth: {
    kind: "oauth2",
    authorizeUrl: "https://slack.com/oauth/v2/authorize",
    tokenUrl: "https://slack.com/api/oauth.v2.access",
    revokeUrl: "https://slack.com/api/auth.revoke",
    pkce: false,
    scopeSeparator: ",",
    baseScopes: ["users:read"],
    tokenAuthMethod: "client_secret_post",
  },
  baseUrl: "https://slack.com/api",
  interpret: interpretSlack,
  missingScopes: ({ body }) => neededScopes(body),
  // auth.test needs no scope; label like "latchkey @ Acme Robotics".
  accountLabel: async ({ http }) => {
    const b = (await http.get<{ user?: string; team?: string }>("/auth.test")).body;
    if (!b.user) return b.team ?? null;
    return b.team ? `${b.user} @ ${b.team}` : b.user;
  },
  tools: [
    defineTool({
      name: "slack_list_channels",
      description:
        "List conversations in the workspace (public and private channels by default) with their IDs, topic, purpose, member count and whether the app is a member. Use the IDs with the other Slack tools. Paginate with next_cursor.",
      input: z.object({
        types: z
          .array(z.enum(["public_channel", "private_channel", "mpim", "im"]))
          .min(1)
          .max(4)
          .default(["public_channel", "private_channel"])
          .describe("Conversation types to include (private channels appear only if the app is a member)"),
        exclude_archived: z.boolean().default(true).describe("Leave out archived channels"),
        limit: z.number().int().min(1).max(1000).default(100).describe("Maximum channels per page (Slack may return fewer)"),
        cursor: cursorField,
      }),
      annotations: { title: "List channels", readOnlyHint: true, openWorldHint: true },
      scopes: ["channels:read", "groups:read"],
      handler: async (a, { http }) => {
        const b = (
          await http.get<{ channels: SlackChannel[] } & Paged>("/conversations.list", {
            types: [...new Set(a.types)].join(","),
            exclude_archived: a.exclude_archived,
            limit: a.limit,
            cursor: a.cursor,
          })
        ).body;
        return { channels: b.channels.map(channelOut), next_cursor: nextCursor(b) };
      },
    }),
    defineTool({
      name: "slack_get_channel_history",
      description:
        "Read the latest messages of a channel, newest first (thread replies are not included; read them with slack_get_thread_replies using a message's ts when reply_count > 0). Filter by time with oldest/latest; paginate with next_cursor.",
      input: z.object({
        channel: channelId,
        limit: z.number().int().min(1).max(999).default(50).describe("Maximum messages per page"),
        cursor: cursorField,
        ...rangeFields,
      }),
      annotations: { title: "Read channel history", readOnlyHint: true, openWorldHint: true },
      scopes: ["channels:history", "groups:history"],
      handler: async (a, { http }) => {
        const b = (
          await http.get<{ messages: SlackMessage[]; has_more?: boolean } & Paged>("/conversations.history", {
            channel: a.channel,
            limit: a.limit,
            cursor: a.cursor,
            oldest: a.oldest,
            latest: a.latest,
            inclusive: a.inclusive,
          })
        ).body;
        return { channel: a.channel, messages: b.messages.map(messageOut), has_more: Boolean(b.has_more), next_cursor: nextCursor(b) };
      },
    }),
    defineTool({
      name: "slack_get_thread_replies",
      description: "Read a thread: the parent message first, then its replies oldest first. Pass the parent message's ts. Paginate with next_cursor.",
      input: z.object({
        channel: channelId,
        ts: tsField.describe("ts of the thread's parent message"),
        limit: z.number().int().min(1).max(1000).default(100).describe("Maximum messages per page"),
        cursor: cursorField,
        ...rangeFields,
      }),
      annotations: { title: "Read thread replies", readOnlyHint: true, openWorldHint: true },
      scopes: ["channels:history", "groups:history"],
      handler: async (a, { http }) => {
        const b = (
          await http.get<{ messages: SlackMessage[]; has_more?: boolean } & Paged>("/conversations.replies", {
            channel: a.channel,
            ts: a.ts,
            limit: a.limit,
            cursor: a.cursor,
            oldest: a.oldest,
            latest: a.latest,
            inclusive: a.inclusive,
          })
        ).body;
        return { channel: a.channel, thread_ts: a.ts, messages: b.messages.map(messageOut), has_more: Boolean(b.has_more), next_cursor: nextCursor(b) };
      },
    }),
    defineTool({
      name: "slack_post_message",
      description:
        "Post a message to a channel as the app (Slack mrkdwn formatting: *bold*, _italic_, <https://example.com|link>, <@U0123> mentions). Give thread_ts (the parent message's ts) to reply in a thread. The app must be a member of the channel.",
      input: z.object({
        channel: z.string().min(1).max(80).describe("Conversation ID (preferred), or a public channel name like #general"),
        text: z.string().min(1).max(40000).describe("Message text (Slack mrkdwn)"),
        thread_ts: tsField.optional().describe("ts of the parent message to reply in its thread"),
        reply_broadcast: z.boolean().optional().describe("With thread_ts: also show the reply in the channel"),
        unfurl_links: z.boolean().optional().describe("Show link previews for text links"),
      }),
      annotations: { title: "Post message", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      scopes: ["chat:write"],
      handler: async (a, { http }) => {
        const b = (
          await http.post<{ channel: string; ts: string; message: SlackMessage }>("/chat.postMessage", {
            channel: a.channel,
            text: a.text,
            thread_ts: a.thread_ts,
            reply_broadcast: a.thread_ts ? a.reply_broadcast : undefined,
            unfurl_links: a.unfurl_links,
          })
        ).body;
        return { channel: b.channel, ts: b.ts, thread_ts: b.message?.thread_ts ?? null, text: b.message?.text ?? a.text, posted_at: tsToIso(b.ts) };
      },
    }),
    defineTool({
      name: "slack_update_message",
      description: "Replace the text of a message this app posted earlier (Slack only lets an app edit its own messages).",
      input: z.object({
        channel: channelId,
        ts: tsField.describe("ts of the message to edit"),
        text: z.string().min(1).max(40000).describe("The new message text (Slack mrkdwn)"),
      }),
      annotations: { title: "Edit message", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: ["chat:write"],
      handler: async (a, { http }) => {
        const b = (await http.post<{ channel: string; ts: string; text: string; message?: SlackMessage }>("/chat.update", { channel: a.channel, ts: a.ts, text: a.text })).body;
        return { channel: b.channel, ts: b.ts, text: b.text ?? b.message?.text ?? a.text, edited_at: b.message?.edited ? tsToIso(b.message.edited.ts) : null };
      },
    }),
    defineTool({
      name: "slack_delete_message",
      description: "Delete a message this app posted. This cannot be undone; a deleted thread parent leaves a 'This message was deleted.' placeholder.",
      input: z.object({ channel: channelId, ts: tsField.describe("ts of the message to delete") }),
      annotations: { title: "Delete message", readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      scopes: ["chat:write"],
      handler: async (a, { http }) => {
        const b = (await http.post<{ channel: string; ts: string }>("/chat.delete", { channel: a.channel, ts: a.ts })).body;
        return { channel: b.channel, ts: b.ts, deleted: true };
      },
    }),
    defineTool({
      name: "slack_add_reaction",
      description: "Add an emoji reaction to a message, e.g. name `thumbsup` or `white_check_mark`. Adding a reaction the app already added is a no-op.",
      input: z.object({
        channel: channelId,
        timestamp: tsField.describe("ts of the message to react to"),
        name: z
          .string()
          .min(1)
          .max(100)
          .describe("Emoji name without colons, e.g. thumbsup, eyes, white_check_mark (surrounding colons are stripped)"),
      }),
      annotations: { title: "Add reaction", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: ["reactions:write"],
      handler: async (a, { http }) => {
        const name = a.name.trim().replace(/^:+|:+$/g, "");
        try {
          await http.post("/reactions.add", { channel: a.channel, timestamp: a.timestamp, name });
        } catch (err) {
          // The reaction is already there: the state the caller asked for.
          if (err instanceof ToolError && err.failure.code === "invalid_request" && /\balready_reacted\b/.test(err.failure.message)) {
            return { channel: a.channel, timestamp: a.timestamp, name, added: false, already_reacted: true };
          }
          throw err;
        }
        return { channel: a.channel, timestamp: a.timestamp, name, added: true, already_reacted: false };
      },
    }),
    defineTool({
      name: "slack_list_users",
      description:
        "List the workspace's members (people, guests, bots; deactivated accounts are marked deleted) with IDs, names, titles and time zones. Emails appear when the connection has users:read.email. Paginate with next_cursor.",
      input: z.object({
        limit: z.number().int().min(1).max(1000).default(100).describe("Maximum users per page (Slack may return fewer)"),
        cursor: cursorField,
      }),
      annotations: { title: "List users", readOnlyHint: true, openWorldHint: true },
      scopes: ["users:read"],
      handler: async (a, { http }) => {
        const b = (await http.get<{ members: SlackUser[] } & Paged>("/users.list", { limit: a.limit, cursor: a.cursor })).body;
        return { users: b.members.map(userOut), next_cursor: nextCursor(b) };
      },
    }),
    defineTool({
      name: "slack_get_user",
      description: "Get one workspace member by user ID (e.g. U0123ABCD, as in a message's user field) or by email address. Give exactly one of user or email.",
      input: z
        .object({
          user: z.string().min(1).max(40).optional().describe("User ID, e.g. U0123ABCD"),
          email: z.email().max(254).optional().describe("Email address to look up (needs users:read.email)"),
        })
        .refine((v) => Boolean(v.user) !== Boolean(v.email), { message: "Give exactly one of user or email" }),
      annotations: { title: "Get user", readOnlyHint: true, openWorldHint: true },
      scopes: ["users:read", "users:read.email"],
      handler: async (a, { http }) => {
        const res = a.email
          ? await http.get<{ user: SlackUser }>("/users.lookupByEmail", { email: a.email })
          : await http.get<{ user: SlackUser }>("/users.info", { user: a.user });
        return userOut(res.body.user);
      },
    }),
  ],
});
