import { findSessionByTicket, sessionStatus, setSessionServer, toAgentSessionOut } from "@/lib/agents/service";
import { AppError } from "@/lib/errors";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { clientIp, parseWith, requestIdFrom } from "@/lib/http/request";
import { errorResponse, json } from "@/lib/http/respond";
import { withApiKey } from "@/lib/http/with-api-key";
import { hitRateLimit } from "@/lib/rate-limit/fixed-window";
import { getRuntime } from "@/lib/runtime";
import type { agentOperations } from "@/lib/schemas/agents";

type Op = (typeof agentOperations)["connectServer"] | (typeof agentOperations)["disconnectServer"];
type RouteContext = { params: Promise<Record<string, string | string[]>> };

const TICKET_AUTH = /^Bearer\s+lk_ags_/;

/**
 * Connect / disconnect of one of the agent's servers. Your backend calls it with the API key
 * (control plane); the user's own session may call it with its ticket (runtime plane, Wacht's
 * "connect from the user session"), and then only for that session: another session's id is 403.
 */
export function sessionServerRoute(op: Op, connected: boolean) {
  const withKey = withApiKey(op, async ({ req, ctx, params }) => {
    const r = await setSessionServer(ctx.db, { environment: ctx.environment, id: params.id, serverId: params.server_id, connected, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip });
    return toAgentSessionOut(r.session, r.agent, publicBaseUrl(ctx.rt, req.headers));
  });

  return async (req: Request, route: RouteContext): Promise<Response> => {
    const authorization = req.headers.get("authorization") ?? "";
    if (!TICKET_AUTH.test(authorization)) return withKey(req, route);
    const requestId = requestIdFrom(req);
    try {
      const rt = await getRuntime();
      const ticket = authorization.replace(TICKET_AUTH, "lk_ags_").trim();
      const found = await findSessionByTicket(rt.db, ticket);
      if (!found || sessionStatus(found.session) !== "active") throw new AppError({ code: "unauthorized", message: "The session ticket is missing, malformed, expired, ended or unknown." });
      const params = parseWith(op.params, await route.params);
      if (params.id !== found.session.id) throw new AppError({ code: "forbidden", message: "This ticket belongs to another agent session." });
      const limit = await hitRateLimit(rt.db, `api:${found.environment.id}:ticket:${found.session.id}`, rt.env.LATCHKEY_API_RATE_LIMIT, 60);
      if (!limit.allowed) throw new AppError({ code: "rate_limited", message: `Too many requests for this session (limit ${limit.limit} per minute).`, retryAfter: limit.retryAfter });
      try {
        const r = await setSessionServer(rt.db, {
          environment: found.environment,
          id: found.session.id,
          serverId: params.server_id,
          connected,
          actor: { type: "end_user", id: found.session.registeredUserId },
          requestId,
          ip: clientIp(req, rt.env.LATCHKEY_TRUST_PROXY_HOPS),
        });
        return json(op.success.schema.parse(toAgentSessionOut(r.session, r.agent, publicBaseUrl(rt, req.headers))), { status: op.success.status, requestId });
      } finally {
        rt.cache.invalidateEnvironment(found.environment.id);
      }
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}
