// POST /api/link/oauth/start – the provider URL for one OAuth connector (state bound to this session, PKCE S256)
import { readBody, withLinkSession } from "@/lib/link/http";
import { startOAuth } from "@/lib/link/oauth";
import { oauthStartBodySchema } from "@/lib/schemas/link";

export const dynamic = "force-dynamic";

export const POST = withLinkSession(async ({ req, ctx, session }) => {
  const body = await readBody(req, ctx, oauthStartBodySchema);
  return startOAuth(ctx.rt, { session, connector: body.connector, baseUrl: ctx.baseUrl });
});
