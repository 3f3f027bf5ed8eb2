import { randomUUID } from "node:crypto";
import * as z from "zod";
import { googleInterpret, googleOAuth } from "@/lib/connectors/google-shared";
import { ToolError } from "@/lib/connectors/errors";
import type { ProviderHttp } from "@/lib/connectors/http";
import { defineConnector, defineTool } from "@/lib/connectors/types";

// Gmail API v1 (https://developers.google.com/gmail/api/reference/rest).

const SCOPE = {
  readonly: "https://www.googleapis.com/auth/gmail.readonly",
  send: "https://www.googleapis.com/auth/gmail.send",
  modify: "https://www.googleapis.com/auth/gmail.modify",
  compose: "https://www.googleapis.com/auth/gmail.compose",
};

type GHeader = { name: string; value: string };
type GPart = { partId?: string; mimeType?: string; filename?: string; headers?: GHeader[]; body?: { size?: number; data?: string; attachmentId?: string }; parts?: GPart[] };
type GMessage = { id: string; threadId: string; labelIds?: string[]; snippet?: string; historyId?: string; internalDate?: string; sizeEstimate?: number; payload?: GPart };

// ---- reading ---------------------------------------------------------------------------------

const headerOf = (headers: GHeader[] | undefined, name: string) => headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? null;

/** Gmail escapes HTML in snippets (`&#39;`, `&amp;`, …). */
function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return named[e.toLowerCase()] ?? m;
  });
}

function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, "")
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/(p|div|tr|li|h[1-6]|table|blockquote)>/gi, "\n")
      .replace(/<li[^>]*>/gi, "• ")
      .replace(/<[^>]+>/g, ""),
  )
    .replace(/[ \t\f\v]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

const decodeData = (data: string) => Buffer.from(data, "base64url").toString("utf8");

/** Depth-first: the first inline (non-attachment) part of a MIME type, and every attachment. */
function walk(part: GPart | undefined, out: { text?: string; html?: string; attachments: { filename: string; mime_type: string; size: number; attachment_id: string | null }[] }) {
  if (!part) return out;
  const mime = (part.mimeType ?? "").toLowerCase();
  if (part.filename) {
    out.attachments.push({ filename: part.filename, mime_type: part.mimeType ?? "application/octet-stream", size: part.body?.size ?? 0, attachment_id: part.body?.attachmentId ?? null });
  } else if (mime === "text/plain" && out.text === undefined && part.body?.data) {
    out.text = decodeData(part.body.data);
  } else if (mime === "text/html" && out.html === undefined && part.body?.data) {
    out.html = decodeData(part.body.data);
  }
  for (const p of part.parts ?? []) walk(p, out);
  return out;
}

const listOut = (m: GMessage) => {
  const h = m.payload?.headers;
  return {
    id: m.id,
    thread_id: m.threadId,
    from: headerOf(h, "From"),
    to: headerOf(h, "To"),
    subject: headerOf(h, "Subject"),
    date: headerOf(h, "Date"),
    snippet: m.snippet ? decodeEntities(m.snippet) : "",
    label_ids: m.labelIds ?? [],
    unread: (m.labelIds ?? []).includes("UNREAD"),
  };
};

/** Runs `fn` over `items` with at most `limit` in flight (Gmail limits concurrent requests per user). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---- writing (RFC 2822 / MIME) ---------------------------------------------------------------

const ADDRESS = /^(?:[^\r\n<>]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@,;]+@[^\s<>@,;]+)$/;
const address = z.string().trim().min(3).max(320).regex(ADDRESS, "Use an address like jane@example.com or Jane Doe <jane@example.com>");
const messageIdHeader = z
  .string()
  .trim()
  .max(998)
  .regex(/^<[^\s<>]+>$/, "A Message-ID in angle brackets, e.g. <CAF=abc@mail.gmail.com>");

const ASCII = /^[\x20-\x7e]*$/;

/** RFC 2047 encoded words (UTF-8, base64), each at most 75 characters, for non-ASCII header text. */
function encodeWords(text: string): string {
  if (ASCII.test(text)) return text;
  const words: string[] = [];
  let chunk = "";
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString("base64")}?=`).join("\r\n ");
}

function formatAddress(a: string): string {
  const m = /^(.*?)\s*<([^>]+)>$/.exec(a);
  if (!m) return a;
  const name = m[1]!.trim().replace(/^"(.*)"$/, "$1");
  if (!name) return `<${m[2]}>`;
  if (!ASCII.test(name)) return `${encodeWords(name)} <${m[2]}>`;
  return /[()<>\[\]:;@\\,."]/.test(name) ? `"${name.replace(/(["\\])/g, "\\$1")}" <${m[2]}>` : `${name} <${m[2]}>`;
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");
const base64Lines = (s: string) => (Buffer.from(s, "utf8").toString("base64").match(/.{1,76}/g) ?? [""]).join("\r\n");

