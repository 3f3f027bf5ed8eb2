import type { LinkRequestContext } from "@/lib/link/http";
import { completeOAuth, type CallbackOutcome } from "@/lib/link/oauth";
import { log } from "@/lib/log";
import { oauthCallbackQuerySchema } from "@/lib/schemas/link";

/**
 * Runs the callback checks and sends the browser back to the Link page with the outcome as a
 * closed code in the query (the page drops it from the address bar at once). Nothing the
 * provider wrote is echoed.
 */
export async function oauthCallbackRedirect(req: Request, ctx: LinkRequestContext): Promise<Response> {
  const params = new URL(req.url).searchParams;
  const parsed = oauthCallbackQuerySchema.safeParse({
    state: params.get("state") ?? undefined,
    code: params.get("code") ?? undefined,
    iss: params.get("iss") ?? undefined,
    error: params.get("error") ?? undefined,
  });
  let outcome: CallbackOutcome;
  if (!parsed.success) {
    outcome = { connector: null, error: "invalid_state" };
  } else {
    try {
      outcome = await completeOAuth(ctx.rt, { cookieSecret: ctx.cookieSecret, query: parsed.data, ip: ctx.ip, requestId: ctx.requestId });
    } catch (err) {
      log.error("oauth callback failed", { requestId: ctx.requestId, err });
      outcome = { connector: null, error: "exchange_failed" };
    }
  }
  // This replica's MCP cache sees the new credential at once; others by notification.
  if (outcome.environmentId) ctx.rt.cache.invalidateEnvironment(outcome.environmentId);
  const target = new URL("/link", ctx.baseUrl);
  if (outcome.error) {
    target.searchParams.set("error", outcome.error);
    if (outcome.connector) target.searchParams.set("connector", outcome.connector);
  } else if (outcome.connector) {
    target.searchParams.set("connected", outcome.connector);
  }
  return new Response(null, { status: 303, headers: { location: target.toString(), "cache-control": "no-store", "referrer-policy": "no-referrer" } });
}
