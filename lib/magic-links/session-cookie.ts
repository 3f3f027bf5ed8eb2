import type { Env } from "@/lib/env";

/**
 * The magic-link page's cookie: HttpOnly, SameSite=Lax, Path=/, and on a secure origin
 * `__Host-` + Secure (no Domain, so a sibling subdomain or plain http cannot plant or read
 * it). Browsers keep Secure cookies on loopback over http too, so `npm start` on localhost
 * gets the strict form; only plain http on another host falls back. LATCHKEY_SECURE_COOKIES
 * decides when set. It holds a random session id (lk_mls_…), stored server-side as a hash.
 * The same rule as the dashboard's cookies (lib/auth), kept here so the two can evolve apart.
 */
const BASE = "lk_magic";

export function isLoopbackHost(host: string): boolean {
  let name = host.trim().toLowerCase();
  if (name.startsWith("[")) name = name.slice(1, name.includes("]") ? name.indexOf("]") : undefined);
  else if (name.split(":").length === 2) name = name.slice(0, name.indexOf(":"));
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "localhost" || name.endsWith(".localhost") || name === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The origin the browser used, as the server (scripts/server.ts) settled it in X-Forwarded-*. */
export function requestOrigin(headers: { get(name: string): string | null }): { proto: string; host: string } {
  const first = (v: string | null) => v?.split(",")[0]?.trim() || null;
  return {
    proto: (first(headers.get("x-forwarded-proto")) ?? "http").replace(/:$/, "").toLowerCase(),
    host: first(headers.get("x-forwarded-host")) ?? headers.get("host") ?? "",
  };
}

export function secureCookies(env: Pick<Env, "LATCHKEY_SECURE_COOKIES">, headers: { get(name: string): string | null }): boolean {
  if (env.LATCHKEY_SECURE_COOKIES !== undefined) return env.LATCHKEY_SECURE_COOKIES;
  const o = requestOrigin(headers);
  return o.proto === "https" || isLoopbackHost(o.host);
}

export const magicCookieName = (secure: boolean) => (secure ? `__Host-${BASE}` : BASE);

export function magicCookieOptions(secure: boolean, expiresAt: Date) {
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure, expires: expiresAt };
}

/** A Set-Cookie header value, for route handlers that answer with a plain Response. */
export function serializeMagicCookie(secure: boolean, value: string, expiresAt: Date): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return `${magicCookieName(secure)}=${value}; Path=/; Max-Age=${maxAge}; Expires=${expiresAt.toUTCString()}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}
