"use client";

import { useState } from "react";

/** A signing secret, shown once after creation or rotation, with a copy button. */
export function SecretOnce({ title, secret, onDone }: { title: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="card border-emerald-300 bg-emerald-50 p-4" data-testid="webhook-secret">
      <p className="font-medium text-emerald-900">{title} Copy the signing secret now: it will not be shown again.</p>
      <div className="mt-2 flex gap-2">
        <code data-testid="webhook-secret-value" className="flex-1 overflow-x-auto rounded bg-white px-3 py-2 font-mono text-sm">
          {secret}
        </code>
        <button
          type="button"
          className="btn btn-secondary"
          onClick={async () => {
            await navigator.clipboard?.writeText(secret).catch(() => {});
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
