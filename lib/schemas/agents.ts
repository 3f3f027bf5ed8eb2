import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

const serverIds = z.array(idParam("srv")).max(100);
const packIds = z.array(idParam("tp")).max(50);

export const createAgentBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  servers: serverIds.default([]).describe("Registered MCP servers (srv_…) a session of this agent may connect."),
  tool_packs: packIds.default([]).describe("Tool packs (tp_…) whose tools every session of this agent serves."),
});

export const updateAgentBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  servers: serverIds.optional().describe("Replaces the attached servers; a detached server stops being served by open sessions at once."),
  tool_packs: packIds.optional(),
});

export const agentParamsSchema = z.object({ id: idParam("agt") });

export const createAgentSessionBodySchema = z.strictObject({
  registered_user_id: idParam("ru"),
  ttl_seconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(3600)
    .describe("How long the ticket is valid (default one hour)."),
});

export const agentSessionParamsSchema = z.object({ id: idParam("ags") });
export const agentSessionServerParamsSchema = z.object({ id: idParam("ags"), server_id: idParam("srv") });

export const AgentSchema = z
  .object({
    id: z.string(),
    object: z.literal("agent"),
    environment_id: z.string(),
    name: z.string(),
    servers: z.array(z.string()),
    tool_packs: z.array(z.string()),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "Agent" });
export type AgentOut = z.infer<typeof AgentSchema>;

export const AgentSessionSchema = z
  .object({
    id: z.string(),
    object: z.literal("agent_session"),
    session_id: z.string().describe("The same as id."),
    environment_id: z.string(),
    agent_id: z.string(),
    registered_user_id: z.string(),
    mcp_url: z.string().describe("MCP URL 4: send the ticket as `Authorization: Bearer <ticket>`."),
    connected_servers: z.array(z.string()).describe("Servers (srv_…) the MCP URL serves now."),
    status: z.enum(["active", "expired", "ended"]),
    expires_at: isoDate,
    created_at: isoDate,
  })
  .meta({ id: "AgentSession" });
export type AgentSessionOut = z.infer<typeof AgentSessionSchema>;

export const CreatedAgentSessionSchema = AgentSessionSchema.extend({
  ticket: z.string().describe("The session ticket (lk_ags_…): shown once, stored only as a hash."),
}).meta({ id: "CreatedAgentSession" });

const tag = "Agents";
const auth = ["invalid_api_key", "environment_mismatch", "rate_limited"] as const;
export const agentOperations = {
  create: defineOperation({
    method: "post",
    path: "/api/v1/agents",
    operationId: "createAgent",
    summary: "Create an agent: the upstream servers its sessions may connect, and its tool packs",
    tag,
    auth: "api_key",
    body: createAgentBodySchema,
    success: { status: 201, description: "The agent.", schema: AgentSchema },
    errors: [...auth, "validation_error"],
  }),
  list: defineOperation({
    method: "get",
    path: "/api/v1/agents",
    operationId: "listAgents",
    summary: "List agents, newest first",
    tag,
    auth: "api_key",
    query: paginationQuerySchema,
    success: { status: 200, description: "A page of agents.", schema: pageSchema(AgentSchema) },
    errors: [...auth, "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/agents/{id}",
    operationId: "getAgent",
    summary: "Get an agent",
    tag,
    auth: "api_key",
    params: agentParamsSchema,
    success: { status: 200, description: "The agent.", schema: AgentSchema },
    errors: [...auth, "not_found"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/agents/{id}",
    operationId: "updateAgent",
    summary: "Rename an agent or change its servers and tool packs (open sessions follow on their next call)",
    tag,
    auth: "api_key",
    params: agentParamsSchema,
    body: updateAgentBodySchema,
    success: { status: 200, description: "The agent.", schema: AgentSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/agents/{id}",
    operationId: "deleteAgent",
    summary: "Delete an agent and end its sessions",
    tag,
    auth: "api_key",
    params: agentParamsSchema,
    success: { status: 200, description: "Deleted.", schema: z.object({ id: z.string(), object: z.literal("agent"), deleted: z.literal(true) }) },
    errors: [...auth, "not_found"],
  }),
  createSession: defineOperation({
    method: "post",
    path: "/api/v1/agents/{id}/sessions",
    operationId: "createAgentSession",
    summary: "Open an agent session for a registered user: a ticket and the session's MCP URL",
    description: "No server is connected at first; connect the ones this run needs. The MCP URL serves the agent's tool packs and the connected servers, namespaced `{server_slug}__{tool}`.",
    tag,
    auth: "api_key",
    params: agentParamsSchema,
    body: createAgentSessionBodySchema,
    success: { status: 201, description: "The session, with its ticket (shown once).", schema: CreatedAgentSessionSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  getSession: defineOperation({
    method: "get",
    path: "/api/v1/agent-sessions/{id}",
    operationId: "getAgentSession",
    summary: "Get an agent session (never its ticket)",
    tag,
    auth: "api_key",
    params: agentSessionParamsSchema,
    success: { status: 200, description: "The session.", schema: AgentSessionSchema },
    errors: [...auth, "not_found"],
  }),
  endSession: defineOperation({
    method: "delete",
    path: "/api/v1/agent-sessions/{id}",
    operationId: "endAgentSession",
    summary: "End an agent session: its ticket stops working at once",
    tag,
    auth: "api_key",
    params: agentSessionParamsSchema,
    success: { status: 200, description: "The ended session.", schema: AgentSessionSchema },
    errors: [...auth, "not_found"],
  }),
  connectServer: defineOperation({
    method: "post",
    path: "/api/v1/agent-sessions/{id}/servers/{server_id}/connect",
    operationId: "connectAgentSessionServer",
    summary: "Connect one of the agent's servers to the session",
    description:
      "Only a server attached to the agent (403 otherwise). Takes effect on the session's next MCP request. Idempotent. Authorized by the API key, or by the session's own ticket (`Authorization: Bearer lk_ags_…`, the user's session connecting at runtime; another session's id is 403).",
    tag,
    auth: "api_key",
    params: agentSessionServerParamsSchema,
    success: { status: 200, description: "The session.", schema: AgentSessionSchema },
    errors: [...auth, "unauthorized", "not_found", "forbidden", "conflict"],
  }),
  disconnectServer: defineOperation({
    method: "post",
    path: "/api/v1/agent-sessions/{id}/servers/{server_id}/disconnect",
    operationId: "disconnectAgentSessionServer",
    summary: "Disconnect a server from the session",
    description: "Its tools leave the session's tools/list on the next request, and calls to them are refused. Idempotent. Authorized like connect: the API key, or the session's own ticket.",
    tag,
    auth: "api_key",
    params: agentSessionServerParamsSchema,
    success: { status: 200, description: "The session.", schema: AgentSessionSchema },
    errors: [...auth, "unauthorized", "not_found", "forbidden", "conflict"],
  }),
};
