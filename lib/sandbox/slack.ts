import { bearer, defaultAuthorize, json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows the Slack Web API (https://docs.slack.dev/apis/web-api/) for the methods the Slack
// connector uses: `/<method>` below https://slack.com/api, GET (query) or POST (form or JSON)
// arguments, HTTP 200 with `{ ok: false, error }` for errors (auth errors included), cursor
// pagination through `response_metadata.next_cursor`, and the `x-oauth-scopes` /
// `x-accepted-oauth-scopes` headers. The app is a bot user ("latchkey") in the "Acme Robotics"
// workspace; every bot scope the connector asks for is granted.

type Profile = {
  title: string;
  phone: string;
  skype: string;
  real_name: string;
  real_name_normalized: string;
  display_name: string;
  display_name_normalized: string;
  status_text: string;
  status_emoji: string;
  status_expiration: number;
  avatar_hash: string;
  email?: string;
  image_24: string;
  image_72: string;
  image_192: string;
  image_512: string;
  team: string;
  bot_id?: string;
  api_app_id?: string;
  always_active?: boolean;
};
type User = {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  color: string;
  real_name: string;
  tz: string;
  tz_label: string;
  tz_offset: number;
  profile: Profile;
  is_admin: boolean;
  is_owner: boolean;
  is_primary_owner: boolean;
  is_restricted: boolean;
  is_ultra_restricted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  updated: number;
  is_email_confirmed: boolean;
  who_can_share_contact_card: string;
};
type Reaction = { name: string; users: string[]; count: number };
type Message = {
  type: "message";
  subtype?: string;
  ts: string;
  user: string;
  text: string;
  team: string;
  thread_ts?: string;
  reactions?: Reaction[];
  edited?: { user: string; ts: string };
  bot_id?: string;
  app_id?: string;
  hidden?: boolean;
};
type Channel = {
  id: string;
  name: string;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  created: number;
  creator: string;
  topic: string;
  purpose: string;
  members: string[];
  messages: Message[];
};

const TEAM = { id: "T0ACME42R", name: "Acme Robotics", domain: "acme-robotics" };
const BOT = { user: "U07LK3YBOT", bot_id: "B07LK3YAPP", app_id: "A07LK3YAPP", name: "latchkey" };
const GRANTED = [
  "channels:read",
  "channels:history",
  "groups:read",
  "groups:history",
  "chat:write",
  "reactions:write",
  "users:read",
  "users:read.email",
];

function seed() {
  const mkUser = (id: string, name: string, realName: string, o: Omit<Partial<User>, "profile"> & { profile?: Partial<Profile>; title?: string; email?: string } = {}): User => {
    const { title = "", email, profile, ...rest } = o;
    const avatar = (px: number) => `https://avatars.slack-edge.com/2024-01-10/${id.toLowerCase()}_${px}.png`;
    return {
      id,
      team_id: TEAM.id,
      name,
      deleted: false,
      color: "9f69e7",
      real_name: realName,
      tz: "America/Los_Angeles",
      tz_label: "Pacific Daylight Time",
      tz_offset: -25200,
      is_admin: false,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: false,
      is_app_user: false,
      updated: 1712000000,
      is_email_confirmed: Boolean(email),
      who_can_share_contact_card: "EVERYONE",
      ...rest,
      profile: {
        title,
        phone: "",
        skype: "",
        real_name: realName,
        real_name_normalized: realName,
        display_name: name,
        display_name_normalized: name,
        status_text: "",
        status_emoji: "",
        status_expiration: 0,
        avatar_hash: `g${id.slice(-6).toLowerCase()}`,
        ...(email ? { email } : {}),
        image_24: avatar(24),
        image_72: avatar(72),
        image_192: avatar(192),
        image_512: avatar(512),
        team: TEAM.id,
        ...profile,
      },
    };
  };
  const users: User[] = [
    mkUser("U02TOMBKR", "tom", "Tom Becker", { deleted: true, title: "Field Technician", email: "tom.becker@acme-robotics.example" }),
    mkUser("U03JONASWB", "jonas", "Jonas Weber", { title: "Staff Firmware Engineer", email: "jonas.weber@acme-robotics.example", tz: "Europe/Berlin", tz_label: "Central European Summer Time", tz_offset: 7200 }),
    mkUser("U03MAYACHN", "maya", "Maya Chen", { title: "Head of Engineering", email: "maya.chen@acme-robotics.example", is_admin: true, is_owner: true, is_primary_owner: true }),
    mkUser("U04PRIYARM", "priya", "Priya Raman", {
      title: "Product Manager",
      email: "priya.raman@acme-robotics.example",
      tz: "Europe/London",
      tz_label: "British Summer Time",
      tz_offset: 3600,
      profile: { status_text: "In planning sessions", status_emoji: ":calendar:" },
    }),
    mkUser("U05SAMOKFR", "sam", "Sam Okafor", { title: "Contract Designer", email: "sam@okafor-studio.example", is_restricted: true }),
    mkUser(BOT.user, BOT.name, "Latchkey", { is_bot: true, color: "4bbe2e", profile: { bot_id: BOT.bot_id, api_app_id: BOT.app_id, always_active: true } }),
    mkUser("USLACKBOT", "slackbot", "Slackbot", { color: "757575", tz: "America/Los_Angeles" }),
  ];
  const msg = (ts: string, user: string, text: string, extra: Partial<Message> = {}): Message => ({ type: "message", ts, user, text, team: TEAM.id, ...extra });
  const everyone = ["U03JONASWB", "U03MAYACHN", "U04PRIYARM", "U05SAMOKFR", BOT.user];
  const channels: Channel[] = [
    {
      id: "C01GENERAL",
      name: "general",
      is_private: false,
      is_archived: false,
      is_general: true,
      created: 1609459200,
      creator: "U03MAYACHN",
      topic: "Company-wide announcements",
      purpose: "This is the one channel that will always include everyone.",
      members: everyone,
      messages: [
        msg("1712345678.000100", "U03MAYACHN", "Welcome to Acme Robotics! :wave: Say hi in <#C01RANDOM0> and find engineering updates in #eng.", {
          reactions: [{ name: "wave", users: ["U03JONASWB", "U04PRIYARM"], count: 2 }],
        }),
        msg("1712349278.000200", "U03JONASWB", "Firmware v2.4.1 is rolled out to the pilot fleet. Release notes: <https://acme-robotics.example/releases/2.4.1>"),
        msg("1712349398.000300", "U04PRIYARM", "Nice! Any issues with the battery telemetry fix?", { thread_ts: "1712349278.000200" }),
        msg("1712349518.000400", "U03JONASWB", "None so far — I'll keep an eye on the dashboards today.", { thread_ts: "1712349278.000200" }),
        msg("1712352878.000500", "U04PRIYARM", "Reminder: the quarterly planning doc is due Friday. Please add your team's goals.", {
          reactions: [{ name: "eyes", users: ["U03MAYACHN"], count: 1 }],
        }),
        msg("1712356478.000600", "U05SAMOKFR", "Uploaded the new onboarding illustrations to the design drive :art:"),
      ],
    },
    {
      id: "C01RANDOM0",
      name: "random",
      is_private: false,
      is_archived: false,
      is_general: false,
      created: 1609459200,
      creator: "U03MAYACHN",
      topic: "",
      purpose: "Non-work banter and water cooler conversation",
      members: everyone,
      messages: [
        msg("1712340000.000100", "U03JONASWB", "Anyone up for lunch at the ramen place?", { reactions: [{ name: "ramen", users: ["U03MAYACHN", "U04PRIYARM"], count: 2 }] }),
        msg("1712343600.000200", "U03MAYACHN", "The office plants have been watered :seedling:"),
      ],
    },
    {
      id: "C02ENGPRIV",
      name: "eng",
      is_private: true,
      is_archived: false,
      is_general: false,
      created: 1640995200,
      creator: "U03MAYACHN",
      topic: "On call: @jonas",
      purpose: "Engineering team coordination",
      members: ["U03JONASWB", "U03MAYACHN", BOT.user],
      messages: [
        msg("1712360000.000100", "U03MAYACHN", "Incident review for Tuesday's lidar sensor outage is at 3pm."),
        msg("1712360120.000200", "U03JONASWB", "I'll bring the timeline.", { thread_ts: "1712360000.000100" }),
        msg("1712361000.000300", "U03JONASWB", "The motor controller refactor PR is ready for review."),
      ],
    },
    {
      id: "C02LAUNCH1",
      name: "launch-2023",
      is_private: false,
      is_archived: true,
      is_general: false,
      created: 1672531200,
      creator: "U04PRIYARM",
      topic: "",
      purpose: "Coordinating the 2023 product launch",
      members: ["U03JONASWB", "U03MAYACHN", "U04PRIYARM", BOT.user],
      messages: [msg("1690000000.000100", "U04PRIYARM", "Launch retro notes are pinned. Archiving this channel next week.")],
    },
    {
      id: "C03DESIGN0",
      name: "design",
      is_private: false,
      is_archived: false,
      is_general: false,
      created: 1672531200,
      creator: "U05SAMOKFR",
      topic: "Design reviews on Thursdays",
      purpose: "Brand, product and illustration work",
      members: ["U03MAYACHN", "U04PRIYARM", "U05SAMOKFR"],
      messages: [msg("1712330000.000100", "U05SAMOKFR", "Draft logo variations are up for feedback.")],
    },
  ];
  return { users, channels, lastTs: 0n };
}

// Slack timestamps (`1712345678.000100`) compared exactly: seconds and microseconds as one integer.
const tsValue = (ts: string): bigint | null => {
  const m = /^(\d{1,10})(?:\.(\d{1,6}))?$/.exec(ts);
  return m ? BigInt(m[1]!) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0")) : null;
};
const tsString = (v: bigint) => `${v / 1_000_000n}.${(v % 1_000_000n).toString().padStart(6, "0")}`;

const encodeCursor = (kind: string, key: string) => Buffer.from(`${kind}:${key}`).toString("base64");
const decodeCursor = (kind: string, cursor: string): string | null => {
  const raw = Buffer.from(cursor, "base64").toString("utf8");
  return raw.startsWith(`${kind}:`) ? raw.slice(kind.length + 1) : null;
};

type Args = Record<string, unknown>;
const str = (a: Args, k: string): string | undefined => {
  const v = a[k];
  if (v === undefined || v === null || v === "") return undefined;
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
};
const flag = (a: Args, k: string, dflt = false): boolean => {
  const v = a[k];
  if (v === undefined || v === null || v === "") return dflt;
  return v === true || v === 1 || v === "true" || v === "1";
};
const ok = (body: Record<string, unknown>) => json(200, { ok: true, ...body });
const fail = (error: string, extra: Record<string, unknown> = {}) => json(200, { ok: false, error, ...extra });
const missingArg = (name: string) => fail("invalid_arguments", { response_metadata: { messages: [`[ERROR] missing required field: ${name}`] } });

/** Cursor pagination the Slack way: `limit`, `cursor`, and `response_metadata.next_cursor` ("" at the end). */
function page<T>(items: T[], a: Args, o: { kind: string; key: (t: T) => string; reached: (t: T, key: string) => boolean; dflt: number; max: number }) {
  const raw = Number(str(a, "limit") ?? o.dflt);
  const limit = Number.isFinite(raw) && raw > 0 ? Math.min(Math.floor(raw), o.max) : o.dflt > 0 ? o.dflt : items.length || 1;
  let start = 0;
  const cursor = str(a, "cursor");
  if (cursor) {
    const key = decodeCursor(o.kind, cursor);
    if (key === null) return { error: fail("invalid_cursor") };
    start = items.findIndex((t) => o.reached(t, key));
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + limit);
  const next = items[start + limit];
  return { slice, next_cursor: next ? encodeCursor(o.kind, o.key(next)) : "" };
}

export function createSlackSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;

  const nextTs = () => {
    const now = BigInt(Date.now()) * 1000n;
    state.lastTs = now > state.lastTs ? now : state.lastTs + 1n;
    return tsString(state.lastTs);
  };
  const channelById = (id: string | undefined) => (id ? state.channels.find((c) => c.id === id) : undefined);
  const isMember = (c: Channel) => c.members.includes(BOT.user);
  /** A bot token cannot see private channels it is not in: they answer channel_not_found. */
  const visible = (c: Channel | undefined) => (c && (!c.is_private || isMember(c)) ? c : undefined);
  const userById = (id: string) => state.users.find((u) => u.id === id);

  const channelOut = (c: Channel) => ({
    id: c.id,
    name: c.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: c.is_private,
    created: c.created,
    is_archived: c.is_archived,
    is_general: c.is_general,
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_org_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: TEAM.id,
    updated: c.created * 1000,
    parent_conversation: null,
    creator: c.creator,
    is_ext_shared: false,
    shared_team_ids: [TEAM.id],
    pending_connected_team_ids: [],
    is_member: isMember(c),
    topic: { value: c.topic, creator: c.topic ? c.creator : "", last_set: c.topic ? c.created : 0 },
    purpose: { value: c.purpose, creator: c.purpose ? c.creator : "", last_set: c.purpose ? c.created : 0 },
    previous_names: [],
    num_members: c.members.length,
  });

  const repliesOf = (c: Channel, parentTs: string) => c.messages.filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
  /** A message as Slack returns it; thread parents carry the thread's summary fields. */
  const messageOut = (c: Channel, m: Message) => {
    const { reactions, ...rest } = m;
    const out: Record<string, unknown> = { ...rest, ...(reactions?.length ? { reactions } : {}) };
    const replies = repliesOf(c, m.ts);
    if (replies.length && (!m.thread_ts || m.thread_ts === m.ts)) {
      const replyUsers = [...new Set(replies.map((r) => r.user))];
      Object.assign(out, {
        thread_ts: m.ts,
        reply_count: replies.length,
        reply_users_count: replyUsers.length,
        latest_reply: replies[replies.length - 1]!.ts,
        reply_users: replyUsers.slice(0, 5),
        is_locked: false,
        subscribed: false,
      });
    } else if (m.thread_ts && m.thread_ts !== m.ts) {
      out.parent_user_id = c.messages.find((p) => p.ts === m.thread_ts)?.user;
    }
    return out;
  };
  const cmpTs = (a: string, b: string) => {
    const d = (tsValue(a) ?? 0n) - (tsValue(b) ?? 0n);
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  };
  /** oldest/latest/inclusive filtering shared by conversations.history and conversations.replies. */
  const inRange = (a: Args): ((m: Message) => boolean) | { error: SandboxResponse } => {
    const oldestRaw = str(a, "oldest") ?? "0";
    const latestRaw = str(a, "latest");
    const oldest = tsValue(oldestRaw);
    if (oldest === null) return { error: fail("invalid_ts_oldest") };
    const latest = latestRaw === undefined ? null : tsValue(latestRaw);
    if (latestRaw !== undefined && latest === null) return { error: fail("invalid_ts_latest") };
    const inclusive = flag(a, "inclusive");
    return (m) => {
      const v = tsValue(m.ts)!;
      const afterOldest = inclusive ? v >= oldest : v > oldest;
      const beforeLatest = latest === null ? true : inclusive ? v <= latest : v < latest;
      return afterOldest && beforeLatest;
    };
  };
  const findMessage = (c: Channel, ts: string | undefined) => (ts ? c.messages.find((m) => m.ts === ts) : undefined);
  /** Resolves chat.* `channel` arguments: an ID, or a channel name with or without '#'. */
  const resolveChannel = (v: string | undefined) => {
    if (!v) return undefined;
    const byId = visible(channelById(v));
    if (byId) return byId;
    const name = v.replace(/^#/, "").toLowerCase();
    return visible(state.channels.find((c) => c.name === name));
  };
  const warnings = (req: SandboxRequest) =>
    /application\/json/i.test(req.headers["content-type"] ?? "") && !/charset=/i.test(req.headers["content-type"] ?? "")
      ? { warning: "missing_charset", response_metadata: { warnings: ["missing_charset"] } }
      : {};

  type Method = { scopes: string[]; run: (a: Args, req: SandboxRequest) => SandboxResponse };
  const methods: Record<string, Method> = {
    "auth.test": {
      scopes: [],
      run: () => ok({ url: `https://${TEAM.domain}.slack.com/`, team: TEAM.name, user: BOT.name, team_id: TEAM.id, user_id: BOT.user, bot_id: BOT.bot_id, is_enterprise_install: false }),
    },
    "conversations.list": {
      scopes: ["channels:read", "groups:read", "im:read", "mpim:read"],
      run: (a) => {
        const types = (str(a, "types") ?? "public_channel").split(",").map((t) => t.trim()).filter(Boolean);
        if (!types.length || types.some((t) => !["public_channel", "private_channel", "mpim", "im"].includes(t))) return fail("invalid_types");
        const excludeArchived = flag(a, "exclude_archived");
        const list = state.channels
          .filter((c) => (c.is_private ? types.includes("private_channel") && isMember(c) : types.includes("public_channel")))
          .filter((c) => !excludeArchived || !c.is_archived)
          .sort((x, y) => x.id.localeCompare(y.id));
        const p = page(list, a, { kind: "team", key: (c) => c.id, reached: (c, key) => c.id >= key, dflt: 100, max: 1000 });
        if ("error" in p) return p.error!;
        return ok({ channels: p.slice.map(channelOut), response_metadata: { next_cursor: p.next_cursor } });
      },
    },
    "conversations.history": {
      scopes: ["channels:history", "groups:history", "im:history", "mpim:history"],
      run: (a) => {
        const id = str(a, "channel");
        if (!id) return fail("channel_not_found");
        const c = visible(channelById(id));
        if (!c) return fail("channel_not_found");
        if (!isMember(c)) return fail("not_in_channel");
        const range = inRange(a);
        if ("error" in range) return range.error;
        // Top-level messages and broadcast replies, newest first.
        const list = c.messages
          .filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === "thread_broadcast")
          .filter(range)
          .sort((x, y) => cmpTs(y.ts, x.ts));
        const p = page(list, a, { kind: "next_ts", key: (m) => m.ts, reached: (m, key) => cmpTs(m.ts, key) <= 0, dflt: 100, max: 999 });
        if ("error" in p) return p.error!;
        return ok({
          messages: p.slice.map((m) => messageOut(c, m)),
          has_more: p.next_cursor !== "",
          pin_count: 0,
          channel_actions_ts: null,
          channel_actions_count: 0,
          ...(p.next_cursor ? { response_metadata: { next_cursor: p.next_cursor } } : {}),
        });
      },
    },
    "conversations.replies": {
      scopes: ["channels:history", "groups:history", "im:history", "mpim:history"],
      run: (a) => {
        const id = str(a, "channel");
        if (!id) return fail("channel_not_found");
        const c = visible(channelById(id));
        if (!c) return fail("channel_not_found");
        if (!isMember(c)) return fail("not_in_channel");
        const ts = str(a, "ts");
        if (!ts) return missingArg("ts");
        const hit = findMessage(c, ts);
        if (!hit) return fail("thread_not_found");
        const parent = hit.thread_ts && hit.thread_ts !== hit.ts ? findMessage(c, hit.thread_ts) : hit;
        if (!parent) return fail("thread_not_found");
        const range = inRange(a);
        if ("error" in range) return range.error;
        // The parent first, then its replies oldest first.
        const list = [parent, ...repliesOf(c, parent.ts).sort((x, y) => cmpTs(x.ts, y.ts))].filter((m) => m === parent || range(m));
        const p = page(list, a, { kind: "next_ts", key: (m) => m.ts, reached: (m, key) => cmpTs(m.ts, key) >= 0, dflt: 1000, max: 1000 });
        if ("error" in p) return p.error!;
        return ok({
          messages: p.slice.map((m) => messageOut(c, m)),
          has_more: p.next_cursor !== "",
          ...(p.next_cursor ? { response_metadata: { next_cursor: p.next_cursor } } : {}),
        });
      },
    },
    "chat.postMessage": {
      scopes: ["chat:write"],
      run: (a, req) => {
        const c = resolveChannel(str(a, "channel"));
        if (!c) return fail("channel_not_found");
        if (c.is_archived) return fail("is_archived");
        if (!isMember(c)) return fail("not_in_channel");
        const text = str(a, "text") ?? "";
        if (!text.trim() && a.blocks === undefined && a.attachments === undefined) return fail("no_text");
        if (text.length > 40000) return fail("msg_too_long");
        let threadTs = str(a, "thread_ts");
        if (threadTs) {
          // Slack's documented errors do not cover an unknown thread_ts; the sandbox refuses it
          // rather than create an orphan reply (uncertain: production may accept the post).
          const parent = findMessage(c, threadTs);
          if (!parent) return fail("thread_not_found");
          threadTs = parent.thread_ts ?? parent.ts; // a reply's ts resolves to its thread
        }
        const m: Message = {
          type: "message",
          ...(threadTs && flag(a, "reply_broadcast") ? { subtype: "thread_broadcast" } : {}),
          ts: nextTs(),
          user: BOT.user,
          text,
          team: TEAM.id,
          bot_id: BOT.bot_id,
          app_id: BOT.app_id,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        };
        c.messages.push(m);
        return ok({
          channel: c.id,
          ts: m.ts,
          message: {
            ...messageOut(c, m),
            bot_profile: { id: BOT.bot_id, app_id: BOT.app_id, name: "Latchkey", deleted: false, updated: 1712000000, team_id: TEAM.id },
          },
          ...warnings(req),
        });
      },
    },
    "chat.update": {
      scopes: ["chat:write"],
      run: (a, req) => {
        const c = visible(channelById(str(a, "channel")));
        if (!c) return fail("channel_not_found");
        const ts = str(a, "ts");
        if (!ts) return missingArg("ts");
        const m = findMessage(c, ts);
        if (!m || m.subtype === "tombstone") return fail("message_not_found");
        if (m.user !== BOT.user) return fail("cant_update_message");
        if (c.is_archived) return fail("is_archived");
        const text = str(a, "text") ?? "";
        if (!text.trim() && a.blocks === undefined && a.attachments === undefined) return fail("no_text");
        if (text.length > 40000) return fail("msg_too_long");
        m.text = text;
        m.edited = { user: BOT.user, ts: nextTs() };
        return ok({ channel: c.id, ts: m.ts, text: m.text, message: messageOut(c, m), ...warnings(req) });
      },
    },
    "chat.delete": {
      scopes: ["chat:write"],
      run: (a, req) => {
        const c = visible(channelById(str(a, "channel")));
        if (!c) return fail("channel_not_found");
        const m = findMessage(c, str(a, "ts"));
        if (!m || m.subtype === "tombstone") return fail("message_not_found");
        if (m.user !== BOT.user) return fail("cant_delete_message");
        if (repliesOf(c, m.ts).length && (!m.thread_ts || m.thread_ts === m.ts)) {
          // A thread parent with replies leaves a tombstone so the thread stays readable.
          Object.assign(m, { subtype: "tombstone", text: "This message was deleted.", user: "USLACKBOT", hidden: true });
          delete m.bot_id;
          delete m.app_id;
          delete m.reactions;
          delete m.edited;
        } else {
          c.messages = c.messages.filter((x) => x !== m);
        }
        return ok({ channel: c.id, ts: m.ts, ...warnings(req) });
      },
    },
    "reactions.add": {
      scopes: ["reactions:write"],
      run: (a, req) => {
        const channel = str(a, "channel");
        const ts = str(a, "timestamp");
        if (!channel || !ts) return fail("no_item_specified");
        const c = visible(channelById(channel));
        if (!c) return fail("channel_not_found");
        if (c.is_archived) return fail("is_archived");
        const name = str(a, "name");
        if (!name) return missingArg("name");
        // Any well-formed emoji name (optionally with a skin tone) counts as known here.
        if (!/^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/.test(name)) return fail("invalid_name");
        const m = findMessage(c, ts);
        if (!m || m.subtype === "tombstone") return fail("message_not_found");
        const reactions = (m.reactions ??= []);
        const r = reactions.find((x) => x.name === name);
        if (r?.users.includes(BOT.user)) return fail("already_reacted");
        if (!r && reactions.length >= 50) return fail("too_many_reactions");
        if (r) {
          r.users.push(BOT.user);
          r.count++;
        } else reactions.push({ name, users: [BOT.user], count: 1 });
        return ok({ ...warnings(req) });
      },
    },
    "users.list": {
      scopes: ["users:read"],
      run: (a) => {
        const list = [...state.users].sort((x, y) => x.id.localeCompare(y.id));
        // Without a limit Slack returns every member at once (discouraged for large workspaces).
        const p = page(list, a, { kind: "user", key: (u) => u.id, reached: (u, key) => u.id >= key, dflt: 0, max: 1000 });
        if ("error" in p) return p.error!;
        return ok({ members: p.slice, cache_ts: Math.floor(Date.now() / 1000), response_metadata: { next_cursor: p.next_cursor } });
      },
    },
    "users.info": {
      scopes: ["users:read"],
      run: (a) => {
        const u = userById(str(a, "user") ?? "");
        return u ? ok({ user: u }) : fail("user_not_found");
      },
    },
    "users.lookupByEmail": {
      scopes: ["users:read.email"],
      run: (a) => {
        const email = str(a, "email")?.toLowerCase();
        if (!email) return missingArg("email");
        const u = state.users.find((x) => !x.deleted && x.profile.email?.toLowerCase() === email);
        return u ? ok({ user: u }) : fail("users_not_found");
      },
    },
  };

  return {
    slug: "slack",
    reset: () => {
      state = seed();
    },
    async handle(req): Promise<SandboxResponse> {
      const name = /^\/([A-Za-z]+(?:\.[A-Za-z]+)+)$/.exec(req.path)?.[1];
      const method = name ? methods[name] : undefined;
      if (!method) return json(404, { ok: false, error: "unknown_method", req_method: name ?? req.path.replace(/^\//, "") });
      if (!["GET", "POST"].includes(req.method.toUpperCase())) return json(405, { ok: false, error: "method_not_allowed" });
      // Arguments come from the query string and the body (form or JSON), like Slack reads them.
      if (typeof req.body === "string" && /application\/json/i.test(req.headers["content-type"] ?? "")) return fail("invalid_json");
      const args: Args = { ...Object.fromEntries(req.query), ...(req.body && typeof req.body === "object" && !Array.isArray(req.body) ? (req.body as Args) : {}) };
      const token = bearer(req) ?? str(args, "token");
      const headers = { "x-oauth-scopes": GRANTED.join(","), "x-accepted-oauth-scopes": method.scopes.join(",") };
      // Slack reports credential problems as HTTP 200 with ok:false, not as 401.
      if (!token) return { ...fail("not_authed"), headers };
      if (!(await authorize(token, req))) {
        const error = token.startsWith("expired_") ? "token_expired" : token.startsWith("revoked_") ? "token_revoked" : "invalid_auth";
        return { ...fail(error), headers };
      }
      const out = method.run(args, req);
      return { ...out, headers: { ...headers, ...(out.headers ?? {}) } };
    },
  };
}
