import { SandboxRouter, bearer, defaultAuthorize, json } from "@/lib/sandbox/router";
import { googleUnauthenticated } from "@/lib/sandbox/google-shared";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows the Gmail API v1 reference (https://developers.google.com/gmail/api/reference/rest) for the
// endpoints the Gmail connector uses. Messages are stored as RFC 2822 text (the seeds too) and turned
// into Gmail's MessagePart tree by a small MIME parser, so a message sent through the API reads back
// like a received one. Simplifications: search (`q`) covers the common operators only (from:, to:,
// subject:, is:, in:, label:, has:attachment, category:, newer_than:, older_than:, after:, before:,
// words and "phrases", `-` negation); threads are not merged by subject, only by threadId; attachments
// have ids but no attachments.get endpoint.

type Header = { name: string; value: string };
type Part = { partId: string; mimeType: string; filename: string; headers: Header[]; body: { size: number; data?: string; attachmentId?: string }; parts?: Part[] };
type Message = { id: string; threadId: string; labelIds: string[]; internalDate: number; historyId: number; raw: string; payload: Part; snippet: string; text: string };
type Label = { id: string; name: string; type: "system" | "user"; messageListVisibility?: "show" | "hide"; labelListVisibility?: "labelShow" | "labelShowIfUnread" | "labelHide"; color?: { textColor: string; backgroundColor: string } };

const USER = "morgan.lee@example.com";
const USER_NAME = "Morgan Lee";

/** Gmail's error body: `{ error: { code, message, errors: [{ message, domain, reason }], status } }`. */
const gError = (code: number, status: string, reason: string, message: string, headers?: Record<string, string>) =>
  json(code, { error: { code, message, errors: [{ message, domain: "global", reason }], status } }, headers);
const notFound = () => gError(404, "NOT_FOUND", "notFound", "Requested entity was not found.");
const invalid = (message: string) => gError(400, "INVALID_ARGUMENT", "invalidArgument", message);

// ---- MIME ------------------------------------------------------------------------------------

type Mime = { headers: Header[]; body: string; parts?: Mime[] };

/** RFC 2047 encoded words (B and Q) in header values; whitespace between adjacent words is dropped. */
function decodeWords(v: string): string {
  return v.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, "$1").replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, charset: string, enc: string, text: string) => {
    const bytes = enc.toUpperCase() === "B" ? Buffer.from(text, "base64") : qpBytes(text.replace(/_/g, " "));
    return decodeCharset(bytes, charset);
  });
}

function decodeCharset(bytes: Buffer, charset = "utf-8"): string {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return bytes.toString("utf8");
  }
}

function qpBytes(s: string): Buffer {
  const text = s.replace(/=\r?\n/g, "");
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** `text` is a binary ("latin1") string: one char per byte, so 8-bit bodies keep their bytes. */
function parseMime(text: string): Mime {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? text.slice(m.index + m[0].length) : "";
  const headers: Header[] = [];
  for (const line of head.replace(/\r?\n(?=[ \t])/g, "").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    headers.push({ name: line.slice(0, i).trim(), value: decodeWords(Buffer.from(line.slice(i + 1).trim(), "latin1").toString("utf8")) });
  }
  const ct = contentType(headers);
  if (ct.type.startsWith("multipart/") && ct.params.boundary) {
    const b = ct.params.boundary;
    const parts: string[][] = [];
    let cur: string[] | null = null;
    for (const line of body.split(/\r?\n/)) {
      const t = line.trimEnd();
      if (t === `--${b}--`) {
        if (cur) parts.push(cur);
        cur = null;
        break;
      }
      if (t === `--${b}`) {
        if (cur) parts.push(cur);
        cur = [];
      } else cur?.push(line);
    }
    if (cur) parts.push(cur);
    return { headers, body, parts: parts.map((p) => parseMime(p.join("\r\n"))) };
  }
  return { headers, body };
}

const headerOf = (headers: Header[], name: string) => headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

function contentType(headers: Header[]): { type: string; params: Record<string, string> } {
  const raw = headerOf(headers, "Content-Type") ?? "text/plain; charset=us-ascii";
  const [type, ...rest] = raw.split(";");
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf("=");
    if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return { type: (type ?? "text/plain").trim().toLowerCase(), params };
}

function leafBytes(m: Mime): Buffer {
  const cte = (headerOf(m.headers, "Content-Transfer-Encoding") ?? "7bit").toLowerCase();
  if (cte === "base64") return Buffer.from(m.body.replace(/\s+/g, ""), "base64");
  if (cte === "quoted-printable") return qpBytes(m.body);
  return Buffer.from(m.body, "latin1");
}

function filenameOf(m: Mime): string {
  const disp = headerOf(m.headers, "Content-Disposition") ?? "";
  const fromDisp = /filename\*?="?([^";]+)"?/i.exec(disp)?.[1];
  return fromDisp ?? contentType(m.headers).params.name ?? "";
}

