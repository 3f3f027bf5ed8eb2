// POST /api/v1/connections/{id}/project – ephemeral headers for one provider call (refreshes when due)
import { withApiKey } from "@/lib/http/with-api-key";
import { projectConnection } from "@/lib/connections/project";
import { connectionOperations } from "@/lib/schemas/connections";

export const POST = withApiKey(connectionOperations.project, async ({ ctx, params }) =>
  projectConnection(ctx.rt, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip }),
);
