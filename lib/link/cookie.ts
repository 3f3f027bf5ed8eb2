import type { Env } from "@/lib/env";

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Same rule as the dashboard's cookies (lib/auth): LATCHKEY_SECURE_COOKIES when set, else
 * secure when the public URL is https. Browsers also accept Secure cookies from loopback
 * over plain http, so local runs get the hardened cookie too; only plain http on another
 * host (a LAN address) falls back to an unprefixed, non-Secure cookie, which browsers would
 * otherwise drop.
 */
export function linkCookieSecure(env: Pick<Env, "LATCHKEY_SECURE_COOKIES">, baseUrl: string): boolean {
  if (env.LATCHKEY_SECURE_COOKIES !== undefined) return env.LATCHKEY_SECURE_COOKIES;
  const u = new URL(baseUrl);
  return u.protocol === "https:" || LOOPBACK.test(u.hostname);
}

/** `__Host-` pins the cookie to this exact host, path `/`, Secure: no subdomain can set or read it. */
export const linkCookieName = (secure: boolean) => (secure ? "__Host-lk_link" : "lk_link");
const BOTH_NAMES = [linkCookieName(true), linkCookieName(false)];

export function serializeLinkCookie(value: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${linkCookieName(opts.secure)}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`];
  if (opts.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The session secret from a Cookie header, under either name (the deployment may have switched to https). */
export function readLinkCookie(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!BOTH_NAMES.includes(name)) continue;
    const value = part.slice(eq + 1).trim();
    // Our secrets are lk_lsess_ + 43 base62: anything else is not worth a database lookup.
    if (/^lk_lsess_[0-9A-Za-z]{43}$/.test(value)) return value;
  }
  return null;
}

/**
 * The same secret as a bearer token. A page framed by another site gets no cookie (browsers do
 * not send or store SameSite=Lax cookies in a cross-site frame), so the embedded page keeps the
 * session in memory and sends it in a header: nothing a third party can make the browser attach,
 * so it needs no CSRF defence either.
 */
export function readLinkBearer(authorization: string | null): string | null {
  const m = /^Bearer (lk_lsess_[0-9A-Za-z]{43})$/.exec(authorization ?? "");
  return m ? m[1]! : null;
}
