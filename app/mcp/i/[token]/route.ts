// /mcp/i/{instance_token} – MCP URL 2: the pre-authenticated instance URL (no header needed)
import { resolveInstanceRequest } from "@/lib/gateway/serve";
import { mcpRoute } from "@/lib/gateway/web-route";

export const dynamic = "force-dynamic";

const handler = mcpRoute<{ token: string }>((rt, _req, params) => resolveInstanceRequest(rt, params.token));

export { handler as GET, handler as POST, handler as DELETE, handler as OPTIONS };
