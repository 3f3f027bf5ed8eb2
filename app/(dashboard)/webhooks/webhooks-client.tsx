"use client";

import Link from "next/link";
import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { createWebhookEndpointAction } from "./actions";
import { SecretOnce } from "./secret-once";
import { EmptyState, FieldError, FormError } from "@/components/ui/form-error";
import type { WebhookEndpointOut } from "@/lib/schemas/webhooks";
import type { WebhookEventType } from "@/lib/webhooks/events";

type EventChoice = { type: WebhookEventType; description: string };

export function WebhooksClient({ endpoints, events, canWrite, nextCursor }: { endpoints: WebhookEndpointOut[]; events: EventChoice[]; canWrite: boolean; nextCursor: string | null }) {
  const router = useRouter();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [all, setAll] = useState(true);
  const [chosen, setChosen] = useState<WebhookEventType[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ secret: string; url: string } | null>(null);
  const [pending, start] = useTransition();

  return (
    <div className="space-y-6">
      {canWrite ? (
        <form
          className="card space-y-4 p-4"
          aria-label="New webhook endpoint"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            setIssues({});
            start(async () => {
              const r = await createWebhookEndpointAction({ url, description: description || undefined, events: all ? ["*"] : chosen });
              if (!r.ok) {
                setError(r.error.message);
                setIssues(Object.fromEntries((r.error.issues ?? []).map((i) => [i.path.split(".")[0] ?? "", i.message])));
                return;
              }
              setCreated({ secret: r.data.secret, url: r.data.url });
              setUrl("");
              setDescription("");
              router.refresh();
            });
          }}
        >
          <div className="grid gap-4 md:grid-cols-2">
            <div>
              <label htmlFor="wh-url" className="label">
                Endpoint URL
              </label>
              <input
                id="wh-url"
                name="url"
                className="input"
                placeholder="https://example.com/webhooks/latchkey"
                value={url}
                maxLength={2000}
                required
                aria-invalid={Boolean(issues.url)}
                aria-describedby={issues.url ? "wh-url-error" : undefined}
                onChange={(e) => setUrl(e.target.value)}
              />
              <FieldError id="wh-url-error" message={issues.url} />
            </div>
            <div>
              <label htmlFor="wh-description" className="label">
                Description (optional)
              </label>
              <input id="wh-description" name="description" className="input" value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />
            </div>
          </div>
          <fieldset>
            <legend className="label">Events</legend>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> All events, including ones added later
            </label>
            {!all ? (
              <div className="mt-2 grid gap-1 pl-6">
                {events.map((ev) => (
                  <label key={ev.type} className="flex items-start gap-2 text-sm">
                    <input
                      type="checkbox"
                      className="mt-1"
                      checked={chosen.includes(ev.type)}
                      onChange={(e) => setChosen((c) => (e.target.checked ? [...c, ev.type] : c.filter((t) => t !== ev.type)))}
                    />
                    <span>
                      <code className="font-mono text-xs">{ev.type}</code> <span className="text-zinc-600">— {ev.description}</span>
                    </span>
                  </label>
                ))}
              </div>
            ) : null}
            <FieldError id="wh-events-error" message={issues.events} />
          </fieldset>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Adding…" : "Add endpoint"}
          </button>
        </form>
      ) : (
        <p className="text-sm text-zinc-600">Your role can view webhook endpoints but not change them.</p>
      )}
      <FormError message={error} />
      {created ? <SecretOnce title={`Endpoint ${created.url} added.`} secret={created.secret} onDone={() => setCreated(null)} /> : null}

      {endpoints.length === 0 ? (
        <EmptyState title="No webhook endpoints yet">Add one above: Latchkey then POSTs signed events to it when users and connections change.</EmptyState>
      ) : (
        <div className="card overflow-hidden">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">URL</th>
                <th className="px-4 py-2">Events</th>
                <th className="px-4 py-2">Status</th>
                <th className="px-4 py-2">Created</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {endpoints.map((e) => (
                <tr key={e.id} data-testid="webhook-endpoint-row" data-endpoint-id={e.id}>
                  <td className="max-w-md truncate px-4 py-2">
                    <Link className="font-mono text-xs text-indigo-700 underline" href={`/webhooks/${e.id}`}>
                      {e.url}
                    </Link>
                    {e.description ? <p className="text-xs text-zinc-500">{e.description}</p> : null}
                  </td>
                  <td className="px-4 py-2 font-mono text-xs">{e.events.includes("*") ? "all events" : e.events.join(", ")}</td>
                  <td className="px-4 py-2">
                    <span className={e.enabled ? "text-emerald-700" : "text-zinc-500"}>{e.enabled ? "enabled" : "disabled"}</span>
                  </td>
                  <td className="px-4 py-2">{new Date(e.created_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <Link className="btn btn-secondary" href={`/webhooks?cursor=${nextCursor}`}>
          Next page
        </Link>
      ) : null}
    </div>
  );
}
