"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { approveServerToolAction } from "./actions";

export function ApproveButton({ serverId, name }: { serverId: string; name: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  return (
    <span>
      <button
        type="button"
        className="btn btn-primary py-1"
        disabled={pending}
        data-testid={`approve-${name}`}
        onClick={() => {
          if (!window.confirm(`Approve the new definition of “${name}”? Agents will see and call it as shown.`)) return;
          start(async () => {
            const r = await approveServerToolAction({ serverId, name });
            if (!r.ok) setError(r.error.message);
            router.refresh();
          });
        }}
      >
        Approve
      </button>
      {error ? <span className="ml-2 text-xs text-red-700">{error}</span> : null}
    </span>
  );
}
