import "server-only";
import { cookies, headers } from "next/headers";
import { resolveMagicSession, type MagicSession } from "@/lib/magic-links/service";
import { magicCookieName, secureCookies } from "@/lib/magic-links/session-cookie";
import type { Runtime } from "@/lib/runtime";

/** The magic-link session of this request (page or server action), or null. Checked against the database every time. */
export async function currentMagicSession(rt: Pick<Runtime, "db" | "env">): Promise<MagicSession | null> {
  const secure = secureCookies(rt.env, await headers());
  const raw = (await cookies()).get(magicCookieName(secure))?.value;
  return raw ? resolveMagicSession(rt.db, raw) : null;
}

/** Clears the cookie in the response of a server action. */
export async function clearMagicCookie(rt: Pick<Runtime, "env">) {
  const secure = secureCookies(rt.env, await headers());
  (await cookies()).set(magicCookieName(secure), "", { httpOnly: true, sameSite: "lax", path: "/", secure, maxAge: 0 });
}
