import { BrandingForm } from "./branding-form";
import { EmbedForm } from "./embed-form";
import { IdpForm } from "./idp-form";
import { SettingsClient } from "./settings-client";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getEnvironmentSettings } from "@/lib/environment-settings/service";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Settings" };

export default async function SettingsPage() {
  const ctx = await requireDashboard();
  const { settings } = await getEnvironmentSettings((await getRuntime()).db, ctx.environment.id);
  return (
    <div className="max-w-3xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Settings</h1>
        <p className="mt-1 text-sm text-zinc-600">
          {ctx.organization.name} (<code>{ctx.organization.id}</code>)
        </p>
      </header>
      <section className="card p-4">
        <h2 className="font-semibold">Environments</h2>
        <p className="mt-1 text-sm text-zinc-600">
          One production environment and any number of test environments. Nothing crosses between them: each has its own keys, users and connections.
        </p>
        <ul className="mt-3 divide-y divide-zinc-100 text-sm">
          {ctx.environments.map((e) => (
            <li key={e.id} className="flex items-center justify-between py-2">
              <span>
                <strong>{e.name}</strong> <span className={e.kind === "test" ? "text-amber-700" : "text-indigo-700"}>({e.kind})</span>
              </span>
              <code className="text-xs text-zinc-500">{e.id}</code>
            </li>
          ))}
        </ul>
      </section>
      <BrandingForm key={`b-${ctx.environment.id}`} current={settings.branding ?? null} canEdit={hasRole(ctx.role, "admin")} environmentName={ctx.environment.name} defaultName={ctx.organization.name} />
      <IdpForm key={ctx.environment.id} current={settings.idp ?? null} canEdit={hasRole(ctx.role, "admin")} environmentName={ctx.environment.name} />
      <EmbedForm key={`embed-${ctx.environment.id}`} current={settings.embed ?? null} canEdit={hasRole(ctx.role, "admin")} environmentName={ctx.environment.name} />
      <SettingsClient canAddEnvironment={hasRole(ctx.role, "admin")} />
    </div>
  );
}
