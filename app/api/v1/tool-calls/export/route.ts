// GET /api/v1/tool-calls/export – the environment's tool-call log as CSV or JSON
import { exportResponse, toolCallExport } from "@/lib/audit/export";
import { withApiKey } from "@/lib/http/with-api-key";
import { toolCallOperations } from "@/lib/schemas/tool-calls";

export const GET = withApiKey(toolCallOperations.export, async ({ ctx, query }) =>
  exportResponse(
    toolCallExport(ctx.db, {
      environmentId: ctx.environment.id,
      format: query.format,
      ...(query.since ? { since: new Date(query.since) } : {}),
      ...(query.until ? { until: new Date(query.until) } : {}),
    }),
    query.format,
    "tool-calls",
    { "x-request-id": ctx.requestId },
  ),
);
