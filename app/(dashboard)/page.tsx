import Link from "next/link";
import { requireDashboard } from "@/lib/dashboard/context";
import { listApiKeys } from "@/lib/api-keys/service";
import { getRuntime } from "@/lib/runtime";
import { BarChart, Legend, LineChart } from "@/components/dashboard/svg-chart";
import { toolCallStats } from "@/lib/tool-calls/stats";

export default async function OverviewPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const [keys, buckets] = await Promise.all([
    listApiKeys(rt.db, { environmentId: ctx.environment.id, limit: 100, includeRevoked: false }),
    toolCallStats(rt.db, { environmentId: ctx.environment.id, bucket: "hour", buckets: 24 }),
  ]);
  const labels = buckets.map((b) => `${String(b.start.getUTCHours()).padStart(2, "0")}h`);
  const total = buckets.reduce((n, b) => n + b.calls, 0);
  const errors = buckets.reduce((n, b) => n + b.errors, 0);
  return (
    <div className="max-w-4xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">
          {ctx.organization.name} · {ctx.environment.name}
        </h1>
        <p className="mt-1 text-sm text-zinc-600">
          Environment id <code className="rounded bg-zinc-200 px-1">{ctx.environment.id}</code>
        </p>
      </header>
      <section className="card space-y-4 p-6" data-testid="overview-stats">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 className="font-semibold">Tool calls, last 24 hours (UTC)</h2>
          <p className="text-sm text-zinc-600">
            <span data-testid="overview-total">{total}</span> calls · {total ? `${Math.round((errors / total) * 1000) / 10}%` : "0%"} errors ·{" "}
            <Link className="text-indigo-700 underline" href="/tool-calls">
              see the log
            </Link>
          </p>
        </div>
        <div>
          <h3 className="text-xs font-semibold uppercase text-zinc-500">Calls per hour</h3>
          <BarChart points={buckets.map((b, i) => ({ label: labels[i]!, value: b.calls, title: `${b.start.toISOString().slice(0, 13)}:00Z: ${b.calls} calls, ${b.errors} errors` }))} label="Tool calls per hour" testId="overview-calls-chart" />
        </div>
        <div>
          <h3 className="text-xs font-semibold uppercase text-zinc-500">Error rate</h3>
          <LineChart
            labels={labels}
            unit="%"
            label="Error rate per hour"
            testId="overview-error-chart"
            series={[{ name: "errors", color: "#dc2626", values: buckets.map((b) => (b.calls ? Math.round((b.errors / b.calls) * 1000) / 10 : null)) }]}
          />
        </div>
        <div>
          <div className="flex items-center justify-between">
            <h3 className="text-xs font-semibold uppercase text-zinc-500">Latency</h3>
            <Legend items={[{ name: "p50", color: "#4f46e5" }, { name: "p95", color: "#f59e0b" }]} />
          </div>
          <LineChart
            labels={labels}
            unit=" ms"
            label="p50 and p95 tool-call latency per hour"
            testId="overview-latency-chart"
            series={[
              { name: "p50", color: "#4f46e5", values: buckets.map((b) => b.p50) },
              { name: "p95", color: "#f59e0b", values: buckets.map((b) => b.p95) },
            ]}
          />
        </div>
      </section>
      <section className="card p-6">
        <h2 className="font-semibold">Get started</h2>
        <ol className="mt-3 list-decimal space-y-2 pl-5 text-sm text-zinc-700">
          <li>
            {keys.data.length ? (
              <>This environment has {keys.data.length} active API key{keys.data.length === 1 ? "" : "s"}.</>
            ) : (
              <>Create an API key for your backend.</>
            )}{" "}
            <Link className="text-indigo-700 underline" href="/api-keys">
              Manage API keys
            </Link>
          </li>
          <li>
            Call the API:{" "}
            <code className="rounded bg-zinc-100 px-1">curl -H &quot;Authorization: Bearer lk_…&quot; {rt.env.LATCHKEY_PUBLIC_URL ?? ""}/api/v1/api-keys</code>
          </li>
          <li>
            The full reference is the OpenAPI document at{" "}
            <a className="text-indigo-700 underline" href="/api/v1/openapi.json">
              /api/v1/openapi.json
            </a>
            .
          </li>
        </ol>
      </section>
    </div>
  );
}
