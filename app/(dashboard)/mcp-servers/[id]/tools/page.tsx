import { notFound } from "next/navigation";
import { ApproveButton } from "./approve-button";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getMcpServer } from "@/lib/mcp-servers/service";
import { listServerTools } from "@/lib/mcp-servers/tools";
import { getRuntime } from "@/lib/runtime";

const fmt = (d: Date | null) => (d ? d.toLocaleString() : "—");

/** A server's tools as Latchkey trusts them: a changed definition waits here for an admin. */
export default async function McpServerToolsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const server = /^srv_[0-9a-z]{22}$/.test(id) ? await getMcpServer(rt.db, ctx.environment.id, id).catch(() => null) : null;
  if (!server) notFound();
  const tools = await listServerTools(rt.db, ctx.environment.id, server.id);
  const canApprove = hasRole(ctx.role, "admin");
  return (
    <div className="max-w-6xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">{server.name}: tools</h1>
        <p className="mt-1 text-sm text-zinc-600">
          <code>{server.url}</code> · slug <code>{server.slug}</code>. The first definition of each tool is trusted when first listed; a changed definition is hidden from agents until approved.
        </p>
      </header>
      {tools.length === 0 ? (
        <p className="text-sm text-zinc-600">No tools seen yet: they are recorded the first time an agent lists a tool pack that uses this server.</p>
      ) : (
        <table className="card w-full text-sm" data-testid="server-tools">
          <thead>
            <tr className="text-left text-zinc-500">
              <th className="px-4 py-2">Tool</th>
              <th className="px-4 py-2">Status</th>
              <th className="px-4 py-2">Definition</th>
              <th className="px-4 py-2">First seen</th>
              <th className="px-4 py-2" />
            </tr>
          </thead>
          <tbody>
            {tools.map((t) => (
              <tr key={t.name} className="border-t align-top" data-testid={`tool-${t.name}`}>
                <td className="px-4 py-2 font-mono">{t.name}</td>
                <td className="px-4 py-2">
                  <span className={t.status === "approved" ? "text-emerald-700" : "font-medium text-amber-700"}>{t.status === "approved" ? "approved" : "changed, pending approval"}</span>
                  {t.changedAt ? <div className="text-xs text-zinc-500">changed {fmt(t.changedAt)}</div> : null}
                </td>
                <td className="px-4 py-2">
                  <p className="text-zinc-700">{t.definition.description ?? ""}</p>
                  {t.status === "pending" && t.pendingDefinition ? (
                    <div className="mt-2 rounded border border-amber-300 bg-amber-50 p-2">
                      <p className="text-xs font-medium text-amber-800">New definition</p>
                      <p className="text-zinc-800">{t.pendingDefinition.description ?? ""}</p>
                      <pre className="mt-1 overflow-x-auto text-xs">{JSON.stringify(t.pendingDefinition.inputSchema ?? {}, null, 2)}</pre>
                    </div>
                  ) : null}
                </td>
                <td className="px-4 py-2 text-xs text-zinc-500">{fmt(t.firstSeen)}</td>
                <td className="px-4 py-2 text-right">{t.status === "pending" && canApprove ? <ApproveButton serverId={server.id} name={t.name} /> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
