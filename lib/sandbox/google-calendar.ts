import { SandboxRouter, bearer, defaultAuthorize, json } from "@/lib/sandbox/router";
import { googleUnauthenticated } from "@/lib/sandbox/google-shared";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows the Google Calendar API v3 reference (https://developers.google.com/calendar/api/v3/reference)
// and its error guide (https://developers.google.com/calendar/api/guides/errors) for the endpoints the
// Google Calendar connector uses. Simplifications: no recurring events (singleEvents is accepted and
// changes nothing), no sync tokens beyond an opaque nextSyncToken on the last page, and all-day
// events count as busy like timed ones.

type Time = { dateTime?: string; date?: string; timeZone?: string };
type Attendee = { email: string; displayName?: string; responseStatus: string; optional?: boolean; organizer?: boolean; self?: boolean };
type Event = {
  kind: "calendar#event";
  etag: string;
  id: string;
  status: "confirmed" | "tentative" | "cancelled";
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  creator: { email: string; self?: boolean };
  organizer: { email: string; displayName?: string; self?: boolean };
  start: Time;
  end: Time;
  iCalUID: string;
  sequence: number;
  attendees?: Attendee[];
  visibility?: string;
  transparency?: string;
  hangoutLink?: string;
  conferenceData?: unknown;
  reminders: { useDefault: boolean };
  eventType: "default";
};
type Calendar = {
  id: string;
  summary: string;
  description?: string;
  timeZone: string;
  accessRole: "owner" | "writer" | "reader" | "freeBusyReader";
  primary?: boolean;
  hidden?: boolean;
  colorId: string;
  backgroundColor: string;
  foregroundColor: string;
  events: Event[];
};

const USER = "morgan.lee@example.com";
const ROLE_RANK = { freeBusyReader: 0, reader: 1, writer: 2, owner: 3 } as const;

/** Google's error body: `{ error: { code, message, errors: [{ domain, reason, message }] } }`. */
const gError = (code: number, reason: string, message: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  json(code, { error: { code, message, errors: [{ domain: "global", reason, message, ...extra }] } }, headers);
const notFound = () => gError(404, "notFound", "Not Found");
const badRequest = (reason: string, message: string) => gError(400, reason, message);

// ---- time zones -------------------------------------------------------------------------------

function tzOffsetMs(utcMs: number, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(utcMs));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - Math.floor(utcMs / 1000) * 1000;
}
function validTz(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
/** A wall-clock time in a zone → epoch ms. */
function zonedToUtc(local: string, tz: string): number {
  const guess = Date.parse(`${local}Z`);
  const first = guess - tzOffsetMs(guess, tz);
  const second = guess - tzOffsetMs(first, tz);
  return second;
}
/** Epoch ms → RFC 3339 in a zone (`Z` for UTC), as Google writes times. */
function formatInZone(ms: number, tz: string): string {
  const off = tzOffsetMs(ms, tz);
  const local = new Date(ms + off).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const m = Math.abs(off) / 60000;
  return `${local}${off < 0 ? "-" : "+"}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}
const HAS_OFFSET = /(Z|[+-]\d{2}:\d{2})$/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The instant an event time stands for (all-day dates at midnight in the calendar's zone). */
function instant(t: Time, calTz: string): number {
  if (t.date) return zonedToUtc(`${t.date}T00:00:00`, t.timeZone ?? calTz);
  const dt = t.dateTime!;
  return HAS_OFFSET.test(dt) ? Date.parse(dt) : zonedToUtc(dt, t.timeZone ?? calTz);
}

// ---- seed -------------------------------------------------------------------------------------

function seed() {
  let n = 0;
  const t0 = "2026-11-02T16:20:00.000Z";
  const mkEvent = (cal: Pick<Calendar, "id" | "summary">, id: string, e: Partial<Event> & Pick<Event, "start" | "end">): Event => ({
    kind: "calendar#event",
    etag: `"${3_520_000_000_000_000 + ++n * 1000}"`,
    id,
    status: "confirmed",
    htmlLink: htmlLink(id, cal.id),
    created: t0,
    updated: t0,
    creator: { email: USER, self: true },
    organizer: cal.id === USER ? { email: USER, self: true } : { email: cal.id, displayName: cal.summary, self: true },
    iCalUID: `${id}@google.com`,
    sequence: 0,
    reminders: { useDefault: true },
    eventType: "default",
    ...e,
  });
  const primary: Calendar = { id: USER, summary: USER, timeZone: "America/Los_Angeles", accessRole: "owner", primary: true, colorId: "14", backgroundColor: "#9fe1e7", foregroundColor: "#000000", events: [] };
  const launches: Calendar = {
    id: "c_7f3a91d2b6e84c05a1f0@group.calendar.google.com",
    summary: "Team Launches",
    description: "Release dates and launch reviews for the product team",
    timeZone: "America/Los_Angeles",
    accessRole: "writer",
    colorId: "9",
    backgroundColor: "#7bd148",
    foregroundColor: "#000000",
    events: [],
  };
  const holidays: Calendar = {
    id: "en.usa#holiday@group.v.calendar.google.com",
    summary: "Holidays in United States",
    description: "Holidays and Observances in United States",
    timeZone: "America/Los_Angeles",
    accessRole: "reader",
    colorId: "8",
    backgroundColor: "#16a765",
    foregroundColor: "#000000",
    events: [],
  };
  const la = "America/Los_Angeles";
  primary.events.push(
    mkEvent(primary, "4k2f8q1v7m3n9p5s0t6u2h8j1c", {
      summary: "Weekly team sync",
      description: "Agenda: launch status, blockers, hiring.",
      location: "Conference Room Redwood",
      start: { dateTime: "2026-12-01T10:00:00-08:00", timeZone: la },
      end: { dateTime: "2026-12-01T10:30:00-08:00", timeZone: la },
      attendees: [
        { email: USER, organizer: true, self: true, responseStatus: "accepted" },
        { email: "priya.natarajan@example.com", displayName: "Priya Natarajan", responseStatus: "accepted" },
        { email: "sam.okafor@example.com", displayName: "Sam Okafor", responseStatus: "tentative" },
      ],
      hangoutLink: "https://meet.google.com/qvr-mtzn-pkd",
    }),
    mkEvent(primary, "0b9d3e7g2h6k1m5o8q4s7u0v3a", {
      summary: "1:1 with Priya",
      start: { dateTime: "2026-12-01T14:00:00-08:00", timeZone: la },
      end: { dateTime: "2026-12-01T14:30:00-08:00", timeZone: la },
      attendees: [
        { email: USER, organizer: true, self: true, responseStatus: "accepted" },
        { email: "priya.natarajan@example.com", displayName: "Priya Natarajan", responseStatus: "needsAction" },
      ],
    }),
    mkEvent(primary, "6h1j5l9n3p7r0t4v8b2d6f0g4i", {
      summary: "Dentist appointment",
      location: "Bright Smile Dental, 455 Market St, San Francisco",
      visibility: "private",
      start: { dateTime: "2026-12-02T08:30:00-08:00", timeZone: la },
      end: { dateTime: "2026-12-02T09:30:00-08:00", timeZone: la },
    }),
    mkEvent(primary, "9c4e8g2i6k0m4o8q2s6u0a4c8e", {
      summary: "Focus time: Q1 planning doc",
      transparency: "transparent",
      start: { dateTime: "2026-12-03T13:00:00-08:00", timeZone: la },
      end: { dateTime: "2026-12-03T16:00:00-08:00", timeZone: la },
    }),
  );
  launches.events.push(
    mkEvent(launches, "2m6o0q4s8u2a6c0e4g8i2k6m0o", {
      summary: "Mobile app 3.2 release",
      description: "Staged rollout starts at 10% of users.",
      start: { date: "2026-12-08" },
      end: { date: "2026-12-09" },
    }),
    mkEvent(launches, "8s2u6a0c4e8g2i6k0m4o8q2s6u", {
      summary: "Launch review: billing v2",
      start: { dateTime: "2026-12-02T11:00:00-08:00", timeZone: la },
      end: { dateTime: "2026-12-02T12:00:00-08:00", timeZone: la },
      attendees: [{ email: USER, self: true, responseStatus: "accepted" }, { email: "dana.kim@example.com", displayName: "Dana Kim", organizer: true, responseStatus: "accepted" }],
    }),
  );
  holidays.events.push(
    mkEvent(holidays, "20261225_a1b2c3d4e5f6g7h8", { summary: "Christmas Day", start: { date: "2026-12-25" }, end: { date: "2026-12-26" }, transparency: "transparent", visibility: "public" }),
    mkEvent(holidays, "20270101_a1b2c3d4e5f6g7h8", { summary: "New Year's Day", start: { date: "2027-01-01" }, end: { date: "2027-01-02" }, transparency: "transparent", visibility: "public" }),
  );
  return { calendars: [primary, launches, holidays], nextId: 1, etag: 3_530_000_000_000_000 };
}

function htmlLink(eventId: string, calendarId: string) {
  return `https://www.google.com/calendar/event?eid=${Buffer.from(`${eventId} ${calendarId}`).toString("base64url")}`;
}

// Page tokens are opaque to clients; this one carries the offset into the (filtered) result list.
const pageToken = (offset: number) => Buffer.from(`lk:${offset}`).toString("base64url");
function readPageToken(token: string | null): number | null {
  if (!token) return 0;
  const m = /^lk:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  return m ? Number(m[1]) : null;
}

export function createGoogleCalendarSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;
  const now = () => new Date().toISOString();
  const calendarOf = (id: string) => state.calendars.find((c) => c.id === (id === "primary" ? USER : id));
  const nextEtag = () => `"${(state.etag += 1000)}"`;
  // Event ids use base32hex characters (a-v, 0-9), as Google's do.
  const newEventId = () => `lk0${(0x3c000000 + state.nextId++ * 7919).toString(32)}`;

  const entryOf = (c: Calendar) => ({
    kind: "calendar#calendarListEntry",
    etag: `"1763000000000000"`,
    id: c.id,
    summary: c.summary,
    ...(c.description ? { description: c.description } : {}),
    timeZone: c.timeZone,
    colorId: c.colorId,
    backgroundColor: c.backgroundColor,
    foregroundColor: c.foregroundColor,
    selected: true,
    accessRole: c.accessRole,
    defaultReminders: c.accessRole === "owner" ? [{ method: "popup", minutes: 10 }] : [],
    ...(c.primary ? { primary: true, notificationSettings: { notifications: [{ type: "eventCreation", method: "email" }] } } : {}),
    ...(c.hidden ? { hidden: true } : {}),
    conferenceProperties: { allowedConferenceSolutionTypes: ["hangoutsMeet"] },
  });

  /** Times are written back in the event's own zone, else the requested or calendar zone. */
  const render = (e: Event, cal: Calendar, tz?: string | null) => {
    const fmt = (t: Time): Time => (t.date ? { ...t } : { dateTime: formatInZone(instant(t, cal.timeZone), t.timeZone ?? tz ?? cal.timeZone), ...(t.timeZone ? { timeZone: t.timeZone } : {}) });
    return { ...e, start: fmt(e.start), end: fmt(e.end) };
  };

  /** Validates a start/end pair as Google does; returns an error response or null. */
  const checkTimes = (start: Time | undefined, end: Time | undefined, cal: Calendar): SandboxResponse | null => {
    if (!start || (!start.date && !start.dateTime)) return badRequest("required", "Missing start time.");
    if (!end || (!end.date && !end.dateTime)) return badRequest("required", "Missing end time.");
    for (const [t, which] of [[start, "start"], [end, "end"]] as const) {
      if (t.timeZone && !validTz(t.timeZone)) return badRequest("invalid", `Invalid time zone definition for ${which} time.`);
      if (t.date && !DATE.test(t.date)) return badRequest("invalid", `Invalid ${which} time.`);
      if (t.dateTime && !RFC3339.test(t.dateTime) && !LOCAL.test(t.dateTime)) return badRequest("invalid", `Invalid ${which} time.`);
      // Google needs a zone for a time written without an offset (the calendar's does not count).
      if (t.dateTime && !HAS_OFFSET.test(t.dateTime) && !t.timeZone) return badRequest("missingTimeZone", `Missing time zone definition for ${which} time.`);
    }
    if (Boolean(start.date) !== Boolean(end.date)) return badRequest("invalid", "Start and end times must either both be date or both be dateTime.");
    if (instant(end, cal.timeZone) <= instant(start, cal.timeZone)) return badRequest("timeRangeEmpty", "The specified time range is empty.");
    return null;
  };

  const checkAttendees = (list: unknown): SandboxResponse | null => {
    if (list === undefined) return null;
    if (!Array.isArray(list)) return badRequest("invalid", "Invalid value for: attendees");
    for (const a of list as { email?: unknown }[]) {
      if (typeof a?.email !== "string" || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(a.email)) return badRequest("invalid", "Invalid attendee email.");
    }
    return null;
  };

  const toAttendees = (list: { email: string; displayName?: string; optional?: boolean; responseStatus?: string }[], organizer: string, previous: Attendee[] = []): Attendee[] =>
    list.map((a) => {
      const before = previous.find((p) => p.email.toLowerCase() === a.email.toLowerCase());
      const self = a.email.toLowerCase() === USER;
      return {
        email: a.email,
        ...(a.displayName ? { displayName: a.displayName } : before?.displayName ? { displayName: before.displayName } : {}),
        ...(a.optional ? { optional: true } : {}),
        ...(a.email === organizer ? { organizer: true } : {}),
        ...(self ? { self: true } : {}),
        responseStatus: a.responseStatus ?? before?.responseStatus ?? (a.email === organizer ? "accepted" : "needsAction"),
      };
    });

  const writable = (c: Calendar) => ROLE_RANK[c.accessRole] >= ROLE_RANK.writer;
  const noWriteAccess = () => gError(403, "requiredAccessLevel", "You need to have writer access to this calendar.");

  /** A Meet code in Google's xxx-yyyy-zzz form, derived from a counter (deterministic). */
  const meetCode = (n: number) => {
    const letters = "abcdefghijkmnopqrstuvwxyz";
    const pick = (k: number, len: number) => Array.from({ length: len }, (_, i) => letters[(k * 7 + i * 11 + n * 13) % letters.length]).join("");
    return `${pick(1, 3)}-${pick(2, 4)}-${pick(3, 3)}`;
  };

  const router = new SandboxRouter()
    .on("GET", "/users/me/calendarList", (req) => {
      const minRole = req.query.get("minAccessRole");
      if (minRole && !(minRole in ROLE_RANK)) return badRequest("invalidParameter", "Invalid value for: minAccessRole");
      const max = Math.min(250, Math.max(1, Number(req.query.get("maxResults") ?? 100) || 100));
      const offset = readPageToken(req.query.get("pageToken"));
      if (offset === null) return badRequest("invalid", "Invalid page token value.");
      const showHidden = req.query.get("showHidden") === "true";
      const list = state.calendars.filter((c) => (showHidden || !c.hidden) && (!minRole || ROLE_RANK[c.accessRole] >= ROLE_RANK[minRole as keyof typeof ROLE_RANK]));
      const page = list.slice(offset, offset + max);
      const more = offset + max < list.length;
      return json(200, {
        kind: "calendar#calendarList",
        etag: `"p33k9ltrqhkrpe0o"`,
        ...(more ? { nextPageToken: pageToken(offset + max) } : { nextSyncToken: "CPjA0Jb_sYkDEhhtb3JnYW4ubGVlQGV4YW1wbGUuY29t" }),
        items: page.map(entryOf),
      });
    })
    .on("GET", "/users/me/calendarList/:calendarId", (_req, p) => {
      const cal = calendarOf(p.calendarId!);
      return cal ? json(200, entryOf(cal)) : notFound();
    })
    .on("GET", "/calendars/:calendarId/events", (req, p) => {
      const cal = calendarOf(p.calendarId!);
      if (!cal || cal.accessRole === "freeBusyReader") return notFound();
      const q = req.query;
      const tz = q.get("timeZone");
      if (tz && !validTz(tz)) return badRequest("invalid", "Invalid time zone definition.");
      for (const k of ["timeMin", "timeMax"]) {
        const v = q.get(k);
        if (v && !RFC3339.test(v)) return badRequest("invalid", "Bad Request");
      }
      const min = q.get("timeMin") ? Date.parse(q.get("timeMin")!) : -Infinity;
      const max = q.get("timeMax") ? Date.parse(q.get("timeMax")!) : Infinity;
      if (min >= max) return badRequest("timeRangeEmpty", "The specified time range is empty.");
      const orderBy = q.get("orderBy");
      if (orderBy && !["startTime", "updated"].includes(orderBy)) return badRequest("invalidParameter", "Invalid value for: orderBy");
      if (orderBy === "startTime" && q.get("singleEvents") !== "true") return badRequest("badRequest", "The requested ordering is not available for the particular query.");
      const maxResults = Math.min(2500, Math.max(1, Number(q.get("maxResults") ?? 250) || 250));
      const offset = readPageToken(q.get("pageToken"));
      if (offset === null) return badRequest("invalid", "Invalid page token value.");
      const words = (q.get("q") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      const showDeleted = q.get("showDeleted") === "true";
      const list = cal.events
        .filter((e) => showDeleted || e.status !== "cancelled")
        .filter((e) => instant(e.end, cal.timeZone) > min && instant(e.start, cal.timeZone) < max)
        .filter((e) => {
          const text = [e.summary, e.description, e.location, ...(e.attendees ?? []).flatMap((a) => [a.email, a.displayName])].filter(Boolean).join(" ").toLowerCase();
          return words.every((w) => text.includes(w));
        })
        .sort((a, b) => (orderBy === "updated" ? a.updated.localeCompare(b.updated) : instant(a.start, cal.timeZone) - instant(b.start, cal.timeZone)) || a.id.localeCompare(b.id));
      const page = list.slice(offset, offset + maxResults);
      const more = offset + maxResults < list.length;
      return json(200, {
        kind: "calendar#events",
        etag: `"${state.etag}"`,
        summary: cal.summary,
        ...(cal.description ? { description: cal.description } : {}),
        updated: cal.events.reduce((m, e) => (e.updated > m ? e.updated : m), "2026-11-02T16:20:00.000Z"),
        timeZone: tz ?? cal.timeZone,
        accessRole: cal.accessRole,
        defaultReminders: cal.accessRole === "owner" ? [{ method: "popup", minutes: 10 }] : [],
        ...(more ? { nextPageToken: pageToken(offset + maxResults) } : { nextSyncToken: `CPDAlvWDx70CEPDAlvWDx70CGAUg${state.etag % 100000}` }),
        items: page.map((e) => render(e, cal, tz)),
      });
    })
    .on("POST", "/calendars/:calendarId/events", (req, p) => {
      const cal = calendarOf(p.calendarId!);
      if (!cal) return notFound();
      if (!writable(cal)) return noWriteAccess();
      const su = req.query.get("sendUpdates");
      if (su && !["all", "externalOnly", "none"].includes(su)) return badRequest("invalidParameter", "Invalid value for: sendUpdates");
      const b = (req.body ?? {}) as Partial<Event> & { attendees?: { email: string; displayName?: string; optional?: boolean }[]; conferenceData?: { createRequest?: { requestId?: string } } };
      const bad = checkTimes(b.start, b.end, cal) ?? checkAttendees(b.attendees);
      if (bad) return bad;
      const id = newEventId();
      const stamp = now();
      const organizer = cal.id;
      const wantsMeet = req.query.get("conferenceDataVersion") === "1" && Boolean(b.conferenceData?.createRequest);
      const code = meetCode(state.nextId);
      const event: Event = {
        kind: "calendar#event",
        etag: nextEtag(),
        id,
        status: "confirmed",
        htmlLink: htmlLink(id, cal.id),
        created: stamp,
        updated: stamp,
        ...(typeof b.summary === "string" ? { summary: b.summary } : {}),
        ...(typeof b.description === "string" ? { description: b.description } : {}),
        ...(typeof b.location === "string" ? { location: b.location } : {}),
        creator: { email: USER, self: true },
        organizer: cal.primary ? { email: USER, self: true } : { email: cal.id, displayName: cal.summary, self: true },
        start: { ...b.start! },
        end: { ...b.end! },
        iCalUID: `${id}@google.com`,
        sequence: 0,
        ...(b.attendees?.length ? { attendees: toAttendees(b.attendees, organizer) } : {}),
        ...(b.visibility ? { visibility: b.visibility } : {}),
        ...(b.transparency ? { transparency: b.transparency } : {}),
        ...(wantsMeet
          ? {
              hangoutLink: `https://meet.google.com/${code}`,
              conferenceData: {
                createRequest: { requestId: b.conferenceData!.createRequest!.requestId, conferenceSolutionKey: { type: "hangoutsMeet" }, status: { statusCode: "success" } },
                entryPoints: [{ entryPointType: "video", uri: `https://meet.google.com/${code}`, label: `meet.google.com/${code}` }],
                conferenceSolution: { key: { type: "hangoutsMeet" }, name: "Google Meet", iconUri: "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png" },
                conferenceId: code,
              },
            }
          : {}),
        reminders: { useDefault: true },
        eventType: "default",
      };
      cal.events.push(event);
      return json(200, render(event, cal));
    })
    .on("GET", "/calendars/:calendarId/events/:eventId", (req, p) => {
      const cal = calendarOf(p.calendarId!);
      const event = cal?.accessRole !== "freeBusyReader" ? cal?.events.find((e) => e.id === p.eventId) : undefined;
      if (!cal || !event) return notFound();
      const tz = req.query.get("timeZone");
      if (tz && !validTz(tz)) return badRequest("invalid", "Invalid time zone definition.");
      // Deleted events stay readable with status "cancelled", as in the real API.
      return json(200, render(event, cal, tz));
    })
    .on("PATCH", "/calendars/:calendarId/events/:eventId", (req, p) => {
      const cal = calendarOf(p.calendarId!);
      const event = cal?.events.find((e) => e.id === p.eventId);
      if (!cal || !event) return notFound();
      if (!writable(cal)) return noWriteAccess();
      if (event.status === "cancelled") return gError(410, "deleted", "Resource has been deleted");
      const b = (req.body ?? {}) as Partial<Event> & { attendees?: { email: string; displayName?: string; optional?: boolean; responseStatus?: string }[] };
      if (b.status && !["confirmed", "tentative", "cancelled"].includes(b.status)) return badRequest("invalid", "Invalid value for: status");
      const start = b.start ?? event.start;
      const end = b.end ?? event.end;
      const bad = (b.start || b.end ? checkTimes(start, end, cal) : null) ?? checkAttendees(b.attendees);
      if (bad) return bad;
      for (const k of ["summary", "description", "location", "visibility", "transparency", "status"] as const) {
        if (typeof b[k] === "string") (event as Record<string, unknown>)[k] = b[k];
      }
      event.start = { ...start };
      event.end = { ...end };
      if (b.attendees) event.attendees = toAttendees(b.attendees, event.organizer.email, event.attendees);
      event.sequence += b.start || b.end ? 1 : 0;
      event.etag = nextEtag();
      event.updated = now();
      return json(200, render(event, cal));
    })
    .on("DELETE", "/calendars/:calendarId/events/:eventId", (_req, p) => {
      const cal = calendarOf(p.calendarId!);
      const event = cal?.events.find((e) => e.id === p.eventId);
      if (!cal || !event) return notFound();
      if (!writable(cal)) return noWriteAccess();
      if (event.status === "cancelled") return gError(410, "deleted", "Resource has been deleted");
      event.status = "cancelled";
      event.etag = nextEtag();
      event.updated = now();
      return { status: 204 };
    })
    .on("POST", "/freeBusy", (req) => {
      const b = (req.body ?? {}) as { timeMin?: string; timeMax?: string; timeZone?: string; items?: { id?: string }[] };
      if (!b.timeMin) return badRequest("required", "Missing timeMin.");
      if (!b.timeMax) return badRequest("required", "Missing timeMax.");
      if (!RFC3339.test(b.timeMin) || !RFC3339.test(b.timeMax)) return badRequest("invalid", "Bad Request");
      if (b.timeZone && !validTz(b.timeZone)) return badRequest("invalid", "Invalid time zone definition.");
      const min = Date.parse(b.timeMin);
      const max = Date.parse(b.timeMax);
      if (max <= min) return badRequest("timeRangeEmpty", "The specified time range is empty.");
      const tz = b.timeZone ?? "UTC";
      const calendars: Record<string, unknown> = {};
      for (const item of b.items ?? []) {
        if (typeof item?.id !== "string") continue;
        const cal = calendarOf(item.id);
        if (!cal) {
          calendars[item.id] = { errors: [{ domain: "global", reason: "notFound" }], busy: [] };
          continue;
        }
        // Busy blocks: opaque, non-cancelled events in the window, clipped to it and merged.
        const spans = cal.events
          .filter((e) => e.status !== "cancelled" && e.transparency !== "transparent")
          .map((e) => [Math.max(min, instant(e.start, cal.timeZone)), Math.min(max, instant(e.end, cal.timeZone))] as [number, number])
          .filter(([s, e]) => s < e)
          .sort((x, y) => x[0] - y[0]);
        const merged: [number, number][] = [];
        for (const s of spans) {
          const last = merged[merged.length - 1];
          if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
          else merged.push([...s]);
        }
        calendars[item.id] = { busy: merged.map(([s, e]) => ({ start: formatInZone(s, tz), end: formatInZone(e, tz) })) };
      }
      return json(200, { kind: "calendar#freeBusy", timeMin: formatInZone(min, "UTC").replace(/Z$/, ".000Z"), timeMax: formatInZone(max, "UTC").replace(/Z$/, ".000Z"), calendars });
    });

  return {
    slug: "google_calendar",
    reset: () => {
      state = seed();
    },
    async handle(req: SandboxRequest): Promise<SandboxResponse> {
      const token = bearer(req);
      if (!token || !(await authorize(token, req))) return googleUnauthenticated(req);
      const out = await router.dispatch(req);
      if (!out) return notFound();
      if (out.status === 405) return gError(405, "httpMethodNotAllowed", "Method Not Allowed");
      return out;
    },
  };
}
