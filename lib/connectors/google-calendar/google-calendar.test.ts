import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { googleCalendar } from "@/lib/connectors/google-calendar";
import { ProviderHttp } from "@/lib/connectors/http";
import { contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createGoogleCalendarSandbox } from "@/lib/sandbox/google-calendar";
import { json } from "@/lib/sandbox/router";
import type { SandboxBackend } from "@/lib/sandbox/types";

// Contract tests: each tool sends the Calendar API v3's documented request and reads its documented response.
const backend = createGoogleCalendarSandbox();
let h: ContractHarness;

const READ = "https://www.googleapis.com/auth/calendar.readonly";
const WRITE = "https://www.googleapis.com/auth/calendar.events";
const USER = "morgan.lee@example.com";
const TEAM = "c_7f3a91d2b6e84c05a1f0@group.calendar.google.com";
const HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com";

type EventOut = { id: string; summary: string | null; start: string | null; end: string | null; all_day: boolean; status: string | null; meet_link: string | null; attendees: { email: string; response_status: string | null }[] };

beforeAll(async () => {
  h = await contractHarness(googleCalendar, backend, { access_token: "ya29.sandbox-token" });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

describe("google calendar connector contract", () => {
  it("sends the OAuth bearer token and asks for JSON", async () => {
    await h.call("google_calendar_list_calendars", {});
    expect(h.last().headers.authorization).toBe("Bearer ya29.sandbox-token");
    expect(h.last().headers.accept).toBe("application/json");
  });

  it("uses Google's OAuth endpoints with offline access", () => {
    expect(googleCalendar.auth).toMatchObject({
      kind: "oauth2",
      authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenUrl: "https://oauth2.googleapis.com/token",
      revokeUrl: "https://oauth2.googleapis.com/revoke",
      pkce: true,
      scopeSeparator: " ",
      tokenAuthMethod: "client_secret_post",
      baseScopes: ["openid", "email"],
      authorizeParams: { access_type: "offline", prompt: "consent", include_granted_scopes: "true" },
    });
    expect(googleCalendar.baseUrl).toBe("https://www.googleapis.com/calendar/v3");
  });

  it("accountLabel → GET /users/me/calendarList/primary, the primary calendar's id (the email)", async () => {
    const http = new ProviderHttp({ connector: googleCalendar, baseUrl: h.url, authHeaders: { authorization: "Bearer ya29.sandbox-token" }, grantedScopes: [READ], toolScopes: [READ] });
    const label = await googleCalendar.accountLabel!({ http, connection: { id: "c", grantedScopes: [READ], accountLabel: null }, signal: new AbortController().signal });
    expect(h.last()).toMatchObject({ method: "GET", path: "/users/me/calendarList/primary" });
    expect(label).toBe(USER);
  });

  it("google_calendar_list_calendars → GET /users/me/calendarList and follows nextPageToken", async () => {
    const first = (await h.call("google_calendar_list_calendars", { max_results: 2 })) as { calendars: { id: string; primary: boolean; access_role: string }[]; next_page_token: string | null };
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/users/me/calendarList" });
    expect(Object.fromEntries(req.query)).toEqual({ maxResults: "2" });
    expect(first.calendars).toEqual([expect.objectContaining({ id: USER, primary: true, access_role: "owner", time_zone: "America/Los_Angeles" }), expect.objectContaining({ id: TEAM, name: "Team Launches", access_role: "writer" })]);
    expect(first.next_page_token).toEqual(expect.any(String));
    const second = (await h.call("google_calendar_list_calendars", { max_results: 2, page_token: first.next_page_token })) as typeof first;
    expect(h.last().query.get("pageToken")).toBe(first.next_page_token);
    expect(second.calendars.map((c) => c.id)).toEqual([HOLIDAYS]);
    expect(second.next_page_token).toBeNull();
    const writable = (await h.call("google_calendar_list_calendars", { min_access_role: "writer" })) as typeof first;
    expect(h.last().query.get("minAccessRole")).toBe("writer");
    expect(writable.calendars.map((c) => c.id)).toEqual([USER, TEAM]);
  });

  it("google_calendar_list_events → GET /calendars/{calendarId}/events with the window, singleEvents and orderBy; pages with nextPageToken", async () => {
    const args = { time_min: "2026-12-01T00:00:00-08:00", time_max: "2026-12-03T00:00:00-08:00", max_results: 2 };
    const first = (await h.call("google_calendar_list_events", args)) as { calendar: string; time_zone: string; events: EventOut[]; next_page_token: string | null };
    const req = h.last();
    expect(req).toMatchObject({ method: "GET", path: "/calendars/primary/events" });
    expect(Object.fromEntries(req.query)).toEqual({ timeMin: "2026-12-01T00:00:00-08:00", timeMax: "2026-12-03T00:00:00-08:00", singleEvents: "true", orderBy: "startTime", maxResults: "2" });
    expect(first).toMatchObject({ calendar: USER, time_zone: "America/Los_Angeles" });
    expect(first.events.map((e) => e.summary)).toEqual(["Weekly team sync", "1:1 with Priya"]);
    expect(first.events[0]).toMatchObject({ start: "2026-12-01T10:00:00-08:00", end: "2026-12-01T10:30:00-08:00", all_day: false, meet_link: "https://meet.google.com/qvr-mtzn-pkd" });
    expect(first.events[0]!.attendees).toContainEqual({ email: "sam.okafor@example.com", name: "Sam Okafor", response_status: "tentative", optional: false, organizer: false });
    const second = (await h.call("google_calendar_list_events", { ...args, page_token: first.next_page_token })) as typeof first;
    expect(second.events.map((e) => e.summary)).toEqual(["Dentist appointment"]);
    expect(second.next_page_token).toBeNull();
  });

  it("google_calendar_list_events: q searches, calendar ids are path-encoded, all-day events carry dates", async () => {
    const found = (await h.call("google_calendar_list_events", { q: "priya" })) as { events: EventOut[] };
    expect(h.last().query.get("q")).toBe("priya");
    expect(found.events.map((e) => e.summary)).toEqual(["Weekly team sync", "1:1 with Priya"]);
    const team = (await h.call("google_calendar_list_events", { calendar_id: TEAM })) as { events: EventOut[] };
    expect(h.last().path).toBe("/calendars/c_7f3a91d2b6e84c05a1f0%40group.calendar.google.com/events");
    expect(team.events[1]).toMatchObject({ summary: "Mobile app 3.2 release", start: "2026-12-08", end: "2026-12-09", all_day: true });
    await h.call("google_calendar_list_events", { calendar_id: HOLIDAYS });
    expect(h.last().path).toBe("/calendars/en.usa%23holiday%40group.v.calendar.google.com/events");
  });

  it("google_calendar_list_events: Google's 400 (startTime ordering needs singleEvents) → invalid_request with its message", async () => {
    const unordered = (await h.call("google_calendar_list_events", { single_events: false })) as { events: EventOut[] };
    expect(h.last().query.has("orderBy")).toBe(false);
    expect(unordered.events).toHaveLength(4);
    const f = await h.fail("google_calendar_list_events", { single_events: false, order_by: "startTime" });
    expect(Object.fromEntries(h.last().query)).toMatchObject({ singleEvents: "false", orderBy: "startTime" });
    expect(f).toMatchObject({ code: "invalid_request", provider_status: 400, message: expect.stringContaining("The requested ordering is not available for the particular query.") });
  });

  it("google_calendar_get_event → GET /calendars/{calendarId}/events/{eventId}; unknown → not_found", async () => {
    const out = await h.call("google_calendar_get_event", { event_id: "6h1j5l9n3p7r0t4v8b2d6f0g4i", time_zone: "America/New_York" });
    expect(h.last()).toMatchObject({ method: "GET", path: "/calendars/primary/events/6h1j5l9n3p7r0t4v8b2d6f0g4i" });
    expect(h.last().query.get("timeZone")).toBe("America/New_York");
    expect(out).toMatchObject({ summary: "Dentist appointment", location: expect.stringContaining("Market St"), start: "2026-12-02T08:30:00-08:00", time_zone: "America/Los_Angeles", organizer: USER });
    expect(await h.fail("google_calendar_get_event", { event_id: "nosuchevent0" })).toMatchObject({ code: "not_found", provider_status: 404, message: expect.stringContaining("Not Found") });
  });

  it("google_calendar_create_event → POST /calendars/{calendarId}/events with the event body, sendUpdates and a Meet request; it is then listed", async () => {
    const out = (await h.call("google_calendar_create_event", {
      summary: "Design review",
      description: "Walk through the onboarding mocks.",
      location: "Zoom Room 2",
      start: { dateTime: "2026-12-04T10:00:00", timeZone: "America/Los_Angeles" },
      end: { dateTime: "2026-12-04T11:00:00", timeZone: "America/Los_Angeles" },
      attendees: [{ email: "priya.natarajan@example.com" }, { email: "sam.okafor@example.com", optional: true }],
      add_google_meet: true,
      send_updates: "all",
    })) as EventOut;
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/calendars/primary/events" });
    expect(Object.fromEntries(req.query)).toEqual({ sendUpdates: "all", conferenceDataVersion: "1" });
    expect(req.body).toMatchObject({
      summary: "Design review",
      description: "Walk through the onboarding mocks.",
      location: "Zoom Room 2",
      start: { dateTime: "2026-12-04T10:00:00", timeZone: "America/Los_Angeles" },
      end: { dateTime: "2026-12-04T11:00:00", timeZone: "America/Los_Angeles" },
      attendees: [{ email: "priya.natarajan@example.com" }, { email: "sam.okafor@example.com", optional: true }],
      conferenceData: { createRequest: { requestId: expect.any(String), conferenceSolutionKey: { type: "hangoutsMeet" } } },
    });
    expect(out).toMatchObject({ summary: "Design review", status: "confirmed", start: "2026-12-04T10:00:00-08:00", organizer: USER, meet_link: expect.stringMatching(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/) });
    expect(out.attendees.map((a) => a.response_status)).toEqual(["needsAction", "needsAction"]);
    const listed = (await h.call("google_calendar_list_events", { q: "design review" })) as { events: EventOut[] };
    expect(listed.events.map((e) => e.id)).toEqual([out.id]);

    const allDay = (await h.call("google_calendar_create_event", { calendar_id: TEAM, summary: "Code freeze", start: { date: "2026-12-18" }, end: { date: "2026-12-19" } })) as EventOut;
    expect(h.last().path).toBe("/calendars/c_7f3a91d2b6e84c05a1f0%40group.calendar.google.com/events");
    expect(Object.fromEntries(h.last().query)).toEqual({});
    expect(allDay).toMatchObject({ all_day: true, start: "2026-12-18", end: "2026-12-19", meet_link: null });
  });

  it("google_calendar_create_event: Google's validation errors → invalid_request with Google's message; bad input never reaches Google", async () => {
    const empty = await h.fail("google_calendar_create_event", { summary: "Backwards", start: { dateTime: "2026-12-04T11:00:00-08:00" }, end: { dateTime: "2026-12-04T10:00:00-08:00" } });
    expect(empty).toMatchObject({ code: "invalid_request", provider_status: 400, message: expect.stringContaining("The specified time range is empty.") });
    const noZone = await h.fail("google_calendar_create_event", { summary: "Floating", start: { dateTime: "2026-12-04T10:00:00" }, end: { dateTime: "2026-12-04T11:00:00" } });
    expect(noZone).toMatchObject({ code: "invalid_request", message: expect.stringContaining("Missing time zone definition for start time.") });
    const readOnly = await h.fail("google_calendar_create_event", { calendar_id: HOLIDAYS, summary: "Mine", start: { date: "2026-12-24" }, end: { date: "2026-12-25" } });
    expect(readOnly).toMatchObject({ code: "invalid_request", provider_status: 403, message: expect.stringContaining("You need to have writer access to this calendar.") });
    const before = h.requests.length;
    await expect(h.call("google_calendar_create_event", { summary: "Both", start: { date: "2026-12-04", dateTime: "2026-12-04T10:00:00Z" }, end: { date: "2026-12-05" } })).rejects.toThrow();
    expect(h.requests.length).toBe(before);
  });

  it("google_calendar_update_event → PATCH with only the given fields and sendUpdates", async () => {
    const out = (await h.call("google_calendar_update_event", {
      event_id: "0b9d3e7g2h6k1m5o8q4s7u0v3a",
      summary: "1:1 with Priya (moved)",
      start: { dateTime: "2026-12-01T15:00:00-08:00" },
      end: { dateTime: "2026-12-01T15:30:00-08:00" },
      send_updates: "all",
    })) as EventOut;
    const req = h.last();
    expect(req).toMatchObject({ method: "PATCH", path: "/calendars/primary/events/0b9d3e7g2h6k1m5o8q4s7u0v3a" });
    expect(req.query.get("sendUpdates")).toBe("all");
    expect(req.body).toEqual({ summary: "1:1 with Priya (moved)", start: { dateTime: "2026-12-01T15:00:00-08:00" }, end: { dateTime: "2026-12-01T15:30:00-08:00" } });
    expect(out).toMatchObject({ summary: "1:1 with Priya (moved)", start: "2026-12-01T15:00:00-08:00", end: "2026-12-01T15:30:00-08:00" });
    expect(out.attendees).toHaveLength(2);
    const again = await h.call("google_calendar_get_event", { event_id: "0b9d3e7g2h6k1m5o8q4s7u0v3a" });
    expect(again).toMatchObject({ summary: "1:1 with Priya (moved)" });
    expect(await h.fail("google_calendar_update_event", { event_id: "nosuchevent0", summary: "x" })).toMatchObject({ code: "not_found" });
  });

  it("google_calendar_delete_event → DELETE (204); the event is gone from lists and a second delete is not_found (410 Gone)", async () => {
    const out = await h.call("google_calendar_delete_event", { event_id: "6h1j5l9n3p7r0t4v8b2d6f0g4i", send_updates: "none" });
    expect(h.last()).toMatchObject({ method: "DELETE", path: "/calendars/primary/events/6h1j5l9n3p7r0t4v8b2d6f0g4i", body: undefined });
    expect(h.last().query.get("sendUpdates")).toBe("none");
    expect(out).toEqual({ deleted: true, event_id: "6h1j5l9n3p7r0t4v8b2d6f0g4i", calendar_id: "primary" });
    const listed = (await h.call("google_calendar_list_events", {})) as { events: EventOut[] };
    expect(listed.events.map((e) => e.summary)).not.toContain("Dentist appointment");
    expect(await h.call("google_calendar_get_event", { event_id: "6h1j5l9n3p7r0t4v8b2d6f0g4i" })).toMatchObject({ status: "cancelled" });
    expect(await h.fail("google_calendar_delete_event", { event_id: "6h1j5l9n3p7r0t4v8b2d6f0g4i" })).toMatchObject({ code: "not_found", provider_status: 410, message: expect.stringContaining("Resource has been deleted") });
  });

  it("google_calendar_query_free_busy → POST /freeBusy with timeMin, timeMax, timeZone and items", async () => {
    const out = (await h.call("google_calendar_query_free_busy", {
      time_min: "2026-12-01T00:00:00-08:00",
      time_max: "2026-12-04T00:00:00-08:00",
      calendar_ids: ["primary", TEAM, "nobody@nowhere.example"],
      time_zone: "America/Los_Angeles",
    })) as { calendars: { id: string; busy: { start: string; end: string }[]; errors: string[] }[] };
    expect(h.last()).toMatchObject({
      method: "POST",
      path: "/freeBusy",
      body: { timeMin: "2026-12-01T00:00:00-08:00", timeMax: "2026-12-04T00:00:00-08:00", timeZone: "America/Los_Angeles", items: [{ id: "primary" }, { id: TEAM }, { id: "nobody@nowhere.example" }] },
    });
    const byId = Object.fromEntries(out.calendars.map((c) => [c.id, c]));
    // Focus time is marked transparent (free), so it is not a busy block.
    expect(byId.primary!.busy).toEqual([
      { start: "2026-12-01T10:00:00-08:00", end: "2026-12-01T10:30:00-08:00" },
      { start: "2026-12-01T14:00:00-08:00", end: "2026-12-01T14:30:00-08:00" },
      { start: "2026-12-02T08:30:00-08:00", end: "2026-12-02T09:30:00-08:00" },
    ]);
    expect(byId[TEAM]!.busy).toEqual([{ start: "2026-12-02T11:00:00-08:00", end: "2026-12-02T12:00:00-08:00" }]);
    expect(byId["nobody@nowhere.example"]).toEqual({ id: "nobody@nowhere.example", busy: [], errors: ["notFound"] });
    const utc = (await h.call("google_calendar_query_free_busy", { time_min: "2026-12-02T00:00:00Z", time_max: "2026-12-03T00:00:00Z" })) as typeof out;
    expect(h.last().body).toEqual({ timeMin: "2026-12-02T00:00:00Z", timeMax: "2026-12-03T00:00:00Z", items: [{ id: "primary" }] });
    expect(utc.calendars[0]!.busy).toEqual([{ start: "2026-12-02T16:30:00Z", end: "2026-12-02T17:30:00Z" }]);
  });

  it("maps Google's errors: 401 → provider auth error (reauth), 403 scope → insufficient_scope, 403 rate limit → rate_limited", async () => {
    expect(await h.fail("google_calendar_list_calendars", {}, { credential: { access_token: "expired_ya29" } })).toEqual({ code: "provider_unauthorized" });
    expect(await h.fail("google_calendar_list_events", {}, { credential: { access_token: "revoked_ya29" } })).toEqual({ code: "provider_unauthorized" });
    const unauth = await backend.handle({ method: "GET", path: "/users/me/calendarList", query: new URLSearchParams(), headers: { authorization: "Bearer expired_x" }, body: undefined });
    expect(unauth).toMatchObject({ status: 401, body: { error: { code: 401, status: "UNAUTHENTICATED", errors: [{ reason: "authError" }] } } });
    expect(googleCalendar.interpret!({ status: 401, headers: {}, body: unauth.body })).toMatchObject({ code: "reauth_required" });

    // Google's answer when the token lacks the scope: served by a stand-in backend so it goes through ProviderHttp.
    const scopeBody = {
      error: {
        code: 403,
        message: "Request had insufficient authentication scopes.",
        errors: [{ message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" }],
        status: "PERMISSION_DENIED",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com" }],
      },
    };
    const denying: SandboxBackend = { slug: "google_calendar", reset() {}, handle: async () => json(403, scopeBody, { "www-authenticate": `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${WRITE}"` }) };
    const h403 = await contractHarness(googleCalendar, denying, { access_token: "ya29.readonly" });
    try {
      const f = await h403.fail("google_calendar_create_event", { summary: "x", start: { date: "2026-12-24" }, end: { date: "2026-12-25" } }, { grantedScopes: [READ] });
      expect(f).toMatchObject({ code: "insufficient_scope", missing_scopes: [WRITE], provider_status: 403, message: expect.stringContaining("insufficient authentication scopes") });
    } finally {
      await h403.close();
    }

    const rate = googleCalendar.interpret!({
      status: 403,
      headers: {},
      body: { error: { code: 403, message: "Rate Limit Exceeded", errors: [{ domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded" }] } },
    });
    expect(rate).toMatchObject({ code: "rate_limited", provider_status: 403 });
    const userRate = googleCalendar.interpret!({ status: 403, headers: {}, body: { error: { code: 403, message: "User Rate Limit Exceeded", errors: [{ domain: "usageLimits", reason: "userRateLimitExceeded" }] } } });
    expect(userRate).toMatchObject({ code: "rate_limited" });
    expect(googleCalendar.interpret!({ status: 429, headers: { "retry-after": "30" }, body: { error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "Too many requests" } } })).toMatchObject({ code: "rate_limited", retry_after: 30 });
    expect(googleCalendar.interpret!({ status: 200, headers: {}, body: {} })).toBeNull();
    expect(googleCalendar.interpret!({ status: 503, headers: {}, body: "<html>" })).toBeNull();
  });

  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(googleCalendar.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of googleCalendar.tools) {
      expect(t.name).toMatch(/^google_calendar_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes.length).toBeGreaterThan(0);
      expect(t.scopes).toEqual([t.annotations.readOnlyHint ? READ : WRITE]);
    }
    expect(googleCalendar.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
    expect(googleCalendar.tools.find((t) => t.name === "google_calendar_delete_event")!.annotations).toMatchObject({ destructiveHint: true });
  });
});
