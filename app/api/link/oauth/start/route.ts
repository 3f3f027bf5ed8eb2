// POST /api/link/oauth/start – the provider URL for one OAuth connector (state bound to this session, PKCE S256)
import { json } from "@/lib/http/respond";
import { linkSessionCookie, readBody, withLinkSession } from "@/lib/link/http";
import { startOAuth } from "@/lib/link/oauth";
import { oauthStartBodySchema } from "@/lib/schemas/link";

export const dynamic = "force-dynamic";

export const POST = withLinkSession(async ({ req, ctx, session }) => {
  const body = await readBody(req, ctx, oauthStartBodySchema);
  const out = await startOAuth(ctx.rt, { session, connector: body.connector, baseUrl: ctx.baseUrl, sandbox: body.sandbox });
  if (!body.bind_cookie || !ctx.cookieSecret) return out;
  return json(out, { requestId: ctx.requestId, headers: { "set-cookie": linkSessionCookie(ctx, ctx.cookieSecret, session.expiresAt) } });
});