export type OutgoingMail = { to: string[]; cc?: string[]; bcc?: string[]; subject: string; body: string; html_body?: string; in_reply_to?: string; references?: string };

/** An RFC 2822 message (CRLF line ends), UTF-8 bodies in base64; Gmail adds From, Date and Message-ID. */
export function buildMime(m: OutgoingMail, boundary = `latchkey_${randomUUID().replace(/-/g, "")}`): string {
  const lines: string[] = [];
  lines.push(`To: ${m.to.map(formatAddress).join(", ")}`);
  if (m.cc?.length) lines.push(`Cc: ${m.cc.map(formatAddress).join(", ")}`);
  if (m.bcc?.length) lines.push(`Bcc: ${m.bcc.map(formatAddress).join(", ")}`);
  lines.push(`Subject: ${encodeWords(oneLine(m.subject))}`);
  if (m.in_reply_to) {
    lines.push(`In-Reply-To: ${m.in_reply_to}`);
    lines.push(`References: ${oneLine(m.references ?? m.in_reply_to)}`);
  }
  lines.push("MIME-Version: 1.0");
  const textPart = [`Content-Type: text/plain; charset="UTF-8"`, "Content-Transfer-Encoding: base64", "", base64Lines(m.body)];
  if (m.html_body === undefined) {
    lines.push(...textPart);
  } else {
    lines.push(`Content-Type: multipart/alternative; boundary="${boundary}"`, "");
    lines.push(`--${boundary}`, ...textPart);
    lines.push(`--${boundary}`, `Content-Type: text/html; charset="UTF-8"`, "Content-Transfer-Encoding: base64", "", base64Lines(m.html_body));
    lines.push(`--${boundary}--`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

const raw = (m: OutgoingMail) => Buffer.from(buildMime(m), "utf8").toString("base64url");

const composeInput = {
  to: z.array(address).min(1).max(100).describe("Recipients: jane@example.com or Jane Doe <jane@example.com>"),
  cc: z.array(address).max(100).optional(),
  bcc: z.array(address).max(100).optional(),
  subject: z.string().max(998).describe("Subject line; for a reply use the original subject prefixed with Re:"),
  body: z.string().max(500_000).describe("Plain-text body"),
  html_body: z.string().max(1_000_000).optional().describe("Optional HTML version of the body (sent as multipart/alternative with the plain text)"),
  thread_id: z.string().min(1).max(64).optional().describe("For a reply: the thread_id of the message being answered (from gmail_get_message)"),
  in_reply_to: messageIdHeader.optional().describe("For a reply: the message_id_header of the message being answered (from gmail_get_message); sets In-Reply-To"),
  references: z.string().max(8000).optional().describe("For a reply: that message's references followed by its message_id_header (defaults to in_reply_to)"),
};
type ComposeArgs = { to: string[]; cc?: string[]; bcc?: string[]; subject: string; body: string; html_body?: string; in_reply_to?: string; references?: string };
const outgoing = (a: ComposeArgs): OutgoingMail => ({ to: a.to, cc: a.cc, bcc: a.bcc, subject: a.subject, body: a.body, html_body: a.html_body, in_reply_to: a.in_reply_to, references: a.references });

const messageId = z.string().min(1).max(64).describe("Gmail message id (from gmail_list_messages)");
const METADATA_HEADERS = ["From", "To", "Subject", "Date"];

async function profileEmail(http: ProviderHttp) {
  return (await http.get<{ emailAddress: string }>("/users/me/profile")).body.emailAddress;
}

export const gmail = defineConnector({
  slug: "gmail",
  name: "Gmail",
  description: "Search, read, send and organize email in Gmail.",
  icon: `<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M2 6.5V18a1.5 1.5 0 0 0 1.5 1.5H6V10l6 4.5 6-4.5v9.5h2.5A1.5 1.5 0 0 0 22 18V6.5l-2.4-1.8A1.5 1.5 0 0 0 18 5l-6 4.5L6 5a1.5 1.5 0 0 0-1.6-.3z" fill="#EA4335"/><path d="M6 19.5V10L2 7v11a1.5 1.5 0 0 0 1.5 1.5z" fill="#4285F4"/><path d="M18 19.5V10l4-3v11a1.5 1.5 0 0 1-1.5 1.5z" fill="#34A853"/><path d="M18 5v5l4-3V6.5A1.5 1.5 0 0 0 19.6 5.3z" fill="#FBBC04"/></svg>`,
  categories: ["communication", "email"],
  docsUrl: "https://developers.google.com/gmail/api/reference/rest",
  auth: googleOAuth(),
  baseUrl: "https://gmail.googleapis.com/gmail/v1",
  interpret: googleInterpret("Gmail"),
  accountLabel: async ({ http }) => (await profileEmail(http)) ?? null,
  tools: [
    defineTool({
      name: "gmail_get_profile",
      description: "Get the Gmail account this connection belongs to: its address and message/thread totals.",
      input: z.object({}),
      annotations: { title: "Who am I on Gmail", readOnlyHint: true, openWorldHint: true },
      scopes: [SCOPE.readonly],
      handler: async (_a, { http }) => {
        const p = (await http.get<{ emailAddress: string; messagesTotal: number; threadsTotal: number; historyId: string }>("/users/me/profile")).body;
        return { email: p.emailAddress, messages_total: p.messagesTotal, threads_total: p.threadsTotal, history_id: p.historyId };
      },
    }),
    defineTool({
      name: "gmail_list_messages",
      description:
        "Search or list messages, newest first, with sender, recipients, subject, date and snippet. `q` takes Gmail search syntax, e.g. `from:alice is:unread`, `subject:invoice newer_than:7d`, `in:sent`. Spam and trash are left out unless include_spam_trash is true.",
      input: z.object({
        q: z.string().min(1).max(1024).optional().describe("Gmail search query, as typed in the Gmail search box"),
        label_ids: z.array(z.string().min(1).max(128)).max(20).optional().describe("Only messages with all these label ids (e.g. INBOX, UNREAD, or Label_… ids from gmail_list_labels)"),
        include_spam_trash: z.boolean().default(false),
        max_results: z.number().int().min(1).max(50).default(20).describe("Messages per page (max 50; each one's headers are fetched too)"),
        page_token: z.string().min(1).max(1024).optional().describe("next_page_token from a previous call with the same filters"),
      }),
      annotations: { title: "List messages", readOnlyHint: true, openWorldHint: true },
      scopes: [SCOPE.readonly],
      handler: async (a, { http }) => {
        const res = await http.get<{ messages?: { id: string; threadId: string }[]; nextPageToken?: string; resultSizeEstimate?: number }>("/users/me/messages", {
          q: a.q,
          labelIds: a.label_ids,
          includeSpamTrash: a.include_spam_trash || undefined,
          maxResults: a.max_results,
          pageToken: a.page_token,
        });
        const ids = (res.body.messages ?? []).slice(0, a.max_results);
        const messages = await mapLimit(ids, 8, async ({ id }) => {
          try {
            return (await http.get<GMessage>(`/users/me/messages/${encodeURIComponent(id)}`, { format: "metadata", metadataHeaders: METADATA_HEADERS })).body;
          } catch (e) {
            // Deleted between the list and the fetch: leave it out rather than fail the page.
            if (e instanceof ToolError && e.failure.code === "not_found") return null;
            throw e;
          }
        });
        return {
          messages: messages.filter((m): m is GMessage => m !== null).map(listOut),
          next_page_token: res.body.nextPageToken ?? null,
          result_size_estimate: res.body.resultSizeEstimate ?? 0,
        };
      },
    }),
    defineTool({
      name: "gmail_get_message",
      description:
        "Read one message: headers, labels and the body as plain text (converted from HTML when there is no text part), plus its attachments' names. Returns message_id_header and references for replying with gmail_send_message.",
      input: z.object({
        message_id: messageId,
        include_html: z.boolean().default(false).describe("Also return the HTML body when there is one"),
        max_body_chars: z.number().int().min(100).max(200_000).default(20_000).describe("Longer bodies are cut (truncated: true)"),
      }),
      annotations: { title: "Get message", readOnlyHint: true, openWorldHint: true },
      scopes: [SCOPE.readonly],
      handler: async (a, { http }) => {
        const m = (await http.get<GMessage>(`/users/me/messages/${encodeURIComponent(a.message_id)}`, { format: "full" })).body;
        const h = m.payload?.headers;
        const found = walk(m.payload, { attachments: [] });
        const full = found.text ?? (found.html !== undefined ? htmlToText(found.html) : "");
        const cut = (s: string) => s.slice(0, a.max_body_chars);
        return {
          ...listOut(m),
          cc: headerOf(h, "Cc"),
          reply_to: headerOf(h, "Reply-To"),
          message_id_header: headerOf(h, "Message-ID") ?? headerOf(h, "Message-Id"),
          in_reply_to: headerOf(h, "In-Reply-To"),
          references: headerOf(h, "References"),
          internal_date: m.internalDate ? new Date(Number(m.internalDate)).toISOString() : null,
          body: cut(full),
          body_source: found.text !== undefined ? "text/plain" : found.html !== undefined ? "text/html" : null,
          truncated: full.length > a.max_body_chars || (a.include_html && (found.html?.length ?? 0) > a.max_body_chars),
          ...(a.include_html ? { body_html: found.html !== undefined ? cut(found.html) : null } : {}),
          attachments: found.attachments,
        };
      },
    }),
    defineTool({
      name: "gmail_send_message",
      description:
        "Send an email from the user's Gmail account. To reply within a thread, first read the message with gmail_get_message and pass its thread_id, message_id_header (as in_reply_to) and a `Re:` subject.",
      input: z.object(composeInput),
      annotations: { title: "Send email", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      scopes: [SCOPE.send],
      handler: async (a, { http }) => {
        const sent = (await http.post<GMessage>("/users/me/messages/send", { raw: raw(outgoing(a)), threadId: a.thread_id })).body;
        return { id: sent.id, thread_id: sent.threadId, label_ids: sent.labelIds ?? [] };
      },
    }),
    defineTool({
      name: "gmail_create_draft",
      description: "Save an email as a draft in the user's Gmail (not sent), e.g. for the user to review. Reply drafts take thread_id and in_reply_to like gmail_send_message.",
      input: z.object(composeInput),
      annotations: { title: "Create draft", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      scopes: [SCOPE.compose],
      handler: async (a, { http }) => {
        const d = (await http.post<{ id: string; message: GMessage }>("/users/me/drafts", { message: { raw: raw(outgoing(a)), threadId: a.thread_id } })).body;
        return { draft_id: d.id, message_id: d.message.id, thread_id: d.message.threadId, label_ids: d.message.labelIds ?? [] };
      },
    }),
    defineTool({
      name: "gmail_list_labels",
      description: "List the mailbox's labels (system ones such as INBOX, UNREAD, STARRED and the user's own) with the ids other Gmail tools take.",
      input: z.object({}),
      annotations: { title: "List labels", readOnlyHint: true, openWorldHint: true },
      scopes: [SCOPE.readonly],
      handler: async (_a, { http }) => {
        const res = await http.get<{ labels?: { id: string; name: string; type?: string }[] }>("/users/me/labels");
        return { labels: (res.body.labels ?? []).map((l) => ({ id: l.id, name: l.name, type: l.type ?? "user" })) };
      },
    }),
    defineTool({
      name: "gmail_modify_message_labels",
      description:
        "Add or remove labels on a message: e.g. mark read (remove UNREAD), star (add STARRED), archive (remove INBOX), or file under a user label (its id from gmail_list_labels).",
      input: z
        .object({
          message_id: messageId,
          add_label_ids: z.array(z.string().min(1).max(128)).max(100).default([]).describe("Label ids to add"),
          remove_label_ids: z.array(z.string().min(1).max(128)).max(100).default([]).describe("Label ids to remove"),
        })
        .refine((a) => a.add_label_ids.length + a.remove_label_ids.length > 0, "Give at least one label to add or remove"),
      annotations: { title: "Change message labels", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: [SCOPE.modify],
      handler: async (a, { http }) => {
        const m = (await http.post<GMessage>(`/users/me/messages/${encodeURIComponent(a.message_id)}/modify`, { addLabelIds: a.add_label_ids, removeLabelIds: a.remove_label_ids })).body;
        return { id: m.id, thread_id: m.threadId, label_ids: m.labelIds ?? [] };
      },
    }),
    defineTool({
      name: "gmail_trash_message",
      description: "Move a message to the trash (Gmail deletes trashed mail for good after 30 days).",
      input: z.object({ message_id: messageId }),
      annotations: { title: "Trash message", readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      scopes: [SCOPE.modify],
      handler: async (a, { http }) => {
        const m = (await http.post<GMessage>(`/users/me/messages/${encodeURIComponent(a.message_id)}/trash`)).body;
        return { id: m.id, thread_id: m.threadId, label_ids: m.labelIds ?? [], trashed: (m.labelIds ?? []).includes("TRASH") };
      },
    }),
  ],
});
