import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gmail } from "@/lib/connectors/gmail";
import { ProviderHttp } from "@/lib/connectors/http";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createGmailSandbox } from "@/lib/sandbox/gmail";
import { json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxRequest } from "@/lib/sandbox/types";

// Contract tests: each tool sends the Gmail API v1's documented request and reads its documented response.
const backend = createGmailSandbox();
let h: ContractHarness;

const S = {
  readonly: "https://www.googleapis.com/auth/gmail.readonly",
  send: "https://www.googleapis.com/auth/gmail.send",
  modify: "https://www.googleapis.com/auth/gmail.modify",
  compose: "https://www.googleapis.com/auth/gmail.compose",
};
const T1 = "19a8c1f2e4b70d01";

type Listed = { id: string; thread_id: string; from: string | null; to: string | null; subject: string | null; date: string | null; snippet: string; label_ids: string[]; unread: boolean };
type ListOut = { messages: Listed[]; next_page_token: string | null; result_size_estimate: number };
type Full = Listed & { body: string; body_source: string | null; body_html?: string | null; truncated: boolean; message_id_header: string | null; in_reply_to: string | null; references: string | null; cc: string | null; attachments: { filename: string; mime_type: string; size: number; attachment_id: string | null }[] };

/** The RFC 2822 text a tool sent as `raw` (base64url). */
const rawOf = (req: SandboxRequest, pick: (b: Record<string, unknown>) => unknown = (b) => b.raw) => {
  const raw = pick(req.body as Record<string, unknown>) as string;
  expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
  return Buffer.from(raw, "base64url").toString("utf8");
};

