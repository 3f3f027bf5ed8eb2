// POST /api/v1/agent-sessions/{id}/servers/{server_id}/disconnect – stop serving it (audited).
// With the API key, or with the session's own ticket (the user's session, runtime plane).
import { sessionServerRoute } from "@/lib/agents/session-server-route";
import { agentOperations } from "@/lib/schemas/agents";

export const POST = sessionServerRoute(agentOperations.disconnectServer, false);
