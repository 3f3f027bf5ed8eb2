// GET  /api/v1/mcp-servers – this environment's registered MCP servers
// POST /api/v1/mcp-servers – register one (discovery fills missing auth fields; DCR when client_id is omitted)
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withApiKey } from "@/lib/http/with-api-key";
import { createMcpServer, listMcpServers, toMcpServerOut } from "@/lib/mcp-servers/service";
import { createStdioServer } from "@/lib/mcp-servers/stdio-registration";
import { mcpServerOperations } from "@/lib/schemas/mcp-servers";

export const GET = withApiKey(mcpServerOperations.list, async ({ ctx, query }) => {
  const r = await listMcpServers(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor });
  return { data: r.data.map(toMcpServerOut), has_more: r.hasMore, next_cursor: r.nextCursor };
});

export const POST = withApiKey(mcpServerOperations.create, async ({ req, ctx, body }) => {
  if (body.transport === "stdio") {
    return toMcpServerOut(await createStdioServer(ctx.rt, { environment: ctx.environment, name: body.name, slug: body.slug, stdio: body.stdio!, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip }));
  }
  const s = await createMcpServer(ctx.rt, {
    environment: ctx.environment,
    name: body.name,
    slug: body.slug,
    url: body.url!,
    auth: body.auth,
    redirectUri: `${publicBaseUrl(ctx.rt, req.headers)}/oauth/callback`,
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return toMcpServerOut(s);
});
