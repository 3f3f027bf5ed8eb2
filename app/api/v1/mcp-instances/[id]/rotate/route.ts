// POST /api/v1/mcp-instances/{id}/rotate – new URL, the old one stops working at once
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { toInstanceOut } from "@/lib/mcp-instances/present";
import { rotateInstance } from "@/lib/mcp-instances/service";
import { mcpInstanceOperations } from "@/lib/schemas/mcp-instances";

export const POST = withApiKey(mcpInstanceOperations.rotate, async ({ req, ctx, params }) =>
  toInstanceOut(ctx.rt, ctx.environment, await rotateInstance(ctx.rt, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip }), publicBaseUrl(ctx.rt, req.headers)),
);
