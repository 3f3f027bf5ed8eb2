"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { deleteWebhookEndpointAction, redeliverWebhookAction, rotateWebhookSecretAction, sendWebhookTestAction, setWebhookEndpointEnabledAction } from "../actions";
import { SecretOnce } from "../secret-once";
import { EmptyState, FormError } from "@/components/ui/form-error";
import type { WebhookDeliveryOut, WebhookEndpointOut } from "@/lib/schemas/webhooks";

const fmt = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");
const statusClass = { succeeded: "text-emerald-700", failed: "text-red-700", pending: "text-amber-700" } as const;

export function EndpointClient({
  endpoint,
  deliveries,
  nextCursor,
  status,
  canWrite,
}: {
  endpoint: WebhookEndpointOut;
  deliveries: WebhookDeliveryOut[];
  nextCursor: string | null;
  status: string | null;
  canWrite: boolean;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [pending, start] = useTransition();

  const run = (fn: () => Promise<{ ok: boolean; error?: { message: string } }>, done?: string) =>
    start(async () => {
      setError(null);
      setNotice(null);
      const r = await fn();
      if (!r.ok) setError(r.error?.message ?? "Something went wrong.");
      else if (done) setNotice(done);
      router.refresh();
    });

  return (
    <div className="space-y-6">
      <header className="space-y-1">
        <h1 className="break-all font-mono text-xl font-semibold">{endpoint.url}</h1>
        <p className="text-sm text-zinc-600">
          <code>{endpoint.id}</code> · {endpoint.description ?? "no description"} · events:{" "}
          <span className="font-mono text-xs">{endpoint.events.includes("*") ? "all" : endpoint.events.join(", ")}</span>
        </p>
        <p className="text-sm">
          <span data-testid="webhook-endpoint-status" className={endpoint.enabled ? "text-emerald-700" : "text-zinc-500"}>
            {endpoint.enabled ? "Enabled" : "Disabled"}
          </span>
          {endpoint.disabled_reason ? <span className="text-zinc-600"> — {endpoint.disabled_reason}</span> : null}
          {endpoint.previous_secret_expires_at ? (
            <span className="text-zinc-600"> · the previous secret also signs until {fmt(endpoint.previous_secret_expires_at)}</span>
          ) : null}
        </p>
      </header>

      {canWrite ? (
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn btn-primary" disabled={pending || !endpoint.enabled} onClick={() => run(() => sendWebhookTestAction({ id: endpoint.id }), "Test event queued: it appears in the log below within a second or two.")}>
            Send test event
          </button>
          <button type="button" className="btn btn-secondary" disabled={pending} onClick={() => run(() => setWebhookEndpointEnabledAction({ id: endpoint.id, enabled: !endpoint.enabled }))}>
            {endpoint.enabled ? "Disable" : "Enable"}
          </button>
          <button
            type="button"
            className="btn btn-secondary"
            disabled={pending}
            onClick={() => {
              if (!window.confirm("Rotate the signing secret? For 24 hours deliveries are signed with both the old and the new secret.")) return;
              start(async () => {
                setError(null);
                const r = await rotateWebhookSecretAction({ id: endpoint.id });
                if (!r.ok) setError(r.error.message);
                else setSecret(r.data.secret);
                router.refresh();
              });
            }}
          >
            Rotate secret
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={pending}
            onClick={() => {
              if (!window.confirm("Delete this endpoint and its delivery log?")) return;
              start(async () => {
                const r = await deleteWebhookEndpointAction({ id: endpoint.id });
                if (!r.ok) setError(r.error.message);
                else router.push("/webhooks");
              });
            }}
          >
            Delete
          </button>
        </div>
      ) : null}
      <FormError message={error} />
      {notice ? (
        <p role="status" className="text-sm text-emerald-800">
          {notice}
        </p>
      ) : null}
      {secret ? <SecretOnce title="Secret rotated." secret={secret} onDone={() => setSecret(null)} /> : null}

      <section className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 className="font-semibold">Delivery log</h2>
          <nav className="flex gap-3 text-sm" aria-label="Filter deliveries">
            {[null, "pending", "succeeded", "failed"].map((s) => (
              <Link key={s ?? "all"} className={status === s ? "font-semibold" : "text-indigo-700 underline"} href={s ? `/webhooks/${endpoint.id}?status=${s}` : `/webhooks/${endpoint.id}`}>
                {s ?? "all"}
              </Link>
            ))}
            <button type="button" className="text-indigo-700 underline" onClick={() => router.refresh()}>
              Refresh
            </button>
          </nav>
        </div>
        {deliveries.length === 0 ? (
          <EmptyState title="No deliveries yet">Events this endpoint subscribes to appear here as they are sent. Send a test event to try it.</EmptyState>
        ) : (
          <div className="card overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
                <tr>
                  <th className="px-3 py-2">Event</th>
                  <th className="px-3 py-2">Status</th>
                  <th className="px-3 py-2">Attempts</th>
                  <th className="px-3 py-2">Response</th>
                  <th className="px-3 py-2">Next retry</th>
                  <th className="px-3 py-2">Created</th>
                  <th className="px-3 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100" data-testid="webhook-deliveries">
                {deliveries.map((d) => (
                  <tr key={d.id} data-testid="webhook-delivery-row" data-delivery-id={d.id} className="align-top">
                    <td className="px-3 py-2">
                      <span className="font-mono text-xs">{d.event_type}</span>
                      <p className="font-mono text-[11px] text-zinc-500">{d.event_id}</p>
                    </td>
                    <td className="px-3 py-2">
                      <span data-testid="webhook-delivery-status" className={statusClass[d.status]}>
                        {d.status}
                      </span>
                    </td>
                    <td className="px-3 py-2">
                      {d.attempt_log.length === 0 ? (
                        d.attempts
                      ) : (
                        <details>
                          <summary className="cursor-pointer">{d.attempts}</summary>
                          <ol className="mt-1 space-y-1 text-xs">
                            {d.attempt_log.map((a) => (
                              <li key={a.attempt}>
                                #{a.attempt} {fmt(a.created_at)} · {a.status_code ?? "no response"} · {a.duration_ms} ms
                                {a.error ? <span className="text-red-700"> · {a.error}</span> : null}
                                {a.response_snippet ? <pre className="mt-0.5 max-w-md overflow-x-auto whitespace-pre-wrap rounded bg-zinc-50 p-1">{a.response_snippet}</pre> : null}
                              </li>
                            ))}
                          </ol>
                        </details>
                      )}
                    </td>
                    <td className="px-3 py-2">
                      {d.last_status_code ?? "—"}
                      {d.last_error ? <p className="text-xs text-red-700">{d.last_error}</p> : null}
                    </td>
                    <td className="px-3 py-2">{d.status === "pending" ? fmt(d.next_attempt_at) : "—"}</td>
                    <td className="whitespace-nowrap px-3 py-2">{fmt(d.created_at)}</td>
                    <td className="px-3 py-2 text-right">
                      {canWrite && d.status !== "pending" ? (
                        <button type="button" className="btn btn-secondary py-1" disabled={pending || !endpoint.enabled} onClick={() => run(() => redeliverWebhookAction({ id: d.id }), "Redelivery queued.")}>
                          Redeliver
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
          <Link className="btn btn-secondary" href={`/webhooks/${endpoint.id}?${new URLSearchParams({ ...(status ? { status } : {}), cursor: nextCursor })}`}>
            Older deliveries
          </Link>
        ) : null}
      </section>
    </div>
  );
}
