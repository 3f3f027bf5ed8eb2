import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { eq } from "drizzle-orm";
import { users, type Environment, type Role } from "@/db/schema";
import { auth, dashboardCookiesSecure } from "@/lib/auth";
import { cookieName, cookieOptions, ENV_COOKIE_BASE } from "@/lib/auth/cookies";
import { listEnvironments, listMembershipsOfUser } from "@/lib/orgs/organizations";
import { getRuntime } from "@/lib/runtime";

/** Name and attributes of the cookie that remembers the chosen environment (K4 rules). */
export async function envCookie() {
  const secure = await dashboardCookiesSecure();
  return { name: cookieName(ENV_COOKIE_BASE, secure), options: { ...cookieOptions(secure), maxAge: 365 * 24 * 3600 } };
}

export type DashboardContext = {
  user: { id: string; email: string; name: string | null };
  organizations: { id: string; name: string; role: Role }[];
  organization: { id: string; name: string };
  role: Role;
  environments: Environment[];
  environment: Environment;
  requestId: string;
};

/**
 * Who is signed in and which organization and environment they are looking at. The session is
 * checked here, in the page or action itself, never only in a proxy (CVE-2025-29927).
 * Returns null when signed out.
 */
export const getDashboardContext = cache(async (): Promise<DashboardContext | null> => {
  const session = await auth();
  const uid = session?.user?.id;
  if (!uid) return null;
  const rt = await getRuntime();
  const [user] = await rt.db.select().from(users).where(eq(users.id, uid));
  if (!user) return null;
  const orgs = await listMembershipsOfUser(rt.db, uid);
  if (orgs.length === 0) return null;
  const wanted = (await cookies()).get((await envCookie()).name)?.value;
  let chosen: { org: (typeof orgs)[number]; envs: Environment[]; env: Environment } | null = null;
  for (const org of orgs) {
    const envs = await listEnvironments(rt.db, org.organizationId);
    const env = envs.find((e) => e.id === wanted);
    if (env) {
      chosen = { org, envs, env };
      break;
    }
  }
  if (!chosen) {
    const org = orgs[0]!;
    const envs = await listEnvironments(rt.db, org.organizationId);
    chosen = { org, envs, env: envs.find((e) => e.kind === "production") ?? envs[0]! };
  }
  const h = await headers();
  return {
    user: { id: user.id, email: user.email, name: user.name },
    organizations: orgs.map((o) => ({ id: o.organizationId, name: o.organizationName, role: o.role })),
    organization: { id: chosen.org.organizationId, name: chosen.org.organizationName },
    role: chosen.org.role,
    environments: chosen.envs,
    environment: chosen.env,
    requestId: h.get("x-request-id") ?? "",
  };
});

export async function requireDashboard(): Promise<DashboardContext> {
  const ctx = await getDashboardContext();
  if (!ctx) redirect("/login");
  return ctx;
}

const rank: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };
export const hasRole = (role: Role, min: Role) => rank[role] >= rank[min];
