import type * as z from "zod";
import type { LinkSession } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { clientIp, parseJsonBody, requestIdFrom } from "@/lib/http/request";
import { errorResponse, json } from "@/lib/http/respond";
import { linkCookieSecure, readLinkBearer, readLinkCookie, serializeLinkCookie } from "@/lib/link/cookie";
import { requireLinkSession } from "@/lib/link/session";
import { hitRateLimit } from "@/lib/rate-limit/fixed-window";
import { getRuntime, type Runtime } from "@/lib/runtime";

export type LinkRequestContext = {
  rt: Runtime;
  requestId: string;
  ip: string | null;
  baseUrl: string;
  /** The Link session secret: from `Authorization: Bearer` (an embedded page) or else the cookie. */
  cookieSecret: string | null;
};

async function contextOf(req: Request, requestId: string): Promise<LinkRequestContext> {
  const rt = await getRuntime();
  return {
    rt,
    requestId,
    ip: clientIp(req, rt.env.LATCHKEY_TRUST_PROXY_HOPS),
    baseUrl: publicBaseUrl(rt, req.headers),
    cookieSecret: readLinkBearer(req.headers.get("authorization")) ?? readLinkCookie(req.headers.get("cookie")),
  };
}

/**
 * The Link page's own calls come from Latchkey's origin. A browser always says where a POST
 * comes from (Origin, Sec-Fetch-Site); a cross-site one is refused even though the SameSite
 * cookie would not be sent with it anyway.
 */
function assertSameOrigin(req: Request, baseUrl: string) {
  const origin = req.headers.get("origin");
  const site = req.headers.get("sec-fetch-site");
  if ((origin && origin !== new URL(baseUrl).origin) || (site && site !== "same-origin" && site !== "none")) {
    throw new AppError({ code: "forbidden", message: "Cross-site requests are not accepted here." });
  }
}

export function linkSessionCookie(ctx: LinkRequestContext, secret: string, expiresAt: Date): string {
  return serializeLinkCookie(secret, { secure: linkCookieSecure(ctx.rt.env, ctx.baseUrl), maxAgeSeconds: (expiresAt.getTime() - Date.now()) / 1000 });
}

export const readBody = <S extends z.ZodType>(req: Request, ctx: LinkRequestContext, schema: S) => parseJsonBody(req, schema, ctx.rt.env.LATCHKEY_MAX_BODY_BYTES);

/**
 * Routes the Link page calls with its session cookie: the session is checked first (401),
 * then the origin of state-changing calls (403), then the handler. Changes reach this
 * replica's MCP cache at once (DESIGN §8).
 */
export function withLinkSession(handler: (args: { req: Request; ctx: LinkRequestContext; session: LinkSession }) => Promise<unknown>) {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdFrom(req);
    try {
      const ctx = await contextOf(req, requestId);
      const session = await requireLinkSession(ctx.rt, ctx.cookieSecret);
      const mutating = req.method !== "GET" && req.method !== "HEAD";
      if (mutating) assertSameOrigin(req, ctx.baseUrl);
      try {
        const out = await handler({ req, ctx, session });
        return out instanceof Response ? out : json(out, { requestId });
      } finally {
        if (mutating) ctx.rt.cache.invalidateEnvironment(session.environmentId);
      }
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}

/**
 * Routes without a session (redemption, the OAuth callback): a per-address rate limit in the
 * database (so it holds across replicas), then the handler.
 */
export function withLinkPublic(opts: { bucket: string; limitPerMinute: number; sameOrigin: boolean }, handler: (args: { req: Request; ctx: LinkRequestContext }) => Promise<Response>) {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdFrom(req);
    try {
      const ctx = await contextOf(req, requestId);
      const limit = await hitRateLimit(ctx.rt.db, `${opts.bucket}:${ctx.ip ?? "unknown"}`, opts.limitPerMinute, 60);
      if (!limit.allowed) throw new AppError({ code: "rate_limited", message: "Too many attempts from this network. Wait a minute and try again.", retryAfter: limit.retryAfter });
      if (opts.sameOrigin) assertSameOrigin(req, ctx.baseUrl);
      const res = await handler({ req, ctx });
      res.headers.set("x-request-id", requestId);
      return res;
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}
