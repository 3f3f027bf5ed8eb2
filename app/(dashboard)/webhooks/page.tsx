import * as z from "zod";
import { WebhooksClient } from "./webhooks-client";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { webhookEventCatalog, webhookEventTypes } from "@/lib/webhooks/events";
import { listWebhookEndpoints, toWebhookEndpointOut } from "@/lib/webhooks/service";

export const metadata = { title: "Webhooks" };

const searchSchema = z.object({ cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional() });

export default async function WebhooksPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const sp = searchSchema.safeParse(await searchParams);
  const endpoints = await listWebhookEndpoints(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: sp.success ? sp.data.cursor : undefined }).catch(() =>
    listWebhookEndpoints(rt.db, { environmentId: ctx.environment.id, limit: 50 }),
  );
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Webhooks</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Endpoints of <strong>{ctx.environment.name}</strong> that receive signed events (Standard Webhooks headers: <code>webhook-id</code>,{" "}
          <code>webhook-timestamp</code>, <code>webhook-signature</code>). Failed deliveries are retried for about a day.
        </p>
      </header>
      <WebhooksClient
        endpoints={endpoints.data.map(toWebhookEndpointOut)}
        events={webhookEventTypes.map((type) => ({ type, description: webhookEventCatalog[type] }))}
        canWrite={hasRole(ctx.role, "developer")}
        nextCursor={endpoints.nextCursor}
      />
    </div>
  );
}
