import Link from "next/link";
import { connectors } from "@/lib/connectors/catalog";
import { listConnectorConfigRows } from "@/lib/connectors/configs";
import { requireDashboard } from "@/lib/dashboard/context";
import { listEnvironments } from "@/lib/orgs/organizations";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Connectors" };

export default async function ConnectorsPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const envs = await listEnvironments(rt.db, ctx.organization.id);
  const disabledByEnv = new Map(
    await Promise.all(envs.map(async (e) => [e.id, new Set((await listConnectorConfigRows(rt.db, e.id)).filter((r) => !r.enabled).map((r) => r.connector))] as const)),
  );
  return (
    <div className="max-w-6xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Connectors</h1>
        <p className="mt-1 text-sm text-zinc-600">Built-in integrations your users connect. Each tool lists the provider scopes it needs.</p>
      </header>
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="connector-list">
        {connectors.map((c) => (
          <li key={c.slug} className="card p-4">
            <Link href={`/connectors/${c.slug}`} className="flex items-center gap-3">
              <span className="h-8 w-8 shrink-0 [&>svg]:h-8 [&>svg]:w-8" aria-hidden dangerouslySetInnerHTML={{ __html: c.icon }} />
              <span>
                <span className="block font-semibold">{c.name}</span>
                <span className="block text-xs text-zinc-500">
                  {c.auth.kind === "oauth2" ? "OAuth" : c.auth.kind === "api_key" ? "API key" : "Basic auth"} · {c.tools.length} tools
                </span>
              </span>
            </Link>
            <p className="mt-2 text-sm text-zinc-600">{c.description}</p>
            <p className="mt-2 flex flex-wrap gap-1 text-xs">
              {envs.map((e) => {
                const on = !disabledByEnv.get(e.id)?.has(c.slug);
                return (
                  <span key={e.id} className={`rounded px-1.5 py-0.5 ${on ? "bg-emerald-100 text-emerald-800" : "bg-zinc-200 text-zinc-500 line-through"}`}>
                    {e.name}
                  </span>
                );
              })}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
