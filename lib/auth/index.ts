import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { headers } from "next/headers";
import * as z from "zod";
import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { authJsCookies, requestOrigin, secureCookiesFor } from "@/lib/auth/cookies";
import { createDashboardSession, dashboardSessionValid, endDashboardSession, SESSION_IDLE_SECONDS } from "@/lib/auth/sessions";
import { verifyPassword } from "@/lib/crypto/password";
import { log } from "@/lib/log";
import { findUserByEmail } from "@/lib/orgs/users";
import { hitRateLimit, refundRateLimit } from "@/lib/rate-limit/fixed-window";
import { getRuntime } from "@/lib/runtime";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name?: string | null };
  }
}

const credentialsSchema = z.object({ email: z.email().max(320), password: z.string().min(1).max(1000) });

/**
 * Whether this request's dashboard cookies are `__Host-`/Secure (lib/auth/cookies.ts). Decided
 * per request because without LATCHKEY_PUBLIC_URL the origin is whatever Host the browser used.
 */
export async function dashboardCookiesSecure(): Promise<boolean> {
  const rt = await getRuntime();
  return secureCookiesFor(rt.env, requestOrigin(await headers()));
}

async function config(): Promise<NextAuthConfig> {
  const rt = await getRuntime();
  const env = rt.env;
  const secure = await dashboardCookiesSecure();
  const providers: NextAuthConfig["providers"] = [
    Credentials({
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize: async (raw) => {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) return null;
        const { email, password } = parsed.data;
        const limit = await hitRateLimit(rt.db, `login:${email.toLowerCase()}`, 10, 300);
        if (!limit.allowed) {
          log.warn("login rate limited", { email });
          return null;
        }
        const user = await findUserByEmail(rt.db, email);
        const ok = await verifyPassword(password, user?.passwordHash);
        if (!user || !ok) {
          if (user) {
            await recordAudit(rt.db, { actor: { type: "user", id: user.id }, action: "user.login_failed", target: { type: "user", id: user.id } });
          }
          return null;
        }
        // The limit is on failed attempts: a success gives its hit back, so signing in often never locks anyone out.
        await refundRateLimit(rt.db, `login:${email.toLowerCase()}`, 300);
        await rt.db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
        await recordAudit(rt.db, { actor: { type: "user", id: user.id }, action: "user.logged_in", target: { type: "user", id: user.id }, metadata: { method: "password" } });
        return { id: user.id, email: user.email, name: user.name };
      },
    }),
  ];
  if (env.LATCHKEY_OIDC_ISSUER && env.LATCHKEY_OIDC_CLIENT_ID && env.LATCHKEY_OIDC_CLIENT_SECRET) {
    providers.push({
      id: "oidc",
      name: env.LATCHKEY_OIDC_NAME,
      type: "oidc",
      issuer: env.LATCHKEY_OIDC_ISSUER,
      clientId: env.LATCHKEY_OIDC_CLIENT_ID,
      clientSecret: env.LATCHKEY_OIDC_CLIENT_SECRET,
      checks: ["pkce", "state", "nonce"],
    });
  }
  return {
    secret: rt.authSecret,
    trustHost: true,
    useSecureCookies: secure,
    cookies: authJsCookies(secure),
    session: { strategy: "jwt", maxAge: SESSION_IDLE_SECONDS },
    // Auth.js prints stack traces by default; ours logs one line without them.
    logger: {
      error: (err) => {
        const type = (err as { type?: string }).type ?? err.name;
        if (type !== "CredentialsSignin") log.warn("auth error", { type, message: err.message });
      },
      warn: (code) => log.warn("auth warning", { code }),
      debug: () => {},
    },
    pages: { signIn: "/login", error: "/login" },
    events: {
      async signOut(message) {
        const sid = "token" in message ? message.token?.sid : undefined;
        if (typeof sid === "string") await endDashboardSession(rt.db, sid);
      },
    },
    providers,
    callbacks: {
      // SSO signs in only people who already are members (matched by verified email).
      async signIn({ account, profile }) {
        if (account?.provider !== "oidc") return true;
        const email = typeof profile?.email === "string" ? profile.email : null;
        if (!email || profile?.email_verified === false) return false;
        return Boolean(await findUserByEmail(rt.db, email));
      },
      // At sign-in Auth.js hands over a fresh token, so every login gets a new cookie and a new
      // server-side session (nothing from a cookie planted earlier carries over); on every later
      // read the session must still exist, which is what makes sign-out and revocation real.
      async jwt({ token, user, account, trigger }) {
        if (trigger === "signIn" || trigger === "signUp") {
          let uid: string | undefined;
          if (account?.provider === "oidc") uid = token.email ? (await findUserByEmail(rt.db, token.email))?.id : undefined;
          else uid = user?.id;
          if (!uid) return null;
          return { ...token, uid, sid: await createDashboardSession(rt.db, uid) };
        }
        if (typeof token.uid !== "string" || typeof token.sid !== "string") return null;
        return (await dashboardSessionValid(rt.db, token.sid, token.uid)) ? token : null;
      },
      session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(config);

export const oidcEnabled = async () => {
  const env = (await getRuntime()).env;
  return env.LATCHKEY_OIDC_ISSUER ? { name: env.LATCHKEY_OIDC_NAME } : null;
};
