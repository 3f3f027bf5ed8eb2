// GET    /api/v1/mcp-instances/{id}
// DELETE /api/v1/mcp-instances/{id} – revoke the URL
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { toInstanceOut } from "@/lib/mcp-instances/present";
import { getInstance, revokeInstance } from "@/lib/mcp-instances/service";
import { mcpInstanceOperations } from "@/lib/schemas/mcp-instances";

export const GET = withApiKey(mcpInstanceOperations.get, async ({ req, ctx, params }) =>
  toInstanceOut(ctx.rt, ctx.environment, await getInstance(ctx.db, ctx.environment.id, params.id), publicBaseUrl(ctx.rt, req.headers)),
);

export const DELETE = withApiKey(mcpInstanceOperations.revoke, async ({ req, ctx, params }) =>
  toInstanceOut(ctx.rt, ctx.environment, await revokeInstance(ctx.rt, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip }), publicBaseUrl(ctx.rt, req.headers)),
);
