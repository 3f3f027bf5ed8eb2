// POST /api/v1/alerts/{id}/acknowledge – audited status change
import { changeAlertStatus } from "@/lib/alerts/service";
import { alertEventData } from "@/lib/alerts/present";
import { withApiKey } from "@/lib/http/with-api-key";
import { alertOperations } from "@/lib/schemas/alerts";

export const POST = withApiKey(alertOperations.acknowledge, async ({ ctx, params }) =>
  alertEventData(await changeAlertStatus(ctx.db, { environment: ctx.environment, id: params.id, to: "acknowledged", actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip })),
);
