// GET /api/v1/mcp-instances/{id}/auth-state?include_auth_links=true – what the user still has to connect
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { authState } from "@/lib/mcp-instances/present";
import { getInstance } from "@/lib/mcp-instances/service";
import { mcpInstanceOperations } from "@/lib/schemas/mcp-instances";

export const GET = withApiKey(mcpInstanceOperations.authState, async ({ req, ctx, params, query }) =>
  authState(ctx.rt, {
    environment: ctx.environment,
    instance: await getInstance(ctx.db, ctx.environment.id, params.id),
    includeLinks: query.include_auth_links,
    baseUrl: publicBaseUrl(ctx.rt, req.headers),
    actor: ctx.actor,
    requestId: ctx.requestId,
  }),
);
