// /api/v1/tool-packs/{tool_pack_id}/registered-users/{registered_user_id}/mcp – MCP URL 1, with the API key
import { resolveApiKeyRequest } from "@/lib/gateway/serve";
import { mcpRoute } from "@/lib/gateway/web-route";

export const dynamic = "force-dynamic";

const handler = mcpRoute<{ id: string; ru: string }>((rt, req, params, ctx) =>
  resolveApiKeyRequest(rt, {
    authorization: req.headers.get("authorization"),
    environmentHeader: req.headers.get("latchkey-environment"),
    toolPackId: params.id,
    registeredUserId: params.ru,
    requestId: ctx.requestId,
    ip: ctx.ip,
  }),
);

export { handler as GET, handler as POST, handler as DELETE, handler as OPTIONS };
