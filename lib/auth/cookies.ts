import type { Env } from "@/lib/env";
import { log } from "@/lib/log";

/**
 * Dashboard cookies (K4). On a secure origin every cookie is `__Host-…; Secure; HttpOnly;
 * SameSite=Lax; Path=/` with no Domain: the prefix makes browsers refuse a same-named cookie
 * planted by a sibling subdomain or over plain http (cookie tossing), which is what would
 * otherwise defeat Auth.js's double-submit CSRF token and allow session fixation.
 *
 * Browsers store Secure cookies only from a secure origin. Chromium (and Firefox) count
 * loopback as one: http://localhost, *.localhost and 127.0.0.0/8 keep them, so `npm start` on
 * localhost gets the full set. Over plain http on any other host they are silently dropped and
 * nobody could sign in, so there, and only there, the names lose the prefix and the Secure flag
 * (with a warning); LATCHKEY_SECURE_COOKIES overrides the choice either way.
 */

export type CookieOptions = { httpOnly: true; sameSite: "lax"; path: "/"; secure: boolean };

/** Loopback by name or address (127.0.0.0/8, ::1, localhost, *.localhost); `host` may carry a port. */
export function isLoopbackHost(host: string): boolean {
  let name = host.trim().toLowerCase();
  if (name.startsWith("[")) name = name.slice(1, name.indexOf("]") < 0 ? undefined : name.indexOf("]"));
  else if (name.includes(":") && name.indexOf(":") === name.lastIndexOf(":")) name = name.slice(0, name.indexOf(":"));
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The origin the browser sees, from the X-Forwarded-* the server (scripts/server.ts) settled on. */
export function requestOrigin(headers: { get(name: string): string | null }): { proto: string; host: string } {
  const first = (v: string | null) => v?.split(",")[0]?.trim() || null;
  return {
    proto: (first(headers.get("x-forwarded-proto")) ?? "http").replace(/:$/, "").toLowerCase(),
    host: first(headers.get("x-forwarded-host")) ?? headers.get("host") ?? "",
  };
}

export function secureCookiesFor(env: Pick<Env, "LATCHKEY_SECURE_COOKIES">, origin: { proto: string; host: string }): boolean {
  if (env.LATCHKEY_SECURE_COOKIES !== undefined) return env.LATCHKEY_SECURE_COOKIES;
  const secure = origin.proto === "https" || isLoopbackHost(origin.host);
  if (!secure) warnInsecureOnce(origin.host);
  return secure;
}

export const cookieOptions = (secure: boolean): CookieOptions => ({ httpOnly: true, sameSite: "lax", path: "/", secure });

export const cookieName = (base: string, secure: boolean) => (secure ? `__Host-${base}` : base);

/** Every cookie Auth.js may set, in its `cookies` option shape. */
export function authJsCookies(secure: boolean) {
  const opts = cookieOptions(secure);
  const short = { ...opts, maxAge: 15 * 60 };
  return {
    sessionToken: { name: cookieName("authjs.session-token", secure), options: opts },
    callbackUrl: { name: cookieName("authjs.callback-url", secure), options: opts },
    // HttpOnly is fine for the double submit: the page gets the token from GET /api/auth/csrf.
    csrfToken: { name: cookieName("authjs.csrf-token", secure), options: opts },
    pkceCodeVerifier: { name: cookieName("authjs.pkce.code_verifier", secure), options: short },
    state: { name: cookieName("authjs.state", secure), options: short },
    nonce: { name: cookieName("authjs.nonce", secure), options: opts },
    webauthnChallenge: { name: cookieName("authjs.challenge", secure), options: short },
  };
}

/** Which environment the dashboard shows (not a credential, but kept to the same rules). */
export const ENV_COOKIE_BASE = "lk_env";

const warnedHosts = new Set<string>();
function warnInsecureOnce(host: string) {
  if (warnedHosts.has(host) || warnedHosts.size > 50) return;
  warnedHosts.add(host);
  log.warn("dashboard served over plain http on a non-loopback host: its cookies are not Secure and carry no __Host- prefix", {
    host,
    hint: "serve Latchkey over https and set LATCHKEY_PUBLIC_URL=https://…",
  });
}

/** A boot-time warning when the configuration alone says the fallback (or no protection) applies. */
export function insecureCookieWarning(env: Pick<Env, "LATCHKEY_SECURE_COOKIES" | "LATCHKEY_PUBLIC_URL">): string | null {
  if (env.LATCHKEY_SECURE_COOKIES === false) {
    return "LATCHKEY_SECURE_COOKIES=false: dashboard cookies are sent without Secure and without the __Host- prefix.";
  }
  if (env.LATCHKEY_SECURE_COOKIES === undefined && env.LATCHKEY_PUBLIC_URL) {
    const u = new URL(env.LATCHKEY_PUBLIC_URL);
    if (u.protocol === "http:" && !isLoopbackHost(u.host)) {
      return `LATCHKEY_PUBLIC_URL is plain http on a non-loopback host (${u.host}): dashboard cookies fall back to no Secure flag and no __Host- prefix. Serve over https.`;
    }
  }
  return null;
}
