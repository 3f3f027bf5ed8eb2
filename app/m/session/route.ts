// POST /m/session – the magic-link page trades the token from its URL fragment for a short,
// HttpOnly session cookie. Unknown, malformed, expired, revoked and completed tokens all get
// the same 401, so the answer says nothing about which one it was.
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { AppError, isAppError } from "@/lib/errors";
import { clientIp, readBodyText } from "@/lib/http/request";
import { json } from "@/lib/http/respond";
import { withPublic } from "@/lib/http/with-api-key";
import { linkExpired, openMagicLink } from "@/lib/magic-links/service";
import { magicTokenHash } from "@/lib/magic-links/token";
import { secureCookies, serializeMagicCookie } from "@/lib/magic-links/session-cookie";
import { hitRateLimit } from "@/lib/rate-limit/fixed-window";
import { getRuntime } from "@/lib/runtime";

const sameOrigin = (a: string, b: string) => URL.canParse(a) && URL.canParse(b) && new URL(a).origin === new URL(b).origin;

export const POST = withPublic(async ({ req, requestId }) => {
  const rt = await getRuntime();
  // Login CSRF: another site must not sign a visitor's browser into someone else's page.
  const origin = req.headers.get("origin");
  if (origin !== null && !sameOrigin(origin, publicBaseUrl(rt, req.headers))) throw new AppError({ code: "forbidden", message: "Cross-site request refused." });
  if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) throw new AppError({ code: "unsupported_media_type", message: "Send the body as application/json." });
  const ip = clientIp(req, rt.env.LATCHKEY_TRUST_PROXY_HOPS);
  const perIp = await hitRateLimit(rt.db, `magic-open:${ip ?? "direct"}`, 60, 60);
  if (!perIp.allowed) throw new AppError({ code: "rate_limited", message: "Too many attempts. Wait a minute and try again.", retryAfter: perIp.retryAfter });

  let token: unknown;
  try {
    token = (JSON.parse(await readBodyText(req, 4096)) as { token?: unknown } | null)?.token;
  } catch (err) {
    if (isAppError(err)) throw err;
    throw linkExpired();
  }
  const hash = magicTokenHash(token);
  if (hash) {
    const perToken = await hitRateLimit(rt.db, `magic-open-token:${hash.slice(0, 24)}`, 20, 300);
    if (!perToken.allowed) throw new AppError({ code: "rate_limited", message: "Too many attempts. Wait a minute and try again.", retryAfter: perToken.retryAfter });
  }
  const session = await openMagicLink(rt.db, { token, requestId, ip });
  const res = json({ ok: true, expires_at: session.expiresAt.toISOString() }, { requestId });
  res.headers.append("set-cookie", serializeMagicCookie(secureCookies(rt.env, req.headers), session.sessionToken, session.expiresAt));
  return res;
});
