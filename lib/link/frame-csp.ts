import type { DbOrTx } from "@/db/client";
import { anyEnvironmentAllowsEmbedOrigin } from "@/db/queries/environment-settings";
import { isValidEmbedOrigin } from "@/lib/link/events";
import { EMBED_ORIGIN_PARAM, linkFrameCsp } from "@/lib/link/frame";

/**
 * The CSP for one request of /link, set by scripts/server.ts. A page framed from another site
 * names its origin in `?embed_origin=`; the header allows it only when some environment lists
 * that exact origin (an odd or unknown one gets `'self'` alone, so the browser refuses to render
 * the frame). Which environment is not known until the token in the fragment is redeemed;
 * redemption then refuses an origin the token's own environment does not list, before the
 * token is consumed (lib/link/session.ts). Not cached: one small query per framed page load,
 * and a settings change applies at once.
 */
export async function linkFrameCspFor(db: DbOrTx, requestUrl: string): Promise<string> {
  const origin = new URL(requestUrl, "http://x").searchParams.get(EMBED_ORIGIN_PARAM);
  if (!origin || !isValidEmbedOrigin(origin)) return linkFrameCsp();
  return linkFrameCsp((await anyEnvironmentAllowsEmbedOrigin(db, origin)) ? origin : null);
}

type HeaderSink = { setHeader(name: string, value: number | string | readonly string[]): unknown };

/**
 * Next writes next.config.ts's static headers for /link (`frame-ancestors 'self'`, X-Frame-Options
 * SAMEORIGIN) while it handles the request; this makes this response's own CSP win over them.
 * X-Frame-Options is dropped when another origin is allowed: it cannot name one, and browsers
 * that know frame-ancestors ignore it anyway.
 */
export function overrideLinkFrameHeaders(res: HeaderSink, csp: string) {
  if (csp === linkFrameCsp()) return;
  const set = res.setHeader.bind(res);
  res.setHeader = (name: string, value: number | string | readonly string[]) => {
    const n = name.toLowerCase();
    if (n === "x-frame-options") return res;
    return set(name, n === "content-security-policy" ? csp : value);
  };
  set("content-security-policy", csp);
}

/** Only the page itself (GET/HEAD /link) is framed; its API calls and assets are not. */
export const isLinkPageRequest = (method: string | undefined, url: string | undefined) =>
  (method === "GET" || method === "HEAD") && (url ?? "").split("?")[0] === "/link" && (url ?? "").includes(`${EMBED_ORIGIN_PARAM}=`);
