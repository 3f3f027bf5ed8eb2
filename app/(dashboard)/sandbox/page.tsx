import { and, desc, eq } from "drizzle-orm";
import { connections } from "@/db/schema";
import { getConnector } from "@/lib/connectors/catalog";
import { requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { pendingFault, sandboxConnectors } from "@/lib/sandbox/hosted";
import { FaultForm, ResetButton } from "./sandbox-controls";

export const metadata = { title: "Sandbox" };

export default async function SandboxPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const env = ctx.environment;
  if (env.kind !== "test") {
    return (
      <div className="max-w-4xl space-y-4">
        <h1 className="text-2xl font-semibold">Sandbox</h1>
        <p className="card p-4 text-sm text-zinc-700" data-testid="sandbox-not-allowed">
          Sandbox providers serve test environments only. Switch to a test environment to use them.
        </p>
      </div>
    );
  }
  const rows = await rt.db
    .select()
    .from(connections)
    .where(and(eq(connections.environmentId, env.id), eq(connections.sandbox, true)))
    .orderBy(desc(connections.id))
    .limit(200);
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Sandbox</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Simulated providers this environment&apos;s sandbox connections call (served by Latchkey at /sandbox/…), seeded with sample data. State is kept in this server&apos;s memory.
        </p>
      </header>
      <section className="card p-4">
        <div className="flex items-center justify-between gap-4">
          <h2 className="font-semibold">Providers</h2>
          <ResetButton label="Reset all" />
        </div>
        <ul className="mt-3 divide-y divide-zinc-200" data-testid="sandbox-providers">
          {sandboxConnectors().map((slug) => (
            <li key={slug} className="flex items-center justify-between gap-4 py-2">
              <span>{getConnector(slug)?.name ?? slug}</span>
              <ResetButton connector={slug} label="Reset" />
            </li>
          ))}
        </ul>
      </section>
      <section className="card p-4">
        <h2 className="font-semibold">Sandbox connections: inject provider errors</h2>
        {rows.length === 0 ? (
          <p className="mt-2 text-sm text-zinc-600">No sandbox connections yet. Use &quot;Sandbox account&quot; on the Link page, or POST /api/v1/sandbox/connections.</p>
        ) : (
          <ul className="mt-3 divide-y divide-zinc-200" data-testid="sandbox-connections">
            {rows.map((c) => {
              const f = pendingFault(env.id, c);
              return (
                <li key={c.id} className="space-y-2 py-3">
                  <p className="text-sm">
                    <span className="font-medium">{getConnector(c.connector)?.name ?? c.connector}</span> · <code>{c.id}</code> · {c.ownerType === "registered_user" ? c.ownerId : c.ownerType} · {c.status}
                    {f ? <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-900">next {f.remaining}: {f.mode}</span> : null}
                  </p>
                  <FaultForm connectionId={c.id} />
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </div>
  );
}
