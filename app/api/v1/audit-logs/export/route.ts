// GET /api/v1/audit-logs/export – the environment's audit log as CSV or JSON
import { auditExport, exportResponse } from "@/lib/audit/export";
import { withApiKey } from "@/lib/http/with-api-key";
import { auditOperations } from "@/lib/schemas/audit";

export const GET = withApiKey(auditOperations.export, async ({ ctx, query }) =>
  exportResponse(
    auditExport(ctx.db, {
      organizationId: ctx.environment.organizationId,
      environmentId: ctx.environment.id,
      format: query.format,
      ...(query.since ? { since: new Date(query.since) } : {}),
      ...(query.until ? { until: new Date(query.until) } : {}),
    }),
    query.format,
    "audit-log",
    { "x-request-id": ctx.requestId },
  ),
);
