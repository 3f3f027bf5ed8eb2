import Link from "next/link";
import { NewPackForm } from "./new-pack-form";
import { EmptyState } from "@/components/ui/form-error";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { listToolPacks, toToolPackOut } from "@/lib/tool-packs/service";

export const metadata = { title: "Tool packs" };

export default async function ToolPacksPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const packs = (await listToolPacks(rt.db, { environmentId: ctx.environment.id, limit: 100 })).data.map(toToolPackOut);
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Tool packs</h1>
        <p className="mt-1 text-sm text-zinc-600">Exactly which tools an agent may call. Each pack plus a registered user is one MCP server.</p>
      </header>
      {hasRole(ctx.role, "developer") ? <NewPackForm /> : null}
      {packs.length === 0 ? (
        <EmptyState title="No tool packs yet">Create one, then pick the tools your agent needs.</EmptyState>
      ) : (
        <ul className="card divide-y divide-zinc-100">
          {packs.map((p) => (
            <li key={p.id} className="flex items-center justify-between px-4 py-3">
              <div>
                <Link className="font-medium text-indigo-700 underline" href={`/tool-packs/${p.id}`}>
                  {p.name}
                </Link>
                <span className="ml-2 font-mono text-xs text-zinc-500">{p.slug}</span>
                {p.description ? <p className="text-sm text-zinc-600">{p.description}</p> : null}
              </div>
              <span className="text-sm text-zinc-600">
                {p.tools.length} tool{p.tools.length === 1 ? "" : "s"} · {Object.keys(p.required_scopes).length} connector{Object.keys(p.required_scopes).length === 1 ? "" : "s"}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
