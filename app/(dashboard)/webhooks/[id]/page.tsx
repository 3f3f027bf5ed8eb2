import Link from "next/link";
import { notFound } from "next/navigation";
import * as z from "zod";
import { EndpointClient } from "./endpoint-client";
import { findWebhookEndpoint } from "@/db/queries/webhooks";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { listWebhookDeliveries, toWebhookEndpointOut } from "@/lib/webhooks/service";

export const metadata = { title: "Webhook endpoint" };

const searchSchema = z.object({
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(),
  status: z.enum(["pending", "succeeded", "failed"]).optional(),
});

export default async function WebhookEndpointPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | undefined>> }) {
  const { id } = await params;
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const endpoint = /^whe_[0-9a-z]{22}$/.test(id) ? await findWebhookEndpoint(rt.db, ctx.environment.id, id) : null;
  if (!endpoint) notFound();
  const sp = searchSchema.safeParse(await searchParams);
  const q = sp.success ? sp.data : {};
  const list = (cursor: string | undefined) => listWebhookDeliveries(rt.db, { environmentId: ctx.environment.id, endpointId: endpoint.id, limit: 25, cursor, status: q.status });
  const deliveries = await list(q.cursor).catch(() => list(undefined));
  return (
    <div className="max-w-6xl space-y-6">
      <p className="text-sm">
        <Link className="text-indigo-700 underline" href="/webhooks">
          ← Webhooks
        </Link>
      </p>
      <EndpointClient
        endpoint={toWebhookEndpointOut(endpoint)}
        deliveries={deliveries.data}
        nextCursor={deliveries.nextCursor}
        status={q.status ?? null}
        canWrite={hasRole(ctx.role, "developer")}
      />
    </div>
  );
}
