// POST /api/v1/link-tokens – a 30-minute single-use token for the hosted Link page
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { AppError } from "@/lib/errors";
import { getConnector } from "@/lib/connectors/catalog";
import { listEnvironmentMcpServers } from "@/db/queries/mcp-servers";
import { isPerUserServer, isServerKey, isSharedCodeServer } from "@/lib/mcp-servers/oauth";
import { createLinkToken } from "@/lib/link-tokens/service";
import { getRegisteredUser } from "@/lib/registered-users/service";
import { mcpInstanceOperations } from "@/lib/schemas/mcp-instances";

export const POST = withApiKey(mcpInstanceOperations.createLinkToken, async ({ req, ctx, body }) => {
  const user = await getRegisteredUser(ctx.db, ctx.environment.id, body.registered_user_id);
  // A registered MCP server with authorization code is named by its id (srv_…); naming a shared one is how an operator connects it.
  const servers = (body.connectors ?? []).some(isServerKey) ? new Set((await listEnvironmentMcpServers(ctx.db, ctx.environment.id)).filter((s) => isPerUserServer(s) || isSharedCodeServer(s)).map((s) => s.id)) : new Set<string>();
  const unknown = (body.connectors ?? []).filter((c) => !getConnector(c) && !servers.has(c));
  if (unknown.length) throw new AppError({ code: "validation_error", message: "Unknown connector(s).", issues: unknown.map((c) => ({ path: "connectors", message: `unknown connector "${c}"` })) });
  const t = await createLinkToken(ctx.db, {
    environment: ctx.environment,
    registeredUserId: user.id,
    connectors: body.connectors ?? null,
    redirectUrl: body.redirect_url ?? null,
    baseUrl: publicBaseUrl(ctx.rt, req.headers),
    actor: ctx.actor,
    requestId: ctx.requestId,
  });
  return new WithStatus(201, { link_token: t.link_token, url: t.url, expires_at: t.expires_at });
});
