import { randomUUID } from "node:crypto";
import * as z from "zod";
import { googleInterpret, googleOAuth } from "@/lib/connectors/google-shared";
import { defineConnector, defineTool } from "@/lib/connectors/types";

// Google Calendar API v3 (https://developers.google.com/calendar/api/v3/reference).

const READ = "https://www.googleapis.com/auth/calendar.readonly";
const WRITE = "https://www.googleapis.com/auth/calendar.events";

type GTime = { dateTime?: string; date?: string; timeZone?: string };
type GAttendee = { email: string; displayName?: string; responseStatus?: string; optional?: boolean; organizer?: boolean; self?: boolean };
type GEvent = {
  id: string;
  status?: string;
  htmlLink?: string;
  created?: string;
  updated?: string;
  summary?: string;
  description?: string;
  location?: string;
  organizer?: { email?: string; displayName?: string; self?: boolean };
  start?: GTime;
  end?: GTime;
  recurrence?: string[];
  recurringEventId?: string;
  attendees?: GAttendee[];
  hangoutLink?: string;
  conferenceData?: { entryPoints?: { entryPointType?: string; uri?: string }[] };
  transparency?: string;
};
type GCalendarListEntry = {
  id: string;
  summary: string;
  summaryOverride?: string;
  description?: string;
  timeZone?: string;
  accessRole: string;
  primary?: boolean;
  hidden?: boolean;
  selected?: boolean;
  backgroundColor?: string;
};

const calendarId = z
  .string()
  .min(1)
  .max(255)
  .default("primary")
  .describe("Calendar id from google_calendar_list_calendars (an email for personal calendars); `primary` is the user's main calendar");
const eventId = z.string().min(1).max(1024).describe("Event id from google_calendar_list_events");
const rfc3339 = z.iso.datetime({ offset: true }).describe("RFC 3339 timestamp with offset, e.g. 2026-03-10T09:00:00-08:00 or 2026-03-10T17:00:00Z");
const when = z
  .object({
    dateTime: z.iso
      .datetime({ offset: true, local: true })
      .optional()
      .describe("Timed events: RFC 3339, e.g. 2026-03-10T09:00:00-08:00; the offset may be left out when timeZone is given"),
    date: z.iso.date().optional().describe("All-day events: YYYY-MM-DD (an all-day event's end date is exclusive: the day after it ends)"),
    timeZone: z.string().min(1).max(64).optional().describe("IANA time zone, e.g. America/Los_Angeles"),
  })
  .refine((w) => Boolean(w.dateTime) !== Boolean(w.date), "Give exactly one of dateTime or date");
const attendees = z
  .array(z.object({ email: z.email(), optional: z.boolean().optional() }))
  .max(100)
  .describe("People to invite, by email");
const sendUpdates = z
  .enum(["all", "externalOnly", "none"])
  .optional()
  .describe("Whether Google emails the attendees about the change: all, externalOnly (non-Google-Calendar guests only) or none (Google's default)");

const eventOut = (e: GEvent) => ({
  id: e.id,
  status: e.status ?? null,
  summary: e.summary ?? null,
  description: e.description ?? null,
  location: e.location ?? null,
  start: e.start?.dateTime ?? e.start?.date ?? null,
  end: e.end?.dateTime ?? e.end?.date ?? null,
  all_day: Boolean(e.start?.date),
  time_zone: e.start?.timeZone ?? null,
  url: e.htmlLink ?? null,
  meet_link: e.hangoutLink ?? e.conferenceData?.entryPoints?.find((p) => p.entryPointType === "video")?.uri ?? null,
  organizer: e.organizer?.email ?? null,
  attendees: (e.attendees ?? []).map((a) => ({
    email: a.email,
    name: a.displayName ?? null,
    response_status: a.responseStatus ?? null,
    optional: a.optional ?? false,
    organizer: a.organizer ?? false,
  })),
  busy: e.transparency !== "transparent",
  recurring_event_id: e.recurringEventId ?? null,
  recurrence: e.recurrence ?? [],
  created: e.created ?? null,
  updated: e.updated ?? null,
});

const path = (...parts: string[]) => `/${parts.map((p) => encodeURIComponent(p)).join("/")}`;

