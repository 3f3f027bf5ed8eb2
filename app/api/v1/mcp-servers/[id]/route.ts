// GET    /api/v1/mcp-servers/{id} – one server (never its secrets)
// PATCH  /api/v1/mcp-servers/{id} – name, slug, url, auth (a new url runs discovery again)
// DELETE /api/v1/mcp-servers/{id} – the server and its stored secrets
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { deleteMcpServer, getMcpServer, toMcpServerOut, updateMcpServer } from "@/lib/mcp-servers/service";
import { mcpServerOperations } from "@/lib/schemas/mcp-servers";

export const GET = withApiKey(mcpServerOperations.get, async ({ ctx, params }) => toMcpServerOut(await getMcpServer(ctx.db, ctx.environment.id, params.id)));

export const PATCH = withApiKey(mcpServerOperations.update, async ({ req, ctx, params, body }) => {
  const s = await updateMcpServer(ctx.rt, {
    environment: ctx.environment,
    id: params.id,
    patch: { name: body.name, slug: body.slug, url: body.url, auth: body.auth, rediscover: body.rediscover },
    redirectUri: `${publicBaseUrl(ctx.rt, req.headers)}/oauth/callback`,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return toMcpServerOut(s);
});

export const DELETE = withApiKey(mcpServerOperations.delete, async ({ ctx, params }) => {
  await deleteMcpServer(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
  return { id: params.id, object: "mcp_server", deleted: true };
});
