import { LinkDemo } from "./link-demo";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getEnvironmentSettings } from "@/lib/environment-settings/service";
import { listRegisteredUsers } from "@/lib/registered-users/service";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Link demo" };

export default async function LinkDemoPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const [users, { settings }] = await Promise.all([listRegisteredUsers(rt.db, { environmentId: ctx.environment.id, limit: 100 }), getEnvironmentSettings(rt.db, ctx.environment.id)]);
  return (
    <div className="max-w-3xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Link demo</h1>
        <p className="mt-1 text-sm text-zinc-600">
          The embeddable Link component (<code>&lt;LatchkeyLink&gt;</code> / <code>useLatchkeyLink</code>) against {ctx.environment.name}: mint a link token for a registered user, open
          Link in a modal or a popup, and watch its events. Connections made here are real connections of that user.
        </p>
        <p className="mt-1 text-sm text-zinc-600">
          Other sites may embed Link only from the origins listed under Settings → Embedding Link
          {settings.embed?.allowed_origins.length ? ` (${settings.embed.allowed_origins.length} listed)` : " (none listed yet)"}; the dashboard is Latchkey itself and always may.
        </p>
      </header>
      <LinkDemo users={users.data.map((u) => ({ id: u.id, originUserId: u.originUserId }))} canMint={hasRole(ctx.role, "developer")} />
    </div>
  );
}
