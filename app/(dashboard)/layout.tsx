import { EnvSwitcher } from "@/components/dashboard/env-switcher";
import { NavLink } from "@/components/dashboard/nav-link";
import { SignOutButton } from "@/components/dashboard/sign-out-button";
import { requireDashboard } from "@/lib/dashboard/context";
import { listEnvironments } from "@/lib/orgs/organizations";
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const options = await Promise.all(
    ctx.organizations.map(async (o) => ({
      orgId: o.id,
      orgName: o.name,
      envs: (await listEnvironments(rt.db, o.id)).map((e) => ({ id: e.id, name: e.name, kind: e.kind })),
    })),
  );
  const isTest = ctx.environment.kind === "test";
  return (
    <div className="flex min-h-screen flex-col">
      {isTest ? (
        <div data-testid="test-banner" className="bg-amber-400 px-4 py-1.5 text-center text-sm font-semibold text-amber-950">
          TEST ENVIRONMENT · {ctx.environment.name} — keys here are lk_test_ and never touch production data
        </div>
      ) : (
        <div className="h-1 bg-indigo-600" aria-hidden />
      )}
      <div className="flex flex-1">
        <aside className="flex w-64 shrink-0 flex-col gap-4 border-r border-zinc-200 bg-zinc-100 p-4">
          <div className="flex items-center gap-2 px-1">
            <span className="text-lg font-bold tracking-tight">Latchkey</span>
            <span
              data-testid="env-badge"
              className={`rounded px-1.5 py-0.5 text-xs font-semibold uppercase ${isTest ? "bg-amber-300 text-amber-950" : "bg-indigo-100 text-indigo-800"}`}
            >
              {isTest ? "test" : "production"}
            </span>
          </div>
          <EnvSwitcher options={options} current={ctx.environment.id} />
          <nav className="flex flex-col gap-1" aria-label="Main">
            <NavLink href="/">Overview</NavLink>
            <NavLink href="/users">Registered users</NavLink>
            <NavLink href="/connectors">Connectors</NavLink>
            <NavLink href="/link-demo">Link demo</NavLink>
            <NavLink href="/tool-packs">Tool packs</NavLink>
            <NavLink href="/mcp-servers">MCP servers</NavLink>
            <NavLink href="/agents">Agents</NavLink>
            <NavLink href="/tool-calls">Tool calls</NavLink>
            <NavLink href="/alerts">Alerts</NavLink>
            <NavLink href="/sandbox">Sandbox</NavLink>
            <NavLink href="/security">Security rules</NavLink>
            <NavLink href="/webhooks">Webhooks</NavLink>
            <NavLink href="/outbox">Email outbox</NavLink>
            <NavLink href="/api-keys">API keys</NavLink>
            <NavLink href="/gateway-tokens">Gateway tokens</NavLink>
            <NavLink href="/audit">Audit log</NavLink>
            <NavLink href="/members">Members</NavLink>
            <NavLink href="/settings">Settings</NavLink>
          </nav>
          <div className="mt-auto border-t border-zinc-200 pt-3 text-sm">
            <p className="truncate font-medium" title={ctx.user.email}>
              {ctx.user.name ?? ctx.user.email}
            </p>
            <p className="mb-2 text-xs text-zinc-500">
              {ctx.role} of {ctx.organization.name}
            </p>
            <SignOutButton />
          </div>
        </aside>
        <main className="flex-1 overflow-x-auto p-8">{children}</main>
      </div>
    </div>
  );
}
