import Link from "next/link";
import * as z from "zod";
import { alertKinds, alertStatuses } from "@/db/schema";
import { BarChart } from "@/components/dashboard/svg-chart";
import { EmptyState } from "@/components/ui/form-error";
import { alertEventsPerHour, listAlerts } from "@/lib/alerts/service";
import { requireDashboard } from "@/lib/dashboard/context";
import { decodeCursorOrFirstPage, encodeCursor } from "@/lib/http/pagination";
import { getRuntime } from "@/lib/runtime";
import { AlertButtons } from "./alert-buttons";

export const metadata = { title: "Alerts" };

const q = z.object({
  kind: z.enum(alertKinds).optional().or(z.literal("")),
  status: z.enum(alertStatuses).optional().or(z.literal("")),
  pack: z.string().regex(/^tp_[0-9a-z]{22}$/).optional().or(z.literal("")),
  user: z.string().regex(/^ru_[0-9a-z]{22}$/).optional().or(z.literal("")),
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(),
});

const SEVERITY_CLASS: Record<string, string> = {
  critical: "bg-red-700 text-white",
  high: "bg-red-100 text-red-800",
  medium: "bg-amber-100 text-amber-900",
  low: "bg-zinc-200 text-zinc-700",
};

export default async function AlertsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const parsed = q.safeParse(await searchParams);
  const f = parsed.success ? parsed.data : {};
  const before = decodeCursorOrFirstPage(f.cursor);
  const [rows, hours] = await Promise.all([
    listAlerts(rt.db, {
      environmentId: ctx.environment.id,
      limit: 50,
      beforeId: before,
      kind: f.kind || undefined,
      status: f.status || undefined,
      toolPackId: f.pack || undefined,
      registeredUserId: f.user || undefined,
    }),
    alertEventsPerHour(rt.db, ctx.environment.id),
  ]);
  const shown = rows.slice(0, 50);
  const next = rows.length > 50 ? encodeCursor(shown[shown.length - 1]!.id) : null;
  const points = hours.map((h) => ({
    label: `${String(h.start.getUTCHours()).padStart(2, "0")}h`,
    value: h.events,
    title: `${h.start.toISOString().slice(0, 13)}:00Z: ${h.events} events in ${h.alerts} alerts`,
  }));
  const keep = Object.fromEntries(Object.entries({ kind: f.kind, status: f.status, pack: f.pack, user: f.user }).filter(([, v]) => v)) as Record<string, string>;
  return (
    <div className="max-w-6xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Alerts</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Security events in {ctx.environment.name}: repeated authentication failures, environment mismatches, blocked private addresses, decrypt failures, refused token refreshes,
          security rule hits and changed tool definitions. One alert per event and 10-minute window; repeats raise its count. Excerpts are masked.
        </p>
      </header>
      <section className="card p-4">
        <h2 className="text-sm font-semibold text-zinc-700">Events per hour, last 24 hours (UTC)</h2>
        <BarChart points={points} label="Alert events per hour over the last 24 hours" testId="alerts-chart" color="#dc2626" />
      </section>
      <form className="card flex flex-wrap items-end gap-3 p-4" method="get">
        <div>
          <label className="label" htmlFor="f-kind">
            Kind
          </label>
          <select id="f-kind" name="kind" className="input" defaultValue={f.kind ?? ""}>
            <option value="">any</option>
            {alertKinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label className="label" htmlFor="f-status">
            Status
          </label>
          <select id="f-status" name="status" className="input" defaultValue={f.status ?? ""}>
            <option value="">any</option>
            {alertStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label className="label" htmlFor="f-pack">
            Tool pack id
          </label>
          <input id="f-pack" name="pack" className="input" placeholder="tp_…" defaultValue={f.pack ?? ""} />
        </div>
        <div>
          <label className="label" htmlFor="f-user">
            Registered user id
          </label>
          <input id="f-user" name="user" className="input" placeholder="ru_…" defaultValue={f.user ?? ""} />
        </div>
        <button className="btn btn-secondary">Filter</button>
        {!parsed.success ? <p className="text-sm text-red-700">Some filters were invalid and were ignored.</p> : null}
      </form>
      {shown.length === 0 ? (
        <EmptyState title={Object.keys(keep).length ? "No alerts match" : "No alerts"}>
          {Object.keys(keep).length ? "Try other filters." : "Nothing suspicious has happened in this environment. Alerts appear here within a second of the event."}
        </EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-3 py-2">Last seen</th>
                <th className="px-3 py-2">Kind</th>
                <th className="px-3 py-2">Severity</th>
                <th className="px-3 py-2 text-right">Count</th>
                <th className="px-3 py-2">Where</th>
                <th className="px-3 py-2">Details</th>
                <th className="px-3 py-2">Status</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100" data-testid="alert-rows">
              {shown.map((a) => (
                <tr key={a.id} data-kind={a.kind} data-status={a.status}>
                  <td className="whitespace-nowrap px-3 py-2" title={`first seen ${a.firstSeen.toISOString()}`}>
                    {a.lastSeen.toLocaleString()}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs">{a.kind}</td>
                  <td className="px-3 py-2">
                    <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${SEVERITY_CLASS[a.severity] ?? ""}`}>{a.severity}</span>
                  </td>
                  <td className="px-3 py-2 text-right">{a.count}</td>
                  <td className="px-3 py-2 font-mono text-xs">
                    {a.toolPackId ? (
                      <Link className="text-indigo-700 underline" href={`/tool-packs/${a.toolPackId}`}>
                        {a.toolPackId}
                      </Link>
                    ) : null}
                    {a.registeredUserId ? (
                      <>
                        {" "}
                        <Link className="text-indigo-700 underline" href={`/users/${a.registeredUserId}`}>
                          {a.registeredUserId}
                        </Link>
                      </>
                    ) : null}
                    {a.tool ? <div>{a.tool}</div> : null}
                    {a.fieldPath ? <div className="text-zinc-500">{a.fieldPath}</div> : null}
                    {!a.toolPackId && !a.registeredUserId && !a.tool ? "—" : null}
                  </td>
                  <td className="max-w-sm px-3 py-2 font-mono text-xs text-zinc-600">
                    {a.ruleId ? <div>rule {a.ruleId}</div> : null}
                    {a.excerpt ? <div className="truncate" title={a.excerpt}>{a.excerpt}</div> : null}
                    <div className="truncate" title={JSON.stringify(a.details)}>
                      {Object.entries(a.details)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(" ")}
                    </div>
                  </td>
                  <td className="px-3 py-2">
                    <AlertButtons id={a.id} status={a.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next ? (
        <Link className="btn btn-secondary" href={`/alerts?${new URLSearchParams({ ...keep, cursor: next })}`}>
          Older alerts
        </Link>
      ) : null}
    </div>
  );
}
