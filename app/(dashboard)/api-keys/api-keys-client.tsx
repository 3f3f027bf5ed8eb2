"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { createApiKeyAction, revokeApiKeyAction } from "./actions";
import { EmptyState, FieldError, FormError } from "@/components/ui/form-error";
import type { ApiKeyOut } from "@/lib/schemas/api-keys";

const fmt = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export function ApiKeysClient({ keys, canWrite, nextCursor, showRevoked }: { keys: ApiKeyOut[]; canWrite: boolean; nextCursor: string | null; showRevoked: boolean }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [created, setCreated] = useState<{ secret: string; name: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [pending, start] = useTransition();

  return (
    <div className="space-y-6">
      {canWrite ? (
        <form
          className="card flex flex-wrap items-end gap-3 p-4"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            setFieldError(undefined);
            start(async () => {
              const r = await createApiKeyAction({ name });
              if (!r.ok) {
                setError(r.error.message);
                setFieldError(r.error.issues?.find((i) => i.path === "name")?.message);
                return;
              }
              setCreated({ secret: r.data.secret, name: r.data.name });
              setCopied(false);
              setName("");
              router.refresh();
            });
          }}
        >
          <div className="min-w-64 flex-1">
            <label htmlFor="key-name" className="label">
              New key name
            </label>
            <input
              id="key-name"
              name="name"
              className="input"
              placeholder="e.g. backend-prod"
              value={name}
              maxLength={100}
              aria-invalid={Boolean(fieldError)}
              aria-describedby={fieldError ? "key-name-error" : undefined}
              onChange={(e) => setName(e.target.value)}
            />
            <FieldError id="key-name-error" message={fieldError} />
          </div>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Creating…" : "Create key"}
          </button>
        </form>
      ) : (
        <p className="text-sm text-zinc-600">Your role can view keys but not create or revoke them.</p>
      )}
      <FormError message={error} />

      {created ? (
        <div role="status" className="card border-emerald-300 bg-emerald-50 p-4" data-testid="new-key">
          <p className="font-medium text-emerald-900">Key “{created.name}” created. Copy it now: it will not be shown again.</p>
          <div className="mt-2 flex gap-2">
            <code data-testid="new-key-secret" className="flex-1 overflow-x-auto rounded bg-white px-3 py-2 font-mono text-sm">
              {created.secret}
            </code>
            <button
              type="button"
              className="btn btn-secondary"
              onClick={async () => {
                await navigator.clipboard?.writeText(created.secret).catch(() => {});
                setCopied(true);
              }}
            >
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}

      <div className="flex justify-end text-sm">
        <Link className="text-indigo-700 underline" href={showRevoked ? "/api-keys" : "/api-keys?revoked=1"}>
          {showRevoked ? "Hide revoked keys" : "Show revoked keys"}
        </Link>
      </div>

      {keys.length === 0 ? (
        <EmptyState title="No API keys yet">Create one above; your backend sends it as a Bearer token.</EmptyState>
      ) : (
        <div className="card overflow-hidden">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">Name</th>
                <th className="px-4 py-2">Key</th>
                <th className="px-4 py-2">Created</th>
                <th className="px-4 py-2">Last used</th>
                <th className="px-4 py-2">Status</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {keys.map((k) => (
                <tr key={k.id} data-testid="api-key-row" data-key-id={k.id}>
                  <td className="px-4 py-2 font-medium">{k.name}</td>
                  <td className="px-4 py-2 font-mono text-xs">{k.prefix}…</td>
                  <td className="px-4 py-2">{fmt(k.created_at)}</td>
                  <td className="px-4 py-2">{fmt(k.last_used_at)}</td>
                  <td className="px-4 py-2">
                    <span className={k.status === "active" ? "text-emerald-700" : "text-zinc-500"}>{k.status}</span>
                    {k.status === "active" && k.expires_at ? <span className="text-xs text-zinc-500"> until {fmt(k.expires_at)}</span> : null}
                  </td>
                  <td className="px-4 py-2 text-right">
                    {canWrite && k.status === "active" ? (
                      <button
                        type="button"
                        className="btn btn-danger py-1"
                        disabled={pending}
                        onClick={() => {
                          if (!window.confirm(`Revoke “${k.name}”? Requests using it fail immediately.`)) return;
                          start(async () => {
                            const r = await revokeApiKeyAction({ id: k.id });
                            if (!r.ok) setError(r.error.message);
                            router.refresh();
                          });
                        }}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <Link className="btn btn-secondary" href={`/api-keys?cursor=${nextCursor}${showRevoked ? "&revoked=1" : ""}`}>
          Next page
        </Link>
      ) : null}
    </div>
  );
}