beforeAll(async () => {
  h = await contractHarness(gmail, backend, { access_token: "ya29.gmail-sandbox" });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

describe("gmail connector contract", () => {
  it("sends the OAuth bearer token, asks for JSON, and uses Google's OAuth endpoints", async () => {
    await h.call("gmail_get_profile", {});
    expect(h.last().headers.authorization).toBe("Bearer ya29.gmail-sandbox");
    expect(h.last().headers.accept).toBe("application/json");
    expect(gmail.baseUrl).toBe("https://gmail.googleapis.com/gmail/v1");
    expect(gmail.auth).toMatchObject({
      kind: "oauth2",
      authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenUrl: "https://oauth2.googleapis.com/token",
      revokeUrl: "https://oauth2.googleapis.com/revoke",
      pkce: true,
      baseScopes: ["openid", "email"],
      tokenAuthMethod: "client_secret_post",
      authorizeParams: { access_type: "offline", prompt: "consent", include_granted_scopes: "true" },
    });
  });

  it("gmail_get_profile → GET /users/me/profile; accountLabel is the address", async () => {
    const out = await h.call("gmail_get_profile", {});
    expect(h.last()).toMatchObject({ method: "GET", path: "/users/me/profile" });
    expect(out).toEqual({ email: "morgan.lee@example.com", messages_total: 7, threads_total: 5, history_id: expect.stringMatching(/^\d+$/) });
    const http = new ProviderHttp({ connector: gmail, baseUrl: h.url, authHeaders: { authorization: "Bearer ya29.gmail-sandbox" }, grantedScopes: [S.readonly], toolScopes: [S.readonly] });
    expect(await gmail.accountLabel!({ http, connection: { id: "c", grantedScopes: [S.readonly], accountLabel: null }, signal: new AbortController().signal })).toBe("morgan.lee@example.com");
  });

  it("gmail_list_messages → GET /users/me/messages, then each message's metadata headers; pages with nextPageToken", async () => {
    const start = h.requests.length;
    const first = (await h.call("gmail_list_messages", { label_ids: ["INBOX"], max_results: 2 })) as ListOut;
    const reqs = h.requests.slice(start);
    expect(reqs[0]).toMatchObject({ method: "GET", path: "/users/me/messages" });
    expect(Object.fromEntries(reqs[0]!.query)).toEqual({ labelIds: "INBOX", maxResults: "2" });
    // The metadata fetches run concurrently, so they may arrive in any order.
    expect(reqs.slice(1).map((r) => r.path).sort()).toEqual(["/users/me/messages/19a9f0b7c5d43a05", "/users/me/messages/19aa3e21d9f65b06"]);
    for (const r of reqs.slice(1)) {
      expect(r.method).toBe("GET");
      expect(r.query.get("format")).toBe("metadata");
      expect(r.query.getAll("metadataHeaders")).toEqual(["From", "To", "Subject", "Date"]);
    }
    expect(first.messages[1]).toEqual({
      id: "19a9f0b7c5d43a05",
      thread_id: "19a9f0b7c5d43a05",
      from: "Dana Kim <dana.kim@contoso.example>",
      to: "morgan.lee@example.com",
      subject: "Invoice #4821 for November",
      date: "Fri, 20 Nov 2026 18:00:00 +0000",
      snippet: expect.stringContaining("Attached is invoice #4821 — $1,250.00"),
      label_ids: ["STARRED", "IMPORTANT", "INBOX", "Label_1"],
      unread: false,
    });
    expect(first.messages[0]!.subject).toBe("This week: edge runtimes ☕");
    expect(first.result_size_estimate).toBe(5);
    expect(first.next_page_token).toMatch(/^\d+$/);

    const second = (await h.call("gmail_list_messages", { label_ids: ["INBOX"], max_results: 2, page_token: first.next_page_token })) as ListOut;
    expect(h.requests.find((r, i) => i > start && r.path === "/users/me/messages" && r.query.get("pageToken") === first.next_page_token)).toBeDefined();
    expect(second.messages.map((m) => m.id)).toEqual(["19a99d4e6b3c2f04", "19a9352c7f8e1a03"]);
    const third = (await h.call("gmail_list_messages", { label_ids: ["INBOX"], max_results: 2, page_token: second.next_page_token })) as ListOut;
    expect(third.messages.map((m) => m.id)).toEqual([T1]);
    expect(third.next_page_token).toBeNull();
  });

  it("gmail_list_messages: q takes Gmail search syntax, snippets are unescaped, spam/trash only on request", async () => {
    const unread = (await h.call("gmail_list_messages", { q: "from:priya is:unread" })) as ListOut;
    expect(h.requests.findLast((r) => r.path === "/users/me/messages")!.query.get("q")).toBe("from:priya is:unread");
    expect(unread.messages).toEqual([expect.objectContaining({ id: "19a9352c7f8e1a03", unread: true, snippet: "Thanks! I've added the pricing numbers too, so the billing section is complete." })]);
    const all = (await h.call("gmail_list_messages", {})) as ListOut;
    expect(all.messages.map((m) => m.subject)).not.toContain("You have won a $500 gift card!!!");
    const withSpam = (await h.call("gmail_list_messages", { include_spam_trash: true })) as ListOut;
    expect(h.requests.findLast((r) => r.path === "/users/me/messages")!.query.get("includeSpamTrash")).toBe("true");
    expect(withSpam.messages.map((m) => m.subject)).toContain("You have won a $500 gift card!!!");
    const none = (await h.call("gmail_list_messages", { q: "subject:nonexistent-topic" })) as ListOut;
    expect(none).toEqual({ messages: [], next_page_token: null, result_size_estimate: 0 });
    const attachments = (await h.call("gmail_list_messages", { q: "has:attachment label:receipts" })) as ListOut;
    expect(attachments.messages.map((m) => m.id)).toEqual(["19a9f0b7c5d43a05"]);
  });

  it("gmail_get_message → GET /users/me/messages/{id}?format=full; decodes the text/plain part and reply headers", async () => {
    const out = (await h.call("gmail_get_message", { message_id: "19a9352c7f8e1a03" })) as Full;
    expect(h.last()).toMatchObject({ method: "GET", path: "/users/me/messages/19a9352c7f8e1a03" });
    expect(Object.fromEntries(h.last().query)).toEqual({ format: "full" });
    expect(out).toMatchObject({
      id: "19a9352c7f8e1a03",
      thread_id: T1,
      from: "Priya Natarajan <priya.natarajan@example.com>",
      subject: "Re: Q2 roadmap draft for review",
      message_id_header: "<CAHx7pR5t3Zc8m@mail.gmail.com>",
      in_reply_to: "<CAMl3eR8Kp0x2w@mail.gmail.com>",
      references: "<CAHx7pR2n9Vb1q@mail.gmail.com> <CAMl3eR8Kp0x2w@mail.gmail.com>",
      body_source: "text/plain",
      truncated: false,
      attachments: [],
    });
    expect(out.body).toContain("I've added the pricing numbers too");
    expect(out).not.toHaveProperty("body_html");
  });

  it("gmail_get_message: multipart/alternative prefers text/plain; HTML-only mail falls back to text; quoted-printable and attachments", async () => {
    const gh = (await h.call("gmail_get_message", { message_id: "19a99d4e6b3c2f04", include_html: true })) as Full;
    expect(gh).toMatchObject({ body_source: "text/plain", cc: "Morgan Lee <morgan.lee@example.com>" });
    expect(gh.body).toContain("octocat opened an issue: the login page crashes on Safari 18.");
    expect(gh.body_html).toContain("<b>octocat</b>");
    const news = (await h.call("gmail_get_message", { message_id: "19aa3e21d9f65b06" })) as Full;
    expect(news).toMatchObject({ subject: "This week: edge runtimes ☕", body_source: "text/html" });
    expect(news.body).toBe("Edge runtimes & you\nThree things we learned running Node at the edge.");
    const invoice = (await h.call("gmail_get_message", { message_id: "19a9f0b7c5d43a05" })) as Full;
    expect(invoice.body).toBe("Hi Morgan,\r\n\r\nAttached is invoice #4821 — $1,250.00 for November consulting, due December 15.\r\n\r\nBest,\r\nDana");
    expect(invoice.truncated).toBe(false);
    expect(invoice.attachments).toEqual([{ filename: "invoice-4821.pdf", mime_type: "application/pdf", size: 78, attachment_id: expect.stringMatching(/^ANGjdJ/) }]);
    const cut = (await h.call("gmail_get_message", { message_id: "19a9f0b7c5d43a05", max_body_chars: 100 })) as Full;
    expect(cut).toMatchObject({ truncated: true, body: invoice.body.slice(0, 100) });
  });

  it("gmail_get_message: unknown id → not_found; malformed id → invalid_request with Gmail's message", async () => {
    expect(await h.fail("gmail_get_message", { message_id: "ffffffffffffffff" })).toMatchObject({ code: "not_found", provider_status: 404, message: expect.stringContaining("Requested entity was not found.") });
    expect(await h.fail("gmail_get_message", { message_id: "not-a-gmail-id" })).toMatchObject({ code: "invalid_request", provider_status: 400, message: expect.stringContaining("Invalid id value") });
  });

  it("gmail_send_message → POST /users/me/messages/send with base64url RFC 2822 `raw`; the sent mail is listed under SENT with its headers and body", async () => {
    const out = (await h.call("gmail_send_message", {
      to: ["Priya Natarajan <priya.natarajan@example.com>"],
      cc: ["sam.okafor@example.com"],
      subject: "Launch checklist",
      body: "Hi Priya,\n\nHere is the launch checklist.\n\nMorgan",
    })) as { id: string; thread_id: string; label_ids: string[] };
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/users/me/messages/send" });
    expect(req.headers["content-type"]).toBe("application/json");
    expect(Object.keys(req.body as object)).toEqual(["raw"]);
    const mime = rawOf(req);
    expect(mime).toContain("To: Priya Natarajan <priya.natarajan@example.com>\r\n");
    expect(mime).toContain("Cc: sam.okafor@example.com\r\n");
    expect(mime).toContain("Subject: Launch checklist\r\n");
    expect(mime).toContain("MIME-Version: 1.0\r\n");
    expect(mime).toContain('Content-Type: text/plain; charset="UTF-8"\r\n');
    expect(out).toEqual({ id: expect.stringMatching(/^[0-9a-f]{16}$/), thread_id: out.id, label_ids: ["SENT"] });

    const sent = (await h.call("gmail_list_messages", { label_ids: ["SENT"] })) as ListOut;
    expect(sent.messages[0]).toMatchObject({ id: out.id, from: "Morgan Lee <morgan.lee@example.com>", to: "Priya Natarajan <priya.natarajan@example.com>", subject: "Launch checklist", label_ids: ["SENT"], snippet: "Hi Priya, Here is the launch checklist. Morgan" });
    expect(sent.messages[0]!.date).toMatch(/\+0000$/);
    const full = (await h.call("gmail_get_message", { message_id: out.id })) as Full;
    expect(full).toMatchObject({ cc: "sam.okafor@example.com", body_source: "text/plain", message_id_header: expect.stringMatching(/^<.+@mail\.gmail\.com>$/) });
    expect(full.body).toBe("Hi Priya,\n\nHere is the launch checklist.\n\nMorgan");
    expect(await h.call("gmail_get_profile", {})).toMatchObject({ messages_total: 8, threads_total: 6 });
  });

  it("gmail_send_message: a reply carries threadId, In-Reply-To and References; UTF-8 subjects and HTML bodies survive the round trip", async () => {
    const original = (await h.call("gmail_get_message", { message_id: "19a9352c7f8e1a03" })) as Full;
    const out = (await h.call("gmail_send_message", {
      to: ["priya.natarajan@example.com"],
      subject: "Re: Q2 roadmap draft for review — ✅",
      body: "Looks great, thanks!",
      html_body: "<p>Looks <b>great</b>, thanks!</p>",
      thread_id: original.thread_id,
      in_reply_to: original.message_id_header!,
      references: `${original.references} ${original.message_id_header}`,
    })) as { id: string; thread_id: string };
    const req = h.last();
    expect((req.body as { threadId: string }).threadId).toBe(T1);
    const mime = rawOf(req);
    expect(mime).toContain("In-Reply-To: <CAHx7pR5t3Zc8m@mail.gmail.com>\r\n");
    expect(mime).toContain("References: <CAHx7pR2n9Vb1q@mail.gmail.com> <CAMl3eR8Kp0x2w@mail.gmail.com> <CAHx7pR5t3Zc8m@mail.gmail.com>\r\n");
    expect(mime).toMatch(/Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=/);
    expect(mime).toMatch(/Content-Type: multipart\/alternative; boundary="latchkey_[0-9a-f]+"/);
    expect(out.thread_id).toBe(T1);
    const back = (await h.call("gmail_get_message", { message_id: out.id, include_html: true })) as Full;
    expect(back).toMatchObject({ subject: "Re: Q2 roadmap draft for review — ✅", in_reply_to: "<CAHx7pR5t3Zc8m@mail.gmail.com>", body: "Looks great, thanks!", body_html: "<p>Looks <b>great</b>, thanks!</p>", thread_id: T1 });
    expect(await h.fail("gmail_send_message", { to: ["a@example.com"], subject: "x", body: "y", thread_id: "ffffffffffffffff" })).toMatchObject({ code: "not_found" });
  });

  it("gmail_send_message: header injection is refused before anything is sent; Gmail's own recipient check maps to invalid_request", async () => {
    const before = h.requests.length;
    await expect(h.call("gmail_send_message", { to: ["a@example.com\r\nBcc: spy@evil.example"], subject: "x", body: "y" })).rejects.toThrow();
    expect(h.requests.length).toBe(before);
    // Straight to the backend: a raw message without recipients gets Gmail's error body.
    const noRcpt = await backend.handle({
      method: "POST",
      path: "/users/me/messages/send",
      query: new URLSearchParams(),
      headers: { authorization: "Bearer ya29.gmail-sandbox" },
      body: { raw: Buffer.from("Subject: hi\r\n\r\nbody").toString("base64url") },
    });
    expect(noRcpt).toMatchObject({ status: 400, body: { error: { code: 400, message: "Recipient address required", status: "INVALID_ARGUMENT", errors: [{ reason: "invalidArgument" }] } } });
    expect(gmail.interpret!({ status: 400, headers: {}, body: noRcpt.body })).toMatchObject({ code: "invalid_request", message: "Gmail rejected the request: Recipient address required" });
    // A subject with line breaks is flattened, never turned into extra headers.
    await h.call("gmail_send_message", { to: ["a@example.com"], subject: "Hello\r\nBcc: spy@evil.example", body: "y" });
    expect(rawOf(h.last())).toContain("Subject: Hello Bcc: spy@evil.example\r\n");
  });

  it("gmail_create_draft → POST /users/me/drafts with {message: {raw}}; the draft is a DRAFT message", async () => {
    const out = (await h.call("gmail_create_draft", { to: ["dana.kim@contoso.example"], subject: "Re: Invoice #4821 for November", body: "Paid today, thanks Dana." })) as { draft_id: string; message_id: string; thread_id: string; label_ids: string[] };
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/users/me/drafts" });
    const mime = rawOf(req, (b) => (b.message as { raw: string }).raw);
    expect(mime).toContain("To: dana.kim@contoso.example\r\n");
    expect(mime).toContain("Subject: Re: Invoice #4821 for November\r\n");
    expect(out).toMatchObject({ draft_id: expect.stringMatching(/^r-\d+$/), label_ids: ["DRAFT"] });
    const drafts = (await h.call("gmail_list_messages", { q: "in:drafts" })) as ListOut;
    expect(drafts.messages).toEqual([expect.objectContaining({ id: out.message_id, subject: "Re: Invoice #4821 for November", label_ids: ["DRAFT"] })]);
  });

  it("gmail_list_labels → GET /users/me/labels", async () => {
    const out = (await h.call("gmail_list_labels", {})) as { labels: { id: string; name: string; type: string }[] };
    expect(h.last()).toMatchObject({ method: "GET", path: "/users/me/labels" });
    expect(out.labels).toContainEqual({ id: "INBOX", name: "INBOX", type: "system" });
    expect(out.labels).toContainEqual({ id: "Label_1", name: "Receipts", type: "user" });
  });

  it("gmail_modify_message_labels → POST /users/me/messages/{id}/modify; unknown label → invalid_request with Gmail's message", async () => {
    const out = await h.call("gmail_modify_message_labels", { message_id: "19a9352c7f8e1a03", add_label_ids: ["STARRED", "Label_3"], remove_label_ids: ["UNREAD"] });
    expect(h.last()).toMatchObject({ method: "POST", path: "/users/me/messages/19a9352c7f8e1a03/modify", body: { addLabelIds: ["STARRED", "Label_3"], removeLabelIds: ["UNREAD"] } });
    expect(out).toEqual({ id: "19a9352c7f8e1a03", thread_id: T1, label_ids: ["IMPORTANT", "CATEGORY_PERSONAL", "INBOX", "STARRED", "Label_3"] });
    expect(await h.call("gmail_list_messages", { q: "is:unread from:priya" })).toMatchObject({ messages: [] });
    const bad = await h.fail("gmail_modify_message_labels", { message_id: "19a9352c7f8e1a03", add_label_ids: ["Label_99"] });
    expect(bad).toMatchObject({ code: "invalid_request", provider_status: 400, message: "Gmail rejected the request: Invalid label: Label_99" });
    expect(await h.fail("gmail_modify_message_labels", { message_id: "ffffffffffffffff", remove_label_ids: ["UNREAD"] })).toMatchObject({ code: "not_found" });
    await expect(h.call("gmail_modify_message_labels", { message_id: "19a9352c7f8e1a03" })).rejects.toThrow();
  });

  it("gmail_trash_message → POST /users/me/messages/{id}/trash; trashed mail leaves the default listing", async () => {
    const out = await h.call("gmail_trash_message", { message_id: "19aa3e21d9f65b06" });
    expect(h.last()).toMatchObject({ method: "POST", path: "/users/me/messages/19aa3e21d9f65b06/trash", body: undefined });
    expect(out).toMatchObject({ id: "19aa3e21d9f65b06", trashed: true, label_ids: expect.arrayContaining(["TRASH"]) });
    const listed = (await h.call("gmail_list_messages", {})) as ListOut;
    expect(listed.messages.map((m) => m.id)).not.toContain("19aa3e21d9f65b06");
    const trash = (await h.call("gmail_list_messages", { label_ids: ["TRASH"] })) as ListOut;
    expect(trash.messages.map((m) => m.id)).toEqual(["19aa3e21d9f65b06"]);
    expect(await h.fail("gmail_trash_message", { message_id: "ffffffffffffffff" })).toMatchObject({ code: "not_found" });
  });

  it("maps Google's errors: 401 → provider auth error (reauth), 403 scope → insufficient_scope with the missing scope, 403 rate limit → rate_limited", async () => {
    expect(await h.fail("gmail_get_profile", {}, { credential: { access_token: "expired_ya29" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("gmail_list_messages", {}, { credential: { access_token: "revoked_ya29" } })).toEqual({ code: "provider_unauthorized" });
    const unauth = await backend.handle({ method: "GET", path: "/users/me/profile", query: new URLSearchParams(), headers: {}, body: undefined });
    expect(unauth).toMatchObject({ status: 401, headers: { "www-authenticate": expect.stringContaining("accounts.google.com") }, body: { error: { code: 401, status: "UNAUTHENTICATED", errors: [{ reason: "required" }] } } });

    const scopeBody = {
      error: {
        code: 403,
        message: "Request had insufficient authentication scopes.",
        errors: [{ message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" }],
        status: "PERMISSION_DENIED",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com", metadata: { service: "gmail.googleapis.com" } }],
      },
    };
    const denying: SandboxBackend = { slug: "gmail", reset() {}, handle: async () => json(403, scopeBody) };
    const h403 = await contractHarness(gmail, denying, { access_token: "ya29.readonly-only" });
    try {
      const f = await h403.fail("gmail_send_message", { to: ["a@example.com"], subject: "x", body: "y" }, { grantedScopes: [S.readonly] });
      expect(f).toMatchObject({ code: "insufficient_scope", missing_scopes: [S.send], provider_status: 403 });
    } finally {
      await h403.close();
    }
    // PERMISSION_DENIED that names scopes, without the legacy reason, is still a scope problem.
    expect(gmail.interpret!({ status: 403, headers: {}, body: { error: { code: 403, status: "PERMISSION_DENIED", message: "Request had insufficient authentication scopes." } } })).toMatchObject({ code: "insufficient_scope" });
    // …but other 403s are not.
    expect(gmail.interpret!({ status: 403, headers: {}, body: { error: { code: 403, status: "PERMISSION_DENIED", message: "Delegation denied for morgan.lee@example.com", errors: [{ reason: "forbidden" }] } } })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("Delegation denied") });
    expect(gmail.interpret!({ status: 403, headers: {}, body: { error: { code: 403, message: "User-rate limit exceeded.", errors: [{ domain: "usageLimits", reason: "userRateLimitExceeded" }] } } })).toMatchObject({ code: "rate_limited", provider_status: 403 });
    expect(gmail.interpret!({ status: 429, headers: { "retry-after": "12" }, body: { error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "Too many concurrent requests for user." } } })).toMatchObject({ code: "rate_limited", retry_after: 12 });
  });

  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(gmail.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of gmail.tools) {
      expect(t.name).toMatch(/^gmail_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes.length).toBe(1);
      if (t.annotations.readOnlyHint) expect(t.scopes).toEqual([S.readonly]);
    }
    const byName = Object.fromEntries(gmail.tools.map((t) => [t.name, t]));
    expect(byName.gmail_send_message!.scopes).toEqual([S.send]);
    expect(byName.gmail_create_draft!.scopes).toEqual([S.compose]);
    expect(byName.gmail_modify_message_labels!.scopes).toEqual([S.modify]);
    expect(byName.gmail_trash_message!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(gmail.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
  });
});
