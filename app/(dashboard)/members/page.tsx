import { MembersClient } from "./members-client";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { listMembers, listPendingInvitations } from "@/lib/orgs/members";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Members" };

export default async function MembersPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const [members, invites] = await Promise.all([listMembers(rt.db, ctx.organization.id), listPendingInvitations(rt.db, ctx.organization.id)]);
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Members of {ctx.organization.name}</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Owners and admins manage members; developers manage keys and integrations; viewers only read.
        </p>
      </header>
      <MembersClient
        me={ctx.user.id}
        myRole={ctx.role}
        canManage={hasRole(ctx.role, "admin")}
        members={members.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString(), lastLoginAt: m.lastLoginAt?.toISOString() ?? null }))}
        invites={invites.map((i) => ({ ...i, expiresAt: i.expiresAt.toISOString(), createdAt: i.createdAt.toISOString() }))}
      />
    </div>
  );
}
