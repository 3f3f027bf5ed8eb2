// POST /api/v1/magic-links – a link for an end user (optionally emailed); GET – list them
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { WithStatus, withApiKey } from "@/lib/http/with-api-key";
import { createMagicLink, listMagicLinks } from "@/lib/magic-links/service";
import { magicLinkOperations } from "@/lib/schemas/magic-links";

export const POST = withApiKey(magicLinkOperations.create, async ({ req, ctx, body }) => {
  const r = await createMagicLink(ctx.rt, {
    environment: ctx.environment,
    registeredUserId: body.registered_user_id,
    connectors: body.connectors ?? null,
    expiresInSeconds: body.expires_in,
    sendEmail: body.send_email,
    baseUrl: publicBaseUrl(ctx.rt, req.headers),
    actor: ctx.actor,
    requestId: ctx.requestId,
    ip: ctx.ip,
  });
  return new WithStatus(201, { ...r.link, url: r.url, email: r.email });
});

export const GET = withApiKey(magicLinkOperations.list, async ({ ctx, query }) =>
  listMagicLinks(ctx.db, { environmentId: ctx.environment.id, limit: query.limit, cursor: query.cursor, registeredUserId: query.registered_user_id }),
);
