"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { createGatewayTokenAction, revokeGatewayTokenAction } from "./actions";
import { EmptyState, FieldError, FormError } from "@/components/ui/form-error";
import type { GatewayTokenOut } from "@/lib/schemas/gateway-tokens";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export function GatewayTokensClient({ tokens, canWrite, nextCursor, showRevoked }: { tokens: GatewayTokenOut[]; canWrite: boolean; nextCursor: string | null; showRevoked: boolean }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [pending, start] = useTransition();

  const create = () =>
    start(async () => {
      setError(null);
      setNameError(undefined);
      const r = await createGatewayTokenAction({ name });
      if (!r.ok) {
        setError(r.error.message);
        setNameError(r.error.issues?.find((i) => i.path === "name")?.message);
        return;
      }
      setCreated({ name: r.data.name, token: r.data.token });
      setName("");
      router.refresh();
    });

  const revoke = (t: GatewayTokenOut) => {
    if (!window.confirm(`Revoke “${t.name}”? Agents using it are refused from the next request.`)) return;
    start(async () => {
      const r = await revokeGatewayTokenAction({ id: t.id });
      if (!r.ok) setError(r.error.message);
      router.refresh();
    });
  };

  return (
    <div className="space-y-6">
      {canWrite ? (
        <form
          className="card flex flex-wrap items-end gap-3 p-4"
          onSubmit={(e) => {
            e.preventDefault();
            create();
          }}
        >
          <div className="min-w-64 flex-1">
            <label htmlFor="gwt-name" className="label">
              New service token name
            </label>
            <input
              id="gwt-name"
              className="input"
              placeholder="e.g. support-bot"
              value={name}
              maxLength={100}
              aria-invalid={Boolean(nameError)}
              aria-describedby={nameError ? "gwt-name-error" : undefined}
              onChange={(e) => setName(e.target.value)}
            />
            <FieldError id="gwt-name-error" message={nameError} />
          </div>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Creating…" : "Create token"}
          </button>
        </form>
      ) : (
        <p className="text-sm text-zinc-600">Your role can view gateway tokens but not create or revoke them.</p>
      )}
      <FormError message={error} />

      {created ? (
        <div role="status" className="card border-emerald-300 bg-emerald-50 p-4" data-testid="new-gateway-token">
          <p className="font-medium text-emerald-900">Token “{created.name}” created. Copy it now: it will not be shown again.</p>
          <div className="mt-2 flex gap-2">
            <code data-testid="new-gateway-token-secret" className="flex-1 overflow-x-auto rounded bg-white px-3 py-2 font-mono text-sm">
              {created.token}
            </code>
            <button type="button" className="btn btn-secondary" onClick={() => void navigator.clipboard?.writeText(created.token).catch(() => {})}>
              Copy
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}

      <div className="flex justify-end text-sm">
        <Link className="text-indigo-700 underline" href={showRevoked ? "/gateway-tokens" : "/gateway-tokens?revoked=1"}>
          {showRevoked ? "Hide revoked tokens" : "Show revoked tokens"}
        </Link>
      </div>

      {tokens.length === 0 ? (
        <EmptyState title="No service tokens yet">Create one above, or with POST /api/v1/gateway-tokens.</EmptyState>
      ) : (
        <div className="card overflow-hidden">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">Name</th>
                <th className="px-4 py-2">Token</th>
                <th className="px-4 py-2">Created</th>
                <th className="px-4 py-2">Last used</th>
                <th className="px-4 py-2">Status</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {tokens.map((t) => (
                <tr key={t.id} data-testid="gateway-token-row" data-token-id={t.id}>
                  <td className="px-4 py-2 font-medium">{t.name}</td>
                  <td className="px-4 py-2 font-mono text-xs">{t.prefix}…</td>
                  <td className="px-4 py-2">{when(t.created_at)}</td>
                  <td className="px-4 py-2">{when(t.last_used_at)}</td>
                  <td className="px-4 py-2">
                    <span className={t.status === "active" ? "text-emerald-700" : "text-zinc-500"}>{t.status}</span>
                  </td>
                  <td className="px-4 py-2 text-right">
                    {canWrite && t.status === "active" ? (
                      <button type="button" className="btn btn-danger py-1" disabled={pending} onClick={() => revoke(t)}>
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
        <Link className="btn btn-secondary" href={`/gateway-tokens?cursor=${nextCursor}${showRevoked ? "&revoked=1" : ""}`}>
          Next page
        </Link>
      ) : null}
    </div>
  );
}