export const googleCalendar = defineConnector({
  slug: "google_calendar",
  name: "Google Calendar",
  description: "Calendars, events, invitations and free/busy times in Google Calendar.",
  icon: `<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><rect x="3" y="4" width="18" height="17" rx="2" fill="#fff" stroke="#4285F4" stroke-width="2"/><path d="M3 6a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3H3z" fill="#4285F4"/><path d="M7 2v4M17 2v4" stroke="#1967D2" stroke-width="2" stroke-linecap="round"/><text x="12" y="18.5" font-family="Arial,sans-serif" font-size="8" font-weight="700" text-anchor="middle" fill="#1967D2">31</text></svg>`,
  categories: ["productivity", "calendar"],
  docsUrl: "https://developers.google.com/calendar/api/v3/reference",
  auth: googleOAuth(),
  baseUrl: "https://www.googleapis.com/calendar/v3",
  interpret: googleInterpret("Google Calendar"),
  // The primary calendar's id is the account's email address.
  accountLabel: async ({ http }) => (await http.get<GCalendarListEntry>("/users/me/calendarList/primary")).body.id ?? null,
  tools: [
    defineTool({
      name: "google_calendar_list_calendars",
      description: "List the calendars in the user's calendar list (their own, shared and subscribed ones) with the access they have to each.",
      input: z.object({
        min_access_role: z.enum(["freeBusyReader", "reader", "writer", "owner"]).optional().describe("Only calendars where the user has at least this access; use writer to find calendars events can be added to"),
        show_hidden: z.boolean().default(false).describe("Include calendars hidden from the calendar list"),
        max_results: z.number().int().min(1).max(250).default(100),
        page_token: z.string().min(1).max(2048).optional().describe("next_page_token from a previous call"),
      }),
      annotations: { title: "List calendars", readOnlyHint: true, openWorldHint: true },
      scopes: [READ],
      handler: async (a, { http }) => {
        const res = await http.get<{ items?: GCalendarListEntry[]; nextPageToken?: string }>("/users/me/calendarList", {
          minAccessRole: a.min_access_role,
          showHidden: a.show_hidden || undefined,
          maxResults: a.max_results,
          pageToken: a.page_token,
        });
        return {
          calendars: (res.body.items ?? []).map((c) => ({
            id: c.id,
            name: c.summaryOverride ?? c.summary,
            description: c.description ?? null,
            time_zone: c.timeZone ?? null,
            access_role: c.accessRole,
            primary: c.primary ?? false,
            hidden: c.hidden ?? false,
            color: c.backgroundColor ?? null,
          })),
          next_page_token: res.body.nextPageToken ?? null,
        };
      },
    }),
    defineTool({
      name: "google_calendar_list_events",
      description:
        "List events of a calendar, optionally within a time window or matching a text search. Recurring events are expanded into single occurrences ordered by start time unless single_events is false.",
      input: z.object({
        calendar_id: calendarId,
        time_min: rfc3339.optional().describe("Only events ending after this time (RFC 3339 with offset, e.g. 2026-03-10T00:00:00-08:00)"),
        time_max: rfc3339.optional().describe("Only events starting before this time (RFC 3339 with offset)"),
        q: z.string().min(1).max(256).optional().describe("Free-text search over summary, description, location and attendees"),
        single_events: z.boolean().default(true).describe("Expand recurring events into their occurrences"),
        order_by: z
          .enum(["startTime", "updated"])
          .optional()
          .describe("Default: startTime when single_events is true (Google only allows startTime then), else Google's unspecified order"),
        time_zone: z.string().min(1).max(64).optional().describe("IANA time zone for the times in the answer (default: the calendar's)"),
        max_results: z.number().int().min(1).max(250).default(50),
        page_token: z.string().min(1).max(2048).optional().describe("next_page_token from a previous call with the same filters"),
      }),
      annotations: { title: "List events", readOnlyHint: true, openWorldHint: true },
      scopes: [READ],
      handler: async (a, { http }) => {
        const res = await http.get<{ summary?: string; timeZone?: string; items?: GEvent[]; nextPageToken?: string }>(path("calendars", a.calendar_id, "events"), {
          timeMin: a.time_min,
          timeMax: a.time_max,
          q: a.q,
          singleEvents: a.single_events,
          orderBy: a.order_by ?? (a.single_events ? "startTime" : undefined),
          timeZone: a.time_zone,
          maxResults: a.max_results,
          pageToken: a.page_token,
        });
        return {
          calendar: res.body.summary ?? null,
          time_zone: res.body.timeZone ?? null,
          events: (res.body.items ?? []).map(eventOut),
          next_page_token: res.body.nextPageToken ?? null,
        };
      },
    }),
    defineTool({
      name: "google_calendar_get_event",
      description: "Get one event with its time, location, description, attendees and their responses, and the Meet link.",
      input: z.object({ calendar_id: calendarId, event_id: eventId, time_zone: z.string().min(1).max(64).optional().describe("IANA time zone for the times in the answer") }),
      annotations: { title: "Get event", readOnlyHint: true, openWorldHint: true },
      scopes: [READ],
      handler: async (a, { http }) => eventOut((await http.get<GEvent>(path("calendars", a.calendar_id, "events", a.event_id), { timeZone: a.time_zone })).body),
    }),
    defineTool({
      name: "google_calendar_create_event",
      description:
        "Create an event on a calendar. Timed events use start/end dateTime; all-day events use start/end date (end exclusive). Invite people with attendees and choose with send_updates whether Google emails them.",
      input: z.object({
        calendar_id: calendarId,
        summary: z.string().min(1).max(1024).describe("Event title"),
        description: z.string().max(8192).optional(),
        location: z.string().max(1024).optional(),
        start: when,
        end: when,
        attendees: attendees.optional(),
        add_google_meet: z.boolean().default(false).describe("Attach a new Google Meet video link"),
        visibility: z.enum(["default", "public", "private", "confidential"]).optional(),
        transparency: z.enum(["opaque", "transparent"]).optional().describe("opaque (default) blocks time on the calendar; transparent shows as free"),
        send_updates: sendUpdates,
      }),
      annotations: { title: "Create event", readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      scopes: [WRITE],
      handler: async (a, { http }) => {
        const res = await http.request<GEvent>({
          method: "POST",
          path: path("calendars", a.calendar_id, "events"),
          query: { sendUpdates: a.send_updates, conferenceDataVersion: a.add_google_meet ? 1 : undefined },
          json: {
            summary: a.summary,
            description: a.description,
            location: a.location,
            start: a.start,
            end: a.end,
            attendees: a.attendees,
            visibility: a.visibility,
            transparency: a.transparency,
            ...(a.add_google_meet ? { conferenceData: { createRequest: { requestId: randomUUID(), conferenceSolutionKey: { type: "hangoutsMeet" } } } } : {}),
          },
        });
        return eventOut(res.body);
      },
    }),
    defineTool({
      name: "google_calendar_update_event",
      description: "Change an event: only the fields given are changed. attendees replaces the whole guest list (include the existing guests to keep them).",
      input: z.object({
        calendar_id: calendarId,
        event_id: eventId,
        summary: z.string().min(1).max(1024).optional(),
        description: z.string().max(8192).optional(),
        location: z.string().max(1024).optional(),
        start: when.optional(),
        end: when.optional(),
        attendees: attendees.optional().describe("The complete new guest list"),
        status: z.enum(["confirmed", "tentative"]).optional(),
        transparency: z.enum(["opaque", "transparent"]).optional(),
        send_updates: sendUpdates,
      }),
      annotations: { title: "Update event", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: [WRITE],
      handler: async (a, { http }) => {
        const { calendar_id, event_id, send_updates, ...patch } = a;
        const res = await http.request<GEvent>({ method: "PATCH", path: path("calendars", calendar_id, "events", event_id), query: { sendUpdates: send_updates }, json: patch });
        return eventOut(res.body);
      },
    }),
    defineTool({
      name: "google_calendar_delete_event",
      description: "Delete (cancel) an event. With send_updates the guests are told it was cancelled.",
      input: z.object({ calendar_id: calendarId, event_id: eventId, send_updates: sendUpdates }),
      annotations: { title: "Delete event", readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      scopes: [WRITE],
      handler: async (a, { http }) => {
        await http.request({ method: "DELETE", path: path("calendars", a.calendar_id, "events", a.event_id), query: { sendUpdates: a.send_updates } });
        return { deleted: true, event_id: a.event_id, calendar_id: a.calendar_id };
      },
    }),
    defineTool({
      name: "google_calendar_query_free_busy",
      description: "Find when calendars are busy within a time window (to pick a meeting time). Unknown or inaccessible calendars are reported with their error.",
      input: z.object({
        time_min: rfc3339.describe("Start of the window (RFC 3339 with offset)"),
        time_max: rfc3339.describe("End of the window (RFC 3339 with offset)"),
        calendar_ids: z.array(z.string().min(1).max(255)).min(1).max(50).default(["primary"]).describe("Calendar ids or people's emails; `primary` is the user's own"),
        time_zone: z.string().min(1).max(64).optional().describe("IANA time zone for the busy times (default UTC)"),
      }),
      annotations: { title: "Query free/busy", readOnlyHint: true, openWorldHint: true },
      scopes: [READ],
      handler: async (a, { http }) => {
        const res = await http.post<{
          timeMin: string;
          timeMax: string;
          calendars?: Record<string, { busy?: { start: string; end: string }[]; errors?: { domain?: string; reason?: string }[] }>;
        }>("/freeBusy", { timeMin: a.time_min, timeMax: a.time_max, timeZone: a.time_zone, items: a.calendar_ids.map((id) => ({ id })) });
        return {
          time_min: res.body.timeMin,
          time_max: res.body.timeMax,
          calendars: Object.entries(res.body.calendars ?? {}).map(([id, c]) => ({
            id,
            busy: (c.busy ?? []).map((b) => ({ start: b.start, end: b.end })),
            errors: (c.errors ?? []).map((e) => e.reason ?? "unknown"),
          })),
        };
      },
    }),
  ],
});
