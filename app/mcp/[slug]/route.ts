// /mcp/{tool_pack_slug} – MCP URL 3: a gateway token (service token, personal token or IdP JWT) in Authorization
import { resolveGatewayRequest } from "@/lib/gateway-tokens/resolve";
import { mcpRoute } from "@/lib/gateway/web-route";

export const dynamic = "force-dynamic";

const handler = mcpRoute<{ slug: string }>((rt, req, params, ctx) =>
  resolveGatewayRequest(rt, {
    authorization: req.headers.get("authorization"),
    environmentHeader: req.headers.get("latchkey-environment"),
    slug: params.slug,
    requestId: ctx.requestId,
    ip: ctx.ip,
  }),
);

export { handler as GET, handler as POST, handler as DELETE, handler as OPTIONS };
