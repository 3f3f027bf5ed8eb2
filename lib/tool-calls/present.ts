import type { ToolCall } from "@/db/schema";

export const toToolCallOut = (c: ToolCall) => ({
  id: c.id,
  object: "tool_call" as const,
  principal: `${c.principalType}:${c.principalId}`,
  tool_pack_id: c.toolPackId,
  registered_user_id: c.registeredUserId,
  tool: c.tool,
  connector: c.connector,
  connection_id: c.connectionId,
  status: c.status,
  error_code: c.errorCode,
  latency_ms: c.latencyMs,
  created_at: c.createdAt.toISOString(),
});