/** Gmail's MessagePart tree: partId "" for the root, "0", "1", … below it, "1.0" further down. */
function toPart(m: Mime, partId: string, messageId: string, texts: { text?: string; html?: string }): Part {
  const ct = contentType(m.headers);
  const filename = filenameOf(m);
  if (m.parts) {
    return { partId, mimeType: ct.type, filename: "", headers: m.headers, body: { size: 0 }, parts: m.parts.map((p, i) => toPart(p, partId === "" ? String(i) : `${partId}.${i}`, messageId, texts)) };
  }
  let bytes = leafBytes(m);
  if (filename) {
    return { partId, mimeType: ct.type, filename, headers: m.headers, body: { attachmentId: `ANGjdJ_${Buffer.from(`${messageId}:${partId}`).toString("base64url")}`, size: bytes.length } };
  }
  if (ct.type.startsWith("text/")) {
    // Text is handed out as UTF-8 whatever charset it arrived in.
    const text = decodeCharset(bytes, ct.params.charset);
    bytes = Buffer.from(text, "utf8");
    if (ct.type === "text/plain" && texts.text === undefined) texts.text = text;
    if (ct.type === "text/html" && texts.html === undefined) texts.html = text;
  }
  return { partId, mimeType: ct.type, filename: "", headers: m.headers, body: { size: bytes.length, ...(bytes.length ? { data: bytes.toString("base64url") } : {}) } };
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
const htmlText = (html: string) =>
  html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

/** Parses stored RFC 2822 text into a Message (payload, snippet, searchable text). */
function materialize(id: string, threadId: string, labelIds: string[], internalDate: number, historyId: number, rfc822: string): Message {
  const mime = parseMime(rfc822);
  const texts: { text?: string; html?: string } = {};
  const payload = toPart(mime, "", id, texts);
  const text = (texts.text ?? (texts.html !== undefined ? htmlText(texts.html) : "")).replace(/\s+/g, " ").trim();
  // Gmail's snippet: the start of the text, HTML-escaped.
  return { id, threadId, labelIds, internalDate, historyId, raw: rfc822, payload, snippet: escapeHtml(text.slice(0, 200)), text };
}

const addresses = (v: string | undefined) => (v ? (v.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []).map((a) => a.toLowerCase()) : []);

/** Splits an address list on commas outside quotes and angle brackets. */
function splitAddressList(v: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let angle = false;
  for (const ch of v) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "<" && !quoted) angle = true;
    else if (ch === ">" && !quoted) angle = false;
    if (ch === "," && !quoted && !angle) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}
