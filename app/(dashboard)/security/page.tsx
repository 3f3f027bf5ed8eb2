import { SecurityRulesClient } from "./security-rules-client";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { listStoredRules, toSecurityRuleOut } from "@/lib/security-rules/service";

export const metadata = { title: "Security rules" };

export default async function SecurityRulesPage() {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const rules = (await listStoredRules(rt.db, ctx.environment.id)).map((s) => toSecurityRuleOut(ctx.environment.id, s));
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Security rules</h1>
        <p className="mt-1 text-sm text-zinc-600">
          What the gateway looks for in tool arguments (before a call leaves) and results (before the agent sees them) in <strong>{ctx.environment.name}</strong>.{" "}
          <em>log</em> records a hit, <em>redact</em> replaces the value with a typed placeholder such as <code>[EMAIL_1]</code>, <em>block</em> refuses the call
          (<code>blocked_by_policy</code>). Custom rules (regular expressions, field paths) and per-pack overrides are managed with{" "}
          <code>/api/v1/security/rules</code> and the tool pack&apos;s <code>security</code> field.
        </p>
      </header>
      <SecurityRulesClient rules={rules} canWrite={hasRole(ctx.role, "developer")} />
    </div>
  );
}
