"use client";

import { useState, useTransition } from "react";
import { verifyAuditLogAction } from "./actions";

type Outcome = Awaited<ReturnType<typeof verifyAuditLogAction>>;

export function VerifyAuditButton() {
  const [pending, start] = useTransition();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button type="button" className="btn btn-secondary" disabled={pending} onClick={() => start(async () => setOutcome(await verifyAuditLogAction({})))}>
        {pending ? "Verifying…" : "Verify hash chain"}
      </button>
      <span data-testid="audit-verify-result" aria-live="polite" className="text-sm">
        {!outcome ? null : !outcome.ok ? (
          <span className="text-red-700">{outcome.error.message}</span>
        ) : outcome.data.ok ? (
          <span className="font-medium text-emerald-700">OK: all {outcome.data.rows} rows verify.</span>
        ) : (
          <span className="font-medium text-red-700">
            Broken at row {outcome.data.seq} ({outcome.data.reason}): {outcome.data.message}
          </span>
        )}
      </span>
    </div>
  );
}
