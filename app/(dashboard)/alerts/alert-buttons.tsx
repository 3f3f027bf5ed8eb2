"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { changeAlertStatusAction } from "./actions";

export function AlertButtons({ id, status }: { id: string; status: "open" | "acknowledged" | "resolved" }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const router = useRouter();
  const run = (to: "acknowledged" | "resolved") =>
    start(async () => {
      const r = await changeAlertStatusAction({ id, to });
      if (!r.ok) setError(r.error.message);
      else {
        setError(null);
        router.refresh();
      }
    });
  if (status === "resolved") return <span className="text-xs text-zinc-500">resolved</span>;
  return (
    <div className="flex items-center gap-2">
      {status === "open" ? (
        <button type="button" className="btn btn-secondary px-2 py-1 text-xs" disabled={pending} onClick={() => run("acknowledged")}>
          Acknowledge
        </button>
      ) : null}
      <button type="button" className="btn btn-secondary px-2 py-1 text-xs" disabled={pending} onClick={() => run("resolved")}>
        Resolve
      </button>
      {error ? (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      ) : null}
    </div>
  );
}
