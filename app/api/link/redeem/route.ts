// POST /api/link/redeem – the hosted Link page trades the link token from its URL fragment for a session cookie
import { json } from "@/lib/http/respond";
import { linkSessionCookie, readBody, withLinkPublic } from "@/lib/link/http";
import { LINK_REDEEM_LIMIT_PER_MINUTE, linkSessionView, redeemLinkToken } from "@/lib/link/session";
import { redeemLinkTokenBodySchema } from "@/lib/schemas/link";

export const dynamic = "force-dynamic";

export const POST = withLinkPublic({ bucket: "link_redeem", limitPerMinute: LINK_REDEEM_LIMIT_PER_MINUTE, sameOrigin: true }, async ({ req, ctx }) => {
  const body = await readBody(req, ctx, redeemLinkTokenBodySchema);
  const { session, secret } = await redeemLinkToken(ctx.rt, { token: body.link_token, cookieSecret: ctx.cookieSecret, ip: ctx.ip, requestId: ctx.requestId });
  const view = await linkSessionView(ctx.rt, session);
  return json(view, { requestId: ctx.requestId, headers: secret ? { "set-cookie": linkSessionCookie(ctx, secret, session.expiresAt) } : {} });
});
