/**
 * Cross-site request refusal for everything the dashboard cookie can authenticate (K4): server
 * actions (any page path), Auth.js's POST endpoints, the invitation form. One check in the
 * server, before Next, because the layers below each cover only part of it: Next compares
 * Origin with Host for server actions only (and answers 500), Auth.js's double-submit token
 * guards only its own endpoints, and SameSite=Lax does not stop a same-site, cross-origin
 * sender (another port on localhost, a sibling subdomain).
 *
 * Exempt: the REST API and the MCP paths. They take a bearer credential (or the token in the
 * URL) and never the dashboard cookie, and browsers may legitimately call them cross-origin.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function exempt(path: string): boolean {
  return path.startsWith("/api/v1/") || path === "/api/v1" || path.startsWith("/mcp/");
}

function originOf(value: string): string | null {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:" ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * `expected` is this server's origin as the browser sees it. An https Origin is also accepted
 * when we believe we are on http with the same host: TLS ended in front of us without an
 * X-Forwarded-Proto, and nobody but this site can serve a page from https://<our host>.
 */
function sameOrigin(candidate: string, expected: string): boolean {
  const c = originOf(candidate);
  const e = originOf(expected);
  if (!c || !e) return false;
  if (c === e) return true;
  const cu = new URL(c);
  const eu = new URL(e);
  return eu.protocol === "http:" && cu.protocol === "https:" && cu.hostname === eu.hostname && (cu.port || "443") === (eu.port || "443");
}

export type CrossSiteVerdict = { refused: false } | { refused: true; reason: string };

/**
 * Origin decides; without it Sec-Fetch-Site; without both, Referer. A request with none of
 * them is not from a browser that could have been tricked into sending our cookie (every
 * current browser sends Origin on a POST), so it passes: webhooks and scripts keep working.
 */
export function checkCrossSite(
  req: { method?: string | undefined; url?: string | undefined; headers: Record<string, string | string[] | undefined> },
  expectedOrigin: string,
): CrossSiteVerdict {
  const method = (req.method ?? "GET").toUpperCase();
  if (SAFE_METHODS.has(method)) return { refused: false };
  const path = (req.url ?? "/").split("?")[0]!;
  if (exempt(path)) return { refused: false };
  const h = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const origin = h("origin");
  if (origin !== undefined) {
    return sameOrigin(origin, expectedOrigin) ? { refused: false } : { refused: true, reason: "origin" };
  }
  const site = h("sec-fetch-site");
  if (site !== undefined) {
    return site === "same-origin" || site === "none" ? { refused: false } : { refused: true, reason: "sec-fetch-site" };
  }
  const referer = h("referer");
  if (referer !== undefined) {
    return sameOrigin(referer, expectedOrigin) ? { refused: false } : { refused: true, reason: "referer" };
  }
  return { refused: false };
}
