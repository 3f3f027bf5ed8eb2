// GET /api/v1/alerts/{id} – one alert
import { getAlert } from "@/lib/alerts/service";
import { alertEventData } from "@/lib/alerts/present";
import { withApiKey } from "@/lib/http/with-api-key";
import { alertOperations } from "@/lib/schemas/alerts";

export const GET = withApiKey(alertOperations.get, async ({ ctx, params }) => alertEventData(await getAlert(ctx.db, ctx.environment.id, params.id)));
