// GET /audit/export?format=csv|json&env=…|all – the audit log download of the dashboard
import { auditExport, exportResponse } from "@/lib/audit/export";
import { dashboardExport } from "@/lib/dashboard/export-route";

export const dynamic = "force-dynamic";

export const GET = dashboardExport(async ({ ctx, rt, query, format }) => {
  // Only environments of the signed-in organization; "all" is the organization's whole log.
  const env = query.env === "all" ? undefined : ctx.environments.find((e) => e.id === (query.env ?? ctx.environment.id))?.id ?? ctx.environment.id;
  return exportResponse(
    auditExport(rt.db, {
      organizationId: ctx.organization.id,
      ...(env ? { environmentId: env } : {}),
      ...(query.since ? { since: new Date(query.since) } : {}),
      ...(query.until ? { until: new Date(query.until) } : {}),
      format,
    }),
    format,
    "audit-log",
  );
});
