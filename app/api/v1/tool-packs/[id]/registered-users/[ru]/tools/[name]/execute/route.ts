// POST /api/v1/tool-packs/{tp}/registered-users/{ru}/tools/{name}/execute – REST alternative to MCP tools/call
import { findRegisteredUser } from "@/db/queries/registered-users";
import { AppError, notFound } from "@/lib/errors";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { packBackend } from "@/lib/gateway/pack-backend";
import { withApiKey } from "@/lib/http/with-api-key";
import { withUpstreamServers } from "@/lib/mcp-servers/backend";
import { McpHttpError } from "@/lib/mcp/types";
import { withSecurityGateway } from "@/lib/security/enforce";
import { toolCallOperations } from "@/lib/schemas/tool-calls";
import { getToolPack } from "@/lib/tool-packs/service";

export const POST = withApiKey(toolCallOperations.execute, async ({ req, ctx, params, body }) => {
  const pack = await getToolPack(ctx.db, ctx.environment.id, params.id);
  const user = await findRegisteredUser(ctx.db, ctx.environment.id, params.ru);
  if (!user) throw notFound("Registered user");
  const inner = withUpstreamServers(ctx.rt, packBackend(ctx.rt, { environment: ctx.environment, pack, registeredUser: user, baseUrl: publicBaseUrl(ctx.rt, req.headers), actor: ctx.actor }), {
    environment: ctx.environment,
    pack,
    registeredUserId: user.id,
    actor: ctx.actor,
    baseUrl: publicBaseUrl(ctx.rt, req.headers),
  });
  const backend = withSecurityGateway(ctx.rt, inner, { environment: ctx.environment, pack, registeredUserId: user.id, actor: ctx.actor });
  try {
    const r = await backend.callTool(params.name, body.arguments, { signal: req.signal, requestId: ctx.requestId });
    return { object: "tool_result", tool: params.name, is_error: Boolean(r.isError), result: r.structuredContent ?? {}, text: r.content.map((c) => c.text).join("\n") };
  } catch (err) {
    if (err instanceof McpHttpError && err.status === 403) throw new AppError({ code: "unauthorized_tool", message: err.message });
    throw err;
  }
});
