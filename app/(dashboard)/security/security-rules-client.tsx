"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { updateSecurityRuleAction } from "./actions";
import { FormError } from "@/components/ui/form-error";
import type { SecurityRuleOut } from "@/lib/schemas/security-rules";

const ACTIONS = ["log", "redact", "block"] as const;

export function SecurityRulesClient({ rules, canWrite }: { rules: SecurityRuleOut[]; canWrite: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  // Shown at once, before the refreshed list arrives; dropped again if the change was refused.
  const [local, setLocal] = useState<Record<string, { enabled?: boolean; action?: (typeof ACTIONS)[number] }>>({});

  const update = (id: string, patch: { enabled?: boolean; action?: (typeof ACTIONS)[number] }) => {
    setLocal((l) => ({ ...l, [id]: { ...l[id], ...patch } }));
    start(async () => {
      setError(null);
      const r = await updateSecurityRuleAction({ id, ...patch });
      if (!r.ok) {
        setError(r.error.message);
        setLocal((l) => {
          const { [id]: _dropped, ...rest } = l;
          return rest;
        });
      }
      router.refresh();
    });
  };

  return (
    <div className="space-y-4">
      {canWrite ? null : <p className="text-sm text-zinc-600">Your role can view the rules but not change them.</p>}
      <FormError message={error} />
      <div className="card overflow-hidden">
        <table className="w-full text-left text-sm">
          <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
            <tr>
              <th className="px-4 py-2">Rule</th>
              <th className="px-4 py-2">Matches</th>
              <th className="px-4 py-2">Scans</th>
              <th className="px-4 py-2">Action</th>
              <th className="px-4 py-2">Enabled</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100">
            {rules.map((stored) => ({ ...stored, ...local[stored.id] })).map((r) => (
              <tr key={r.id} data-testid="security-rule-row" data-rule-id={r.id}>
                <td className="px-4 py-2">
                  <div className="font-medium">{r.name ?? (r.builtin ? r.detector : r.id)}</div>
                  <div className="font-mono text-xs text-zinc-500">{r.id}</div>
                </td>
                <td className="px-4 py-2 font-mono text-xs">{r.type === "detector" ? `[${r.kind}_n]` : r.type === "pattern" ? `/${r.pattern}/${r.flags ?? ""}` : r.field_path}</td>
                <td className="px-4 py-2">{r.applies_to}</td>
                <td className="px-4 py-2">
                  <select
                    aria-label={`Action of ${r.id}`}
                    className="input py-1"
                    value={r.action}
                    disabled={!canWrite || pending}
                    onChange={(e) => update(r.id, { action: e.target.value as (typeof ACTIONS)[number] })}
                  >
                    {ACTIONS.map((a) => (
                      <option key={a} value={a}>
                        {a}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="px-4 py-2">
                  <input type="checkbox" aria-label={`Enable ${r.id}`} checked={r.enabled} disabled={!canWrite || pending} onChange={(e) => update(r.id, { enabled: e.target.checked })} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
