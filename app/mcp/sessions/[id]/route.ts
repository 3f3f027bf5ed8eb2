// /mcp/sessions/{agent_session_id} – MCP URL 4: the agent session's ticket in Authorization
import { resolveAgentSessionRequest } from "@/lib/agents/resolve";
import { mcpRoute } from "@/lib/gateway/web-route";

export const dynamic = "force-dynamic";

const handler = mcpRoute<{ id: string }>((rt, req, params) => resolveAgentSessionRequest(rt, { authorization: req.headers.get("authorization"), sessionId: params.id }));

export { handler as GET, handler as POST, handler as DELETE, handler as OPTIONS };
