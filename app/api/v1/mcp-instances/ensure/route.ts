// POST /api/v1/mcp-instances/ensure – the MCP URL of (tool pack, user); idempotent
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { notFound } from "@/lib/errors";
import { toInstanceOut } from "@/lib/mcp-instances/present";
import { ensureInstance } from "@/lib/mcp-instances/service";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import { mcpInstanceOperations } from "@/lib/schemas/mcp-instances";
import { findToolPackBySlugOrName, getToolPack } from "@/lib/tool-packs/service";

export const POST = withApiKey(mcpInstanceOperations.ensure, async ({ req, ctx, body }) => {
  const pack = body.tool_pack_id ? await getToolPack(ctx.db, ctx.environment.id, body.tool_pack_id) : await findToolPackBySlugOrName(ctx.db, ctx.environment.id, body.config_name!);
  if (!pack) throw notFound("Tool pack");
  const caller = { actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip };
  const { user } = await ensureRegisteredUser(ctx.db, { environment: ctx.environment, originUserId: body.user_identifier, ...caller });
  const { instance } = await ensureInstance(ctx.rt, { environment: ctx.environment, toolPackId: pack.id, registeredUserId: user.id, ...caller });
  return toInstanceOut(ctx.rt, ctx.environment, instance, publicBaseUrl(ctx.rt, req.headers));
});
