import Link from "next/link";
import * as z from "zod";
import { EmptyState } from "@/components/ui/form-error";
import { requireDashboard } from "@/lib/dashboard/context";
import { decodeCursorOrFirstPage, encodeCursor } from "@/lib/http/pagination";
import { getRuntime } from "@/lib/runtime";
import { listToolCalls } from "@/lib/tool-calls/log";
import { listToolPacks } from "@/lib/tool-packs/service";

export const metadata = { title: "Tool calls" };

const q = z.object({
  user: z.string().regex(/^ru_[0-9a-z]{22}$/).optional().or(z.literal("")),
  pack: z.string().regex(/^tp_[0-9a-z]{22}$/).optional().or(z.literal("")),
  tool: z.string().max(200).optional(),
  status: z.enum(["ok", "error", "unauthorized"]).optional().or(z.literal("")),
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(),
});

export default async function ToolCallsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const parsed = q.safeParse(await searchParams);
  const f = parsed.success ? parsed.data : {};
  const before = decodeCursorOrFirstPage(f.cursor);
  const [rows, { data: packs }] = await Promise.all([
    listToolCalls(rt.db, {
      environmentId: ctx.environment.id,
      limit: 50,
      beforeId: before,
      registeredUserId: f.user || undefined,
      toolPackId: f.pack || undefined,
      tool: f.tool || undefined,
      status: f.status || undefined,
    }),
    listToolPacks(rt.db, { environmentId: ctx.environment.id, limit: 200 }),
  ]);
  const packNames = new Map(packs.map((p) => [p.id, p.name]));
  const shown = rows.slice(0, 50);
  const next = rows.length > 50 ? encodeCursor(shown[shown.length - 1]!.id) : null;
  return (
    <div className="max-w-6xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Tool calls</h1>
        <p className="mt-1 text-sm text-zinc-600">Every MCP and REST tool call in {ctx.environment.name}: who, which tool, the result and how long it took.</p>
        <div className="mt-3 flex gap-2">
          <a className="btn btn-secondary" data-testid="tool-calls-export-csv" href="/tool-calls/export?format=csv" download>
            Download CSV
          </a>
          <a className="btn btn-secondary" data-testid="tool-calls-export-json" href="/tool-calls/export?format=json" download>
            Download JSON
          </a>
        </div>
      </header>
      <form className="card flex flex-wrap items-end gap-3 p-4" method="get">
        <div>
          <label className="label" htmlFor="f-user">
            Registered user id
          </label>
          <input id="f-user" name="user" className="input" placeholder="ru_…" defaultValue={f.user ?? ""} />
        </div>
        <div>
          <label className="label" htmlFor="f-pack">
            Tool pack
          </label>
          <select id="f-pack" name="pack" className="input" defaultValue={f.pack ?? ""}>
            <option value="">any</option>
            {packs.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label className="label" htmlFor="f-tool">
            Tool
          </label>
          <input id="f-tool" name="tool" className="input" placeholder="github_list_issues" defaultValue={f.tool ?? ""} />
        </div>
        <div>
          <label className="label" htmlFor="f-status">
            Status
          </label>
          <select id="f-status" name="status" className="input" defaultValue={f.status ?? ""}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="unauthorized">unauthorized</option>
          </select>
        </div>
        <button className="btn btn-secondary">Filter</button>
      </form>
      {shown.length === 0 ? (
        <EmptyState title="No tool calls yet">Calls appear here within a second of being made.</EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-3 py-2">Time</th>
                <th className="px-3 py-2">Tool</th>
                <th className="px-3 py-2">Pack</th>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">User</th>
                <th className="px-3 py-2">Caller</th>
                <th className="px-3 py-2 text-right">Latency</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100" data-testid="tool-call-rows">
              {shown.map((c) => (
                <tr key={c.id}>
                  <td className="whitespace-nowrap px-3 py-2">{c.createdAt.toLocaleString()}</td>
                  <td className="px-3 py-2 font-mono text-xs">{c.tool}</td>
                  <td className="px-3 py-2 text-xs">{c.toolPackId ? <Link className="text-indigo-700 underline" href={`/tool-packs/${c.toolPackId}`}>{packNames.get(c.toolPackId) ?? c.toolPackId}</Link> : "—"}</td>
                  <td className="px-3 py-2">
                    <span className={c.status === "ok" ? "text-emerald-700" : "text-red-700"}>{c.status}</span>
                    {c.errorCode ? <span className="ml-1 font-mono text-xs text-zinc-500">{c.errorCode}</span> : null}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs">{c.registeredUserId ? <Link className="text-indigo-700 underline" href={`/users/${c.registeredUserId}`}>{c.registeredUserId}</Link> : "—"}</td>
                  <td className="px-3 py-2 font-mono text-xs">
                    {c.principalType}:{c.principalId}
                  </td>
                  <td className="px-3 py-2 text-right">{c.latencyMs} ms</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next ? (
        <Link className="btn btn-secondary" href={`/tool-calls?${new URLSearchParams({ ...(f.user ? { user: f.user } : {}), ...(f.pack ? { pack: f.pack } : {}), ...(f.tool ? { tool: f.tool } : {}), ...(f.status ? { status: f.status } : {}), cursor: next })}`}>
          Older calls
        </Link>
      ) : null}
    </div>
  );
}
