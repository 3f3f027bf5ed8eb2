// Imported by next.config.ts: relative imports only, nothing that touches the database.

/** The query parameter the embed (component, link.js) puts on /link: the embedding page's origin. */
export const EMBED_ORIGIN_PARAM = "embed_origin";

/** The `frame-ancestors` sources for /link: Latchkey's own origin, plus the embedding origin when allowed. */
export function linkFrameAncestors(embedOrigin: string | null = null): string[] {
  return embedOrigin ? ["'self'", embedOrigin] : ["'self'"];
}

export const linkFrameCsp = (embedOrigin: string | null = null) => `frame-ancestors ${linkFrameAncestors(embedOrigin).join(" ")}`;
