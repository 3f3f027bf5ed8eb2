import { notFound } from "next/navigation";
import { ConnectorConfigForm } from "./config-form";
import { getConnector } from "@/lib/connectors/catalog";
import { effectiveConfig } from "@/lib/connectors/configs";
import { toConnectorConfigOut } from "@/lib/connectors/present";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";

export default async function ConnectorPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const def = getConnector(slug);
  if (!def) notFound();
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const cfg = toConnectorConfigOut(ctx.environment.id, await effectiveConfig(rt.db, ctx.environment.id, slug));
  return (
    <div className="max-w-5xl space-y-6">
      <header className="flex items-center gap-3">
        <span className="h-10 w-10 [&>svg]:h-10 [&>svg]:w-10" aria-hidden dangerouslySetInnerHTML={{ __html: def.icon }} />
        <div>
          <h1 className="text-2xl font-semibold">{def.name}</h1>
          <p className="text-sm text-zinc-600">
            {def.description}{" "}
            <a className="text-indigo-700 underline" href={def.docsUrl} rel="noreferrer" target="_blank">
              API docs
            </a>
          </p>
        </div>
      </header>
      <ConnectorConfigForm slug={slug} oauth={def.auth.kind === "oauth2"} config={cfg} canEdit={hasRole(ctx.role, "developer")} environmentName={ctx.environment.name} />
      <section className="card overflow-hidden">
        <table className="w-full text-left text-sm">
          <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
            <tr>
              <th className="px-4 py-2">Tool</th>
              <th className="px-4 py-2">Kind</th>
              <th className="px-4 py-2">Scopes</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100">
            {def.tools.map((t) => (
              <tr key={t.name} data-testid="tool-row">
                <td className="px-4 py-2">
                  <div className="font-mono text-xs font-semibold">{t.name}</div>
                  <div className="text-zinc-600">{t.description}</div>
                </td>
                <td className="px-4 py-2">
                  {t.annotations.readOnlyHint ? (
                    <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs text-sky-800">read</span>
                  ) : (
                    <span className={`rounded px-1.5 py-0.5 text-xs ${t.annotations.destructiveHint ? "bg-red-100 text-red-800" : "bg-amber-100 text-amber-800"}`}>
                      {t.annotations.destructiveHint ? "destructive" : "write"}
                    </span>
                  )}
                </td>
                <td className="px-4 py-2 font-mono text-xs">{t.scopes.length ? t.scopes.join(" ") : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
