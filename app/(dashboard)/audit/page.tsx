import Link from "next/link";
import { listAuditRows } from "@/db/queries/audit-log";
import { EmptyState } from "@/components/ui/form-error";
import { requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { auditFilterSchema } from "@/lib/schemas/dashboard";
import { VerifyAuditButton } from "./verify-button";

export const metadata = { title: "Audit log" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const raw = await searchParams;
  const parsed = auditFilterSchema.safeParse(raw);
  const f = parsed.success ? parsed.data : {};
  const envFilter = f.env === "all" ? undefined : (f.env ?? ctx.environment.id);
  const rows = await listAuditRows(rt.db, {
    organizationId: ctx.organization.id,
    environmentId: envFilter,
    action: f.action || undefined,
    actorId: f.actor || undefined,
    beforeSeq: f.before,
    limit: 50,
  });
  const hasMore = rows.length > 50;
  const shown = rows.slice(0, 50);
  const envName = new Map(ctx.environments.map((e) => [e.id, e.name]));
  const qs = (extra: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ env: f.env, action: f.action, actor: f.actor, ...extra })) if (v) p.set(k, String(v));
    return `/audit?${p.toString()}`;
  };
  return (
    <div className="max-w-6xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Every change, append-only and hash-chained. Check the chain here or with <code className="rounded bg-zinc-200 px-1">npm run cli -- verify-audit-log</code>.
        </p>
      </header>
      <section className="card flex flex-wrap items-center justify-between gap-3 p-4">
        <VerifyAuditButton />
        <div className="flex gap-2">
          <a className="btn btn-secondary" data-testid="audit-export-csv" href={`/audit/export?${new URLSearchParams({ format: "csv", env: f.env ?? ctx.environment.id })}`} download>
            Download CSV
          </a>
          <a className="btn btn-secondary" data-testid="audit-export-json" href={`/audit/export?${new URLSearchParams({ format: "json", env: f.env ?? ctx.environment.id })}`} download>
            Download JSON
          </a>
        </div>
      </section>
      <form className="card flex flex-wrap items-end gap-3 p-4" method="get" action="/audit">
        <div>
          <label className="label" htmlFor="f-env">
            Environment
          </label>
          <select id="f-env" name="env" className="input" defaultValue={f.env ?? ctx.environment.id}>
            {ctx.environments.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
            <option value="all">All (incl. organization-wide)</option>
          </select>
        </div>
        <div>
          <label className="label" htmlFor="f-action">
            Action starts with
          </label>
          <input id="f-action" name="action" className="input" placeholder="api_key." defaultValue={f.action ?? ""} />
        </div>
        <div>
          <label className="label" htmlFor="f-actor">
            Actor id
          </label>
          <input id="f-actor" name="actor" className="input" placeholder="usr_… or key_…" defaultValue={f.actor ?? ""} />
        </div>
        <button className="btn btn-secondary" type="submit">
          Filter
        </button>
        {!parsed.success ? <p className="text-sm text-red-700">Some filters were invalid and were ignored.</p> : null}
      </form>
      {shown.length === 0 ? (
        <EmptyState title="No audit events match">Try another environment or clear the filters.</EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-3 py-2">#</th>
                <th className="px-3 py-2">Time</th>
                <th className="px-3 py-2">Action</th>
                <th className="px-3 py-2">Actor</th>
                <th className="px-3 py-2">Target</th>
                <th className="px-3 py-2">Environment</th>
                <th className="px-3 py-2">Request</th>
                <th className="px-3 py-2">Details</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100" data-testid="audit-rows">
              {shown.map((r) => (
                <tr key={r.seq} data-action={r.action}>
                  <td className="px-3 py-2 text-zinc-500">{r.seq}</td>
                  <td className="whitespace-nowrap px-3 py-2">{new Date(r.createdAt).toLocaleString()}</td>
                  <td className="px-3 py-2 font-mono text-xs">{r.action}</td>
                  <td className="px-3 py-2 font-mono text-xs">
                    {r.actorType}:{r.actorId}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs">{r.targetId ?? "—"}</td>
                  <td className="px-3 py-2">{r.environmentId ? (envName.get(r.environmentId) ?? r.environmentId) : "organization"}</td>
                  <td className="px-3 py-2 font-mono text-xs text-zinc-500">{r.requestId ?? "—"}</td>
                  <td className="max-w-xs truncate px-3 py-2 font-mono text-xs text-zinc-600" title={JSON.stringify(r.metadata)}>
                    {JSON.stringify(r.metadata)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasMore ? (
        <Link className="btn btn-secondary" href={qs({ before: shown[shown.length - 1]!.seq })}>
          Older events
        </Link>
      ) : null}
    </div>
  );
}