const VALID_ADDRESS = /^(?:.*<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/;

const rfc2822Date = (ms: number) => new Date(ms).toUTCString().replace("GMT", "+0000");

// ---- seed ------------------------------------------------------------------------------------

const SYSTEM_LABELS: Label[] = [
  { id: "CHAT", name: "CHAT", type: "system", messageListVisibility: "hide", labelListVisibility: "labelHide" },
  { id: "SENT", name: "SENT", type: "system" },
  { id: "INBOX", name: "INBOX", type: "system" },
  { id: "IMPORTANT", name: "IMPORTANT", type: "system", messageListVisibility: "hide", labelListVisibility: "labelHide" },
  { id: "TRASH", name: "TRASH", type: "system", messageListVisibility: "hide", labelListVisibility: "labelHide" },
  { id: "DRAFT", name: "DRAFT", type: "system" },
  { id: "SPAM", name: "SPAM", type: "system", messageListVisibility: "hide", labelListVisibility: "labelHide" },
  { id: "CATEGORY_FORUMS", name: "CATEGORY_FORUMS", type: "system" },
  { id: "CATEGORY_UPDATES", name: "CATEGORY_UPDATES", type: "system" },
  { id: "CATEGORY_PERSONAL", name: "CATEGORY_PERSONAL", type: "system" },
  { id: "CATEGORY_PROMOTIONS", name: "CATEGORY_PROMOTIONS", type: "system" },
  { id: "CATEGORY_SOCIAL", name: "CATEGORY_SOCIAL", type: "system" },
  { id: "STARRED", name: "STARRED", type: "system" },
  { id: "UNREAD", name: "UNREAD", type: "system" },
];

const crlf = (s: string) => s.replace(/\r?\n/g, "\r\n");

function seed() {
  const labels: Label[] = [
    ...SYSTEM_LABELS.map((l) => ({ ...l })),
    { id: "Label_1", name: "Receipts", type: "user", messageListVisibility: "show", labelListVisibility: "labelShow", color: { textColor: "#ffffff", backgroundColor: "#16a766" } },
    { id: "Label_2", name: "Notifications", type: "user", messageListVisibility: "show", labelListVisibility: "labelShow" },
    { id: "Label_3", name: "Travel", type: "user", messageListVisibility: "show", labelListVisibility: "labelShowIfUnread" },
  ];
  let history = 912_000;
  const mk = (id: string, threadId: string, labelIds: string[], date: string, rfc822: string) => {
    const ms = Date.parse(date);
    return materialize(id, threadId, labelIds, ms, (history += 7), crlf(`Date: ${rfc2822Date(ms)}\n${rfc822}`));
  };
  const T1 = "19a8c1f2e4b70d01";
  const messages: Message[] = [
    mk(T1, T1, ["IMPORTANT", "CATEGORY_PERSONAL", "INBOX"], "2026-11-16T17:12:00Z", `From: Priya Natarajan <priya.natarajan@example.com>
To: Morgan Lee <morgan.lee@example.com>
Subject: Q2 roadmap draft for review
Message-ID: <CAHx7pR2n9Vb1q@mail.gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Hi Morgan,

The Q2 roadmap draft is in the shared folder. Could you review the billing
section before Thursday's sync?

Thanks,
Priya
`),
    mk("19a8c9b0a1d20e02", T1, ["SENT"], "2026-11-16T19:40:00Z", `From: Morgan Lee <morgan.lee@example.com>
To: Priya Natarajan <priya.natarajan@example.com>
Subject: Re: Q2 roadmap draft for review
Message-ID: <CAMl3eR8Kp0x2w@mail.gmail.com>
In-Reply-To: <CAHx7pR2n9Vb1q@mail.gmail.com>
References: <CAHx7pR2n9Vb1q@mail.gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Will do, I'll send comments by Wednesday.

Morgan
`),
    mk("19a9352c7f8e1a03", T1, ["UNREAD", "IMPORTANT", "CATEGORY_PERSONAL", "INBOX"], "2026-11-18T16:05:00Z", `From: Priya Natarajan <priya.natarajan@example.com>
To: Morgan Lee <morgan.lee@example.com>
Subject: Re: Q2 roadmap draft for review
Message-ID: <CAHx7pR5t3Zc8m@mail.gmail.com>
In-Reply-To: <CAMl3eR8Kp0x2w@mail.gmail.com>
References: <CAHx7pR2n9Vb1q@mail.gmail.com> <CAMl3eR8Kp0x2w@mail.gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Thanks! I've added the pricing numbers too, so the billing section is complete.
`),
    mk("19a99d4e6b3c2f04", "19a99d4e6b3c2f04", ["UNREAD", "CATEGORY_UPDATES", "INBOX", "Label_2"], "2026-11-19T22:22:00Z", `From: GitHub <notifications@github.com>
To: octocat/hello-world <hello-world@noreply.github.com>
Cc: Morgan Lee <morgan.lee@example.com>
Subject: [octocat/hello-world] Found a bug (Issue #1)
Message-ID: <octocat/hello-world/issues/1@github.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="--==_mimepart_6740a1"

----==_mimepart_6740a1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

octocat opened an issue: the login page crashes on Safari 18.
View it on GitHub: https://github.com/octocat/hello-world/issues/1

----==_mimepart_6740a1
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 7bit

<p><b>octocat</b> opened an issue: the login page crashes on Safari 18.</p>
<p><a href="https://github.com/octocat/hello-world/issues/1">View it on GitHub</a></p>

----==_mimepart_6740a1--
`),
    mk("19a9f0b7c5d43a05", "19a9f0b7c5d43a05", ["STARRED", "IMPORTANT", "INBOX", "Label_1"], "2026-11-20T18:00:00Z", `From: Dana Kim <dana.kim@contoso.example>
To: morgan.lee@example.com
Subject: Invoice #4821 for November
Message-ID: <20261120180000.4821@billing.contoso.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1_4821"

--b1_4821
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Hi Morgan,

Attached is invoice #4821 =E2=80=94 $1,250.00 for November consulting, due D=
ecember 15.

Best,
Dana
--b1_4821
Content-Type: application/pdf; name="invoice-4821.pdf"
Content-Disposition: attachment; filename="invoice-4821.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8
PC9Sb290IDEgMCBSPj4KJSVFT0YK
--b1_4821--
`),
    mk("19aa3e21d9f65b06", "19aa3e21d9f65b06", ["UNREAD", "CATEGORY_PROMOTIONS", "INBOX"], "2026-11-21T15:00:00Z", `From: The Weekly Byte <news@weeklybyte.example>
To: morgan.lee@example.com
Subject: =?UTF-8?B?VGhpcyB3ZWVrOiBlZGdlIHJ1bnRpbWVzIOKYlQ==?=
Message-ID: <wb-2026-47@weeklybyte.example>
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8

<html><body><h1>Edge runtimes &amp; you</h1><p>Three things we learned running Node at the edge.</p></body></html>
`),
    mk("19aa4b10c2e87c07", "19aa4b10c2e87c07", ["UNREAD", "SPAM"], "2026-11-21T11:00:00Z", `From: Rewards Center <winner@prizes.example>
To: morgan.lee@example.com
Subject: You have won a $500 gift card!!!
Message-ID: <x9@prizes.example>
Content-Type: text/plain; charset=UTF-8

Claim your prize now.
`),
  ];
  return { labels, messages, drafts: [] as { id: string; messageId: string }[], history, next: 1 };
}

// Page tokens are opaque to clients (Gmail's are long digit strings); this one carries an offset.
const TOKEN_BASE = 14_960_000_000_000_000_000n;
const pageToken = (offset: number) => String(TOKEN_BASE + BigInt(offset) * 7919n);
function readPageToken(token: string | null): number | null {
  if (!token) return 0;
  if (!/^\d{20}$/.test(token)) return null;
  const d = BigInt(token) - TOKEN_BASE;
  return d >= 0n && d % 7919n === 0n ? Number(d / 7919n) : null;
}

// ---- search ----------------------------------------------------------------------------------

function matcher(q: string, labels: Label[], now: number): { test: (m: Message) => boolean; spamTrash: boolean } {
  const tests: ((m: Message) => boolean)[] = [];
  let spamTrash = false;
  const hdr = (m: Message, ...names: string[]) => names.map((n) => headerOf(m.payload.headers, n) ?? "").join(" ").toLowerCase();
  const hasAttachment = (p: Part): boolean => Boolean(p.filename) || (p.parts ?? []).some(hasAttachment);
  const labelId = (name: string) => {
    const n = name.toLowerCase();
    return labels.find((l) => l.id.toLowerCase() === n || l.name.toLowerCase() === n || l.name.toLowerCase().replace(/[\s/]+/g, "-") === n)?.id ?? `?${name}`;
  };
  const days = (v: string) => {
    const m = /^(\d+)([dmy])$/.exec(v);
    return m ? Number(m[1]) * { d: 1, m: 30, y: 365 }[m[2] as "d" | "m" | "y"] * 86_400_000 : null;
  };
  const re = /(-?)(?:([a-z_]+):("[^"]*"|\([^)]*\)|\S+)|"([^"]*)"|(\S+))/gi;
  for (const t of q.matchAll(re)) {
    const neg = t[1] === "-";
    const op = t[2]?.toLowerCase();
    const val = (t[3] ?? "").replace(/^["(](.*)[")]$/, "$1").toLowerCase();
    let test: ((m: Message) => boolean) | null = null;
    switch (op) {
      case "from":
        test = (m) => hdr(m, "From").includes(val);
        break;
      case "to":
        test = (m) => hdr(m, "To", "Cc", "Bcc").includes(val);
        break;
      case "cc":
        test = (m) => hdr(m, "Cc").includes(val);
        break;
      case "subject":
        test = (m) => val.split(/\s+/).every((w) => hdr(m, "Subject").includes(w));
        break;
      case "is": {
        const id = { unread: "UNREAD", starred: "STARRED", important: "IMPORTANT" }[val];
        test = val === "read" ? (m) => !m.labelIds.includes("UNREAD") : (m) => Boolean(id) && m.labelIds.includes(id!);
        break;
      }
      case "in":
        if (val === "anywhere") {
          spamTrash = true;
          test = () => true;
        } else {
          const id = val === "drafts" ? "DRAFT" : val.toUpperCase();
          if (id === "SPAM" || id === "TRASH") spamTrash = true;
          test = (m) => m.labelIds.includes(id);
        }
        break;
      case "label": {
        const id = labelId(val);
        if (id === "SPAM" || id === "TRASH") spamTrash = true;
        test = (m) => m.labelIds.includes(id);
        break;
      }
      case "category": {
        const id = `CATEGORY_${val === "primary" ? "PERSONAL" : val.toUpperCase()}`;
        test = (m) => m.labelIds.includes(id);
        break;
      }
      case "has":
        test = val === "attachment" ? (m) => hasAttachment(m.payload) : () => false;
        break;
      case "newer_than":
      case "older_than": {
        const span = days(val);
        if (span !== null) test = op === "newer_than" ? (m) => m.internalDate > now - span : (m) => m.internalDate <= now - span;
        break;
      }
      case "after":
      case "before": {
        const at = Date.parse(val.replace(/\//g, "-"));
        if (Number.isFinite(at)) test = op === "after" ? (m) => m.internalDate >= at : (m) => m.internalDate < at;
        break;
      }
    }
    if (!test) {
      // Plain words and "phrases" (and unknown operators, taken literally).
      const word = (t[4] ?? t[5] ?? t[0].replace(/^-/, "")).toLowerCase();
      test = (m) => `${hdr(m, "From", "To", "Cc", "Subject")} ${m.text.toLowerCase()}`.includes(word);
    }
    const f = test;
    tests.push(neg ? (m) => !f(m) : f);
  }
  return { test: (m) => tests.every((f) => f(m)), spamTrash };
}

// ---- backend ---------------------------------------------------------------------------------

export function createGmailSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;
  const byId = (id: string) => state.messages.find((m) => m.id === id);
  const bump = () => (state.history += 7);
  const ID = /^[0-9a-f]{1,32}$/i;

  const metaOf = (m: Message) => ({ id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] });
  const resource = (m: Message, format: string, metadataHeaders: string[]) => {
    const base = { ...metaOf(m), snippet: m.snippet, sizeEstimate: Buffer.byteLength(m.raw, "latin1"), historyId: String(m.historyId), internalDate: String(m.internalDate) };
    if (format === "minimal") return base;
    if (format === "raw") return { ...base, raw: Buffer.from(m.raw, "latin1").toString("base64url") };
    if (format === "metadata") {
      const wanted = metadataHeaders.map((h) => h.toLowerCase());
      const headers = wanted.length ? m.payload.headers.filter((h) => wanted.includes(h.name.toLowerCase())) : m.payload.headers;
      return { ...base, payload: { partId: "", mimeType: m.payload.mimeType, filename: "", headers } };
    }
    return { ...base, payload: m.payload };
  };

  /** Decodes a client's base64url `raw` into stored RFC 2822 text, adding the headers Gmail adds. */
  const accept = (raw: unknown, id: string, sending: boolean): { rfc822: string; headers: Header[] } | SandboxResponse => {
    if (typeof raw !== "string" || !raw) return invalid("'raw' RFC822 payload message string or uploading message via /upload/* URL required");
    if (!/^[A-Za-z0-9_\-+/=\s]+$/.test(raw)) return invalid("Invalid value for ByteString: " + raw.slice(0, 40));
    let text = Buffer.from(raw, "base64").toString("latin1");
    const parsed = parseMime(text);
    if (sending) {
      for (const name of ["To", "Cc", "Bcc"]) {
        const v = headerOf(parsed.headers, name);
        if (v !== undefined && splitAddressList(v).some((a) => !VALID_ADDRESS.test(a))) return invalid(`Invalid ${name} header`);
      }
      if (!["To", "Cc", "Bcc"].some((n) => addresses(headerOf(parsed.headers, n)).length)) return invalid("Recipient address required");
    }
    // Gmail sets From to the account (it rewrites other senders), and fills in Date and Message-ID.
    const split = /\r?\n\r?\n/.exec(text);
    const head = split ? text.slice(0, split.index) : text;
    text = head.replace(/^From:[^\r\n]*(\r?\n[ \t][^\r\n]*)*(\r?\n|$)/im, "") + (split ? text.slice(split.index) : "");
    const added = [`From: ${USER_NAME} <${USER}>`];
    if (!headerOf(parsed.headers, "Date")) added.push(`Date: ${rfc2822Date(Date.now())}`);
    if (!headerOf(parsed.headers, "Message-ID")) added.push(`Message-ID: <CAL${id}${state.history.toString(36)}@mail.gmail.com>`);
    return { rfc822: `${added.join("\r\n")}\r\n${text}`, headers: parsed.headers };
  };

  const newId = () => (0x19ab0000_0000_0000n + BigInt(state.next++) * 0x10f3dn).toString(16);
  const latest = () => Math.max(0, ...state.messages.map((m) => m.internalDate));
  const threadExists = (threadId: unknown) => typeof threadId === "string" && state.messages.some((m) => m.threadId === threadId);

  const router = new SandboxRouter()
    .on("GET", "/users/me/profile", () =>
      json(200, { emailAddress: USER, messagesTotal: state.messages.length, threadsTotal: new Set(state.messages.map((m) => m.threadId)).size, historyId: String(state.history) }),
    )
    .on("GET", "/users/me/labels", () => json(200, { labels: state.labels }))
    .on("GET", "/users/me/messages", (req) => {
      const q = req.query;
      const max = Math.min(500, Math.max(1, Number(q.get("maxResults") ?? 100) || 100));
      const offset = readPageToken(q.get("pageToken"));
      if (offset === null) return invalid("Invalid pageToken");
      const labelIds = q.getAll("labelIds");
      const unknown = labelIds.find((id) => !state.labels.some((l) => l.id === id));
      if (unknown) return invalid(`Invalid label: ${unknown}`);
      const search = matcher(q.get("q") ?? "", state.labels, Date.now());
      const spamTrash = q.get("includeSpamTrash") === "true" || search.spamTrash || labelIds.some((l) => l === "SPAM" || l === "TRASH");
      const list = state.messages
        .filter((m) => spamTrash || !m.labelIds.some((l) => l === "SPAM" || l === "TRASH"))
        .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
        .filter(search.test)
        .sort((a, b) => b.internalDate - a.internalDate || b.id.localeCompare(a.id));
      const page = list.slice(offset, offset + max);
      const more = offset + max < list.length;
      return json(200, {
        ...(page.length ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
        ...(more ? { nextPageToken: pageToken(offset + max) } : {}),
        resultSizeEstimate: list.length,
      });
    })
    .on("GET", "/users/me/messages/:id", (req, p) => {
      if (!ID.test(p.id!)) return invalid("Invalid id value");
      const format = req.query.get("format") ?? "full";
      if (!["minimal", "full", "raw", "metadata"].includes(format)) return invalid(`Invalid value at 'format' (type.googleapis.com/google.apps.gmail.v1.Format), "${format}"`);
      const m = byId(p.id!);
      return m ? json(200, resource(m, format, req.query.getAll("metadataHeaders"))) : notFound();
    })
    .on("POST", "/users/me/messages/send", (req) => {
      const b = (req.body ?? {}) as { raw?: unknown; threadId?: unknown };
      if (b.threadId !== undefined && !threadExists(b.threadId)) return notFound();
      const id = newId();
      const got = accept(b.raw, id, true);
      if ("status" in got) return got;
      const toSelf = ["To", "Cc", "Bcc"].some((n) => addresses(headerOf(got.headers, n)).includes(USER));
      const m = materialize(id, typeof b.threadId === "string" ? b.threadId : id, toSelf ? ["UNREAD", "SENT", "INBOX"] : ["SENT"], Math.max(Date.now(), latest() + 1000), bump(), got.rfc822);
      state.messages.push(m);
      return json(200, metaOf(m));
    })
    .on("POST", "/users/me/drafts", (req) => {
      const b = (req.body ?? {}) as { message?: { raw?: unknown; threadId?: unknown } };
      const threadId = b.message?.threadId;
      if (threadId !== undefined && !threadExists(threadId)) return notFound();
      const id = newId();
      const got = accept(b.message?.raw, id, false);
      if ("status" in got) return got;
      const m = materialize(id, typeof threadId === "string" ? threadId : id, ["DRAFT"], Math.max(Date.now(), latest() + 1000), bump(), got.rfc822);
      state.messages.push(m);
      const draft = { id: `r-${(BigInt("0x" + id) % 10_000_000_000_000_000_000n).toString().padStart(19, "0")}`, messageId: id };
      state.drafts.push(draft);
      return json(200, { id: draft.id, message: metaOf(m) });
    })
    .on("POST", "/users/me/messages/:id/modify", (req, p) => {
      if (!ID.test(p.id!)) return invalid("Invalid id value");
      const m = byId(p.id!);
      if (!m) return notFound();
      const b = (req.body ?? {}) as { addLabelIds?: unknown; removeLabelIds?: unknown };
      const add = Array.isArray(b.addLabelIds) ? (b.addLabelIds as unknown[]).map(String) : [];
      const remove = Array.isArray(b.removeLabelIds) ? (b.removeLabelIds as unknown[]).map(String) : [];
      // Unknown labels, and SENT/DRAFT (which only Gmail itself applies), are refused.
      const bad = [...add, ...remove].find((id) => !state.labels.some((l) => l.id === id)) ?? add.find((id) => id === "SENT" || id === "DRAFT");
      if (bad) return invalid(`Invalid label: ${bad}`);
      m.labelIds = [...m.labelIds.filter((l) => !remove.includes(l)), ...add.filter((l) => !m.labelIds.includes(l) && !remove.includes(l))];
      m.historyId = bump();
      return json(200, metaOf(m));
    })
    .on("POST", "/users/me/messages/:id/trash", (_req, p) => {
      if (!ID.test(p.id!)) return invalid("Invalid id value");
      const m = byId(p.id!);
      if (!m) return notFound();
      // Other labels stay (messages.untrash brings the message back where it was); uncertain detail.
      if (!m.labelIds.includes("TRASH")) m.labelIds = [...m.labelIds.filter((l) => l !== "SPAM"), "TRASH"];
      m.historyId = bump();
      return json(200, metaOf(m));
    });

  return {
    slug: "gmail",
    reset: () => {
      state = seed();
    },
    async handle(req: SandboxRequest): Promise<SandboxResponse> {
      const token = bearer(req);
      if (!token || !(await authorize(token, req))) return googleUnauthenticated(req);
      const out = await router.dispatch(req);
      if (!out) return notFound();
      if (out.status === 405) return gError(405, "METHOD_NOT_ALLOWED", "httpMethodNotAllowed", "Method Not Allowed");
      return out;
    },
  };
}
