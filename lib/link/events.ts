/**
 * The messages the hosted Link page sends to the page that embeds it (iframe or popup), and the
 * checks both ends apply. Hand-written rather than zod so the same rules fit in the
 * dependency-free public/link.js (which repeats them; e2e/link-embed.spec.ts holds both to it).
 * Nothing here ever carries a token, a session or a credential.
 */

export const LINK_EVENT_SOURCE = "latchkey-link";
export const linkEventTypes = ["ready", "connected", "exit", "error"] as const;
export type LinkEventType = (typeof linkEventTypes)[number];

export type LinkEventConnection = { id: string; connector: string; status: "active" };
export type LinkEventError = { code: string; message: string };
export type LinkExitReason = "done" | "cancel" | "closed";

export type LinkEvent =
  | { source: typeof LINK_EVENT_SOURCE; type: "ready" }
  | { source: typeof LINK_EVENT_SOURCE; type: "connected"; connection: LinkEventConnection }
  | { source: typeof LINK_EVENT_SOURCE; type: "exit"; reason: LinkExitReason }
  | { source: typeof LINK_EVENT_SOURCE; type: "error"; error: LinkEventError };

/** An event as the page writes it; `source` is added on the way out. */
export type LinkEventBody = LinkEvent extends infer E ? (E extends LinkEvent ? Omit<E, "source"> : never) : never;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): v is string => typeof v === "string" && v.length > 0 && v.length <= max;
const onlyKeys = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));

/**
 * A message is a Link event only when it has exactly this shape: anything else (another
 * library's messages, a forged or extended payload) is dropped rather than half-trusted.
 */
export function parseLinkEvent(data: unknown): LinkEvent | null {
  if (!isObj(data) || data.source !== LINK_EVENT_SOURCE) return null;
  switch (data.type) {
    case "ready":
      return onlyKeys(data, ["source", "type"]) ? { source: LINK_EVENT_SOURCE, type: "ready" } : null;
    case "connected": {
      const c = data.connection;
      if (!onlyKeys(data, ["source", "type", "connection"]) || !isObj(c) || !onlyKeys(c, ["id", "connector", "status"])) return null;
      if (!str(c.id, 100) || !/^conn_[0-9A-Za-z]+$/.test(c.id) || !str(c.connector, 64) || !/^[a-z0-9_]+$/.test(c.connector) || c.status !== "active") return null;
      return { source: LINK_EVENT_SOURCE, type: "connected", connection: { id: c.id, connector: c.connector, status: "active" } };
    }
    case "exit":
      if (!onlyKeys(data, ["source", "type", "reason"]) || (data.reason !== "done" && data.reason !== "cancel" && data.reason !== "closed")) return null;
      return { source: LINK_EVENT_SOURCE, type: "exit", reason: data.reason };
    case "error": {
      const e = data.error;
      if (!onlyKeys(data, ["source", "type", "error"]) || !isObj(e) || !onlyKeys(e, ["code", "message"]) || !str(e.code, 64) || !/^[a-z_]+$/.test(e.code) || !str(e.message, 500)) return null;
      return { source: LINK_EVENT_SOURCE, type: "error", error: { code: e.code, message: e.message } };
    }
    default:
      return null;
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * An origin that may embed Link: exactly `scheme://host[:port]` as a browser reports it in
 * `event.origin` (lower case, no default port, no path, no trailing slash), https, or http only
 * on a loopback host for local development. No wildcards: each origin is named.
 */
export function isValidEmbedOrigin(value: string): boolean {
  if (value.includes("*")) return false;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return false;
  }
  if (u.origin !== value) return false;
  return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK.test(u.hostname));
}

/** Exact membership, never a prefix or suffix match. */
export const isAllowedOrigin = (origin: string | null | undefined, allowed: readonly string[]): origin is string => Boolean(origin) && allowed.includes(origin!);

/**
 * Whether a received message may be acted on: it comes from the Link window this page opened
 * (not another frame or window that also posts messages) and from Latchkey's origin.
 */
export function acceptLinkMessage(e: { origin: string; source: unknown; data: unknown }, expected: { origin: string; source: unknown }): LinkEvent | null {
  if (e.origin !== expected.origin || !expected.source || e.source !== expected.source) return null;
  return parseLinkEvent(e.data);
}

/**
 * The Link page as an embed opens it: the embedder's origin in the query (for the CSP and the
 * event target, both checked by Latchkey), the token in the fragment (never sent to a server).
 */
export function embedLinkUrl(baseUrl: string, linkToken: string, embedOrigin: string): string {
  const u = new URL("/link", baseUrl);
  u.searchParams.set("embed_origin", embedOrigin);
  u.hash = `link_token=${encodeURIComponent(linkToken)}`;
  return u.toString();
}
