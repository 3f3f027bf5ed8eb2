import { notFound } from "next/navigation";
import { findRegisteredUser } from "@/db/queries/registered-users";
import { EmptyState } from "@/components/ui/form-error";
import { getConnector } from "@/lib/connectors/catalog";
import { listConnections } from "@/lib/connections/service";
import { requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";

export default async function UserPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const user = id.length <= 64 ? await findRegisteredUser(rt.db, ctx.environment.id, id) : null;
  if (!user) notFound();
  const own = await listConnections(rt.db, { environmentId: ctx.environment.id, limit: 100, owner: { type: "registered_user", id: user.id } });
  const group = user.sharedCredentialGroup
    ? await listConnections(rt.db, { environmentId: ctx.environment.id, limit: 100, owner: { type: "group", id: user.sharedCredentialGroup } })
    : null;
  const rows = [...own.data.map((c) => ({ c, via: "own" })), ...(group?.data ?? []).map((c) => ({ c, via: `group ${user.sharedCredentialGroup}` }))];
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">{user.originUserId}</h1>
        <p className="mt-1 text-sm text-zinc-600">
          <code>{user.id}</code> · {user.email ?? "no email"} · group {user.sharedCredentialGroup ?? "none"}
        </p>
      </header>
      <section>
        <h2 className="mb-2 font-semibold">Connections</h2>
        {rows.length === 0 ? (
          <EmptyState title="No connections yet">The user connects accounts through Link or a magic link.</EmptyState>
        ) : (
          <div className="card overflow-hidden">
            <table className="w-full text-left text-sm">
              <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
                <tr>
                  <th className="px-4 py-2">Connector</th>
                  <th className="px-4 py-2">Account</th>
                  <th className="px-4 py-2">Status</th>
                  <th className="px-4 py-2">Via</th>
                  <th className="px-4 py-2">Last used</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100">
                {rows.map(({ c, via }) => (
                  <tr key={c.id}>
                    <td className="px-4 py-2 font-medium">{getConnector(c.connector)?.name ?? c.connector}</td>
                    <td className="px-4 py-2">{c.accountLabel ?? "—"}</td>
                    <td className="px-4 py-2">
                      <span className={c.status === "active" ? "text-emerald-700" : "text-amber-700"}>{c.status}</span>
                    </td>
                    <td className="px-4 py-2">{via}</td>
                    <td className="px-4 py-2">{c.lastUsedAt?.toLocaleString() ?? "never"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section>
        <h2 className="mb-2 font-semibold">Metadata</h2>
        <pre className="card overflow-x-auto p-4 text-xs">{JSON.stringify(user.metadata, null, 2)}</pre>
      </section>
    </div>
  );
}
