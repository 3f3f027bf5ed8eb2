import Link from "next/link";
import { requireDashboard } from "@/lib/dashboard/context";
import { listApiKeys } from "@/lib/api-keys/service";
import { getRuntime } from "@/lib/runtime";

export default async function OverviewPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const keys = await listApiKeys(rt.db, { environmentId: ctx.environment.id, limit: 100, includeRevoked: false });
  return (
    <div className="max-w-3xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">
          {ctx.organization.name} · {ctx.environment.name}
        </h1>
        <p className="mt-1 text-sm text-zinc-600">
          Environment id <code className="rounded bg-zinc-200 px-1">{ctx.environment.id}</code>
        </p>
      </header>
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
