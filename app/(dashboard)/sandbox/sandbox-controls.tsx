"use client";
import { useState, useTransition } from "react";
import { injectFaultAction, resetSandboxAction } from "./actions";

const MODES = [
  ["expired_token", "401 expired token"],
  ["missing_scope", "403 missing scope"],
  ["rate_limited", "429 rate limited"],
  ["server_error", "500 server error"],
  ["slow", "Slow (timeout)"],
] as const;

export function ResetButton({ connector, label }: { connector?: string; label: string }) {
  const [pending, start] = useTransition();
  const [msg, setMsg] = useState("");
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        className="btn btn-secondary"
        disabled={pending}
        onClick={() =>
          start(async () => {
            const r = await resetSandboxAction(connector ? { connector } : {});
            setMsg(r.ok ? "Reset to the sample data." : r.error.message);
          })
        }
      >
        {label}
      </button>
      <span role="status" className="text-xs text-zinc-600">
        {msg}
      </span>
    </span>
  );
}

export function FaultForm({ connectionId }: { connectionId: string }) {
  const [pending, start] = useTransition();
  const [mode, setMode] = useState<(typeof MODES)[number][0]>("expired_token");
  const [count, setCount] = useState(1);
  const [msg, setMsg] = useState("");
  return (
    <form
      className="flex flex-wrap items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          const r = await injectFaultAction({ connectionId, mode, count });
          setMsg(r.ok ? `The next ${r.data.remaining} call(s) answer ${r.data.mode}.` : r.error.message);
        });
      }}
    >
      <label className="sr-only" htmlFor={`mode-${connectionId}`}>
        Error
      </label>
      <select id={`mode-${connectionId}`} className="input w-auto" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
        {MODES.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
      <label className="text-sm" htmlFor={`count-${connectionId}`}>
        calls
      </label>
      <input id={`count-${connectionId}`} type="number" min={1} max={100} className="input w-20" value={count} onChange={(e) => setCount(Number(e.target.value) || 1)} />
      <button type="submit" className="btn btn-secondary" disabled={pending}>
        Inject
      </button>
      <span role="status" className="text-xs text-zinc-600">
        {msg}
      </span>
    </form>
  );
}
