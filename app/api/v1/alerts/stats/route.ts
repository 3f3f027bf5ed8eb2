// GET /api/v1/alerts/stats – alert counts per hour or day
import { alertStats } from "@/lib/alerts/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { alertOperations } from "@/lib/schemas/alerts";

export const GET = withApiKey(alertOperations.stats, async ({ ctx, query }) =>
  alertStats(ctx.db, ctx.environment.id, query.bucket, query.since ? new Date(query.since) : undefined),
);
