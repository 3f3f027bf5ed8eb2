// GET /tool-calls/export?format=csv|json – the tool-call log download of the dashboard
import { exportResponse, toolCallExport } from "@/lib/audit/export";
import { dashboardExport } from "@/lib/dashboard/export-route";

export const dynamic = "force-dynamic";

export const GET = dashboardExport(async ({ ctx, rt, query, format }) =>
  exportResponse(
    toolCallExport(rt.db, {
      environmentId: ctx.environment.id,
      ...(query.since ? { since: new Date(query.since) } : {}),
      ...(query.until ? { until: new Date(query.until) } : {}),
      format,
    }),
    format,
    "tool-calls",
  ),
);
