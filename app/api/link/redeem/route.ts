// POST /api/link/redeem – the hosted Link page trades the link token from its URL fragment for a session cookie
// (and, when embedded, for the same session as a bearer token: a cross-site frame gets no cookie)
import { json } from "@/lib/http/respond";
import { linkSessionCookie, readBody, withLinkPublic } from "@/lib/link/http";
import { LINK_REDEEM_LIMIT_PER_MINUTE, linkSessionView, redeemLinkToken } from "@/lib/link/session";
import { redeemLinkTokenBodySchema } from "@/lib/schemas/link";

export const dynamic = "force-dynamic";

export const POST = withLinkPublic({ bucket: "link_redeem", limitPerMinute: LINK_REDEEM_LIMIT_PER_MINUTE, sameOrigin: true }, async ({ req, ctx }) => {
  const body = await readBody(req, ctx, redeemLinkTokenBodySchema);
  const embedOrigin = body.embed_origin ?? null;
  const { session, secret } = await redeemLinkToken(ctx.rt, { token: body.link_token, cookieSecret: ctx.cookieSecret, embedOrigin, ip: ctx.ip, requestId: ctx.requestId });
  const view = await linkSessionView(ctx.rt, session);
  return json(embedOrigin && secret ? { ...view, session_token: secret } : view, { requestId: ctx.requestId, headers: secret ? { "set-cookie": linkSessionCookie(ctx, secret, session.expiresAt) } : {} });
});
