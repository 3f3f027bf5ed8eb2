// POST /api/v1/alerts/{id}/resolve – audited status change
import { changeAlertStatus } from "@/lib/alerts/service";
import { alertEventData } from "@/lib/alerts/present";
import { withApiKey } from "@/lib/http/with-api-key";
import { alertOperations } from "@/lib/schemas/alerts";

export const POST = withApiKey(alertOperations.resolve, async ({ ctx, params }) =>
  alertEventData(await changeAlertStatus(ctx.db, { environment: ctx.environment, id: params.id, to: "resolved", actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);
