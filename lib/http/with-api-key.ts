import type * as z from "zod";
import type { Db } from "@/db/client";
import type { Environment } from "@/db/schema";
import { authenticateApiKey } from "@/lib/api-keys/authenticate";
import type { Actor } from "@/lib/audit/record";
import { AppError } from "@/lib/errors";
import { hitRateLimit } from "@/lib/rate-limit/fixed-window";
import { clientIp, parseJsonBody, parseQuery, parseWith, requestIdFrom } from "@/lib/http/request";
import { errorResponse, json } from "@/lib/http/respond";
import type { Operation } from "@/lib/openapi/operation";
import { getRuntime, type Runtime } from "@/lib/runtime";
import { withAlertContext } from "@/lib/alerts/context";
import { httpDuration, httpRequests } from "@/lib/metrics/app";
import { withSpan } from "@/lib/tracing";
import { withLogContext } from "@/lib/log";

export type ApiContext = {
  db: Db;
  rt: Runtime;
  requestId: string;
  ip: string | null;
  environment: Environment;
  apiKey: { id: string; name: string };
  actor: Actor;
};

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

type HandlerArgs<O extends Operation> = {
  req: Request;
  ctx: ApiContext;
  params: Out<O["params"]>;
  query: Out<O["query"]>;
  body: Out<O["body"]>;
};

/** Return this from a handler to answer with another success status than the operation's default (e.g. 200 for an idempotent create that found the object). */
export class WithStatus {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

type RouteContext = { params: Promise<Record<string, string | string[]>> };

/**
 * The wrapper of every API-key route: request id, authentication, rate limit, input parsing
 * from the operation's schemas, output shaped by its success schema (an allow-list: fields
 * not in it never leave), and the one mapping from errors to responses.
 */
export function withApiKey<O extends Operation>(op: O, handler: (args: HandlerArgs<O>) => Promise<unknown>) {
  return (req: Request, route?: RouteContext): Promise<Response> => {
    const started = performance.now();
    const requestId = requestIdFrom(req);
    return withSpan(`${op.method.toUpperCase()} ${op.path}`, { "http.route": op.path, "http.request.method": req.method }, async (span) => {
      const res = await withLogContext(requestId, () => serve(req, requestId, route));
      span.setAttribute("http.response.status_code", res.status);
      if (res.status >= 500) span.setError(`HTTP ${res.status}`);
      httpRequests.inc({ route: op.path, method: req.method, status: String(res.status) });
      httpDuration.observe((performance.now() - started) / 1000, { route: op.path });
      return res;
    }, { kind: "server", traceparent: req.headers.get("traceparent") });
  };

  async function serve(req: Request, requestId: string, route?: RouteContext): Promise<Response> {
    try {
      const rt = await getRuntime();
      const ip = clientIp(req, rt.env.LATCHKEY_TRUST_PROXY_HOPS);
      const principal = await withSpan("auth", undefined, () =>
        authenticateApiKey(rt.db, {
          authorization: req.headers.get("authorization"),
          environmentHeader: req.headers.get("latchkey-environment"),
          requestId,
          ip,
        }),
      );
      const limit = await hitRateLimit(rt.db, `api:${principal.environment.id}:${principal.apiKey.id}`, rt.env.LATCHKEY_API_RATE_LIMIT, 60);
      if (!limit.allowed) {
        throw new AppError({
          code: "rate_limited",
          message: `Too many requests for this API key (limit ${limit.limit} per minute).`,
          retryAfter: limit.retryAfter,
        });
      }
      const rawParams = route ? await route.params : {};
      const params = op.params ? parseWith(op.params, rawParams) : undefined;
      const query = op.query ? parseQuery(req, op.query) : undefined;
      const body = op.body ? await parseJsonBody(req, op.body, rt.env.LATCHKEY_MAX_BODY_BYTES) : undefined;
      const ctx: ApiContext = {
        db: rt.db,
        rt,
        requestId,
        ip,
        environment: principal.environment,
        apiKey: { id: principal.apiKey.id, name: principal.apiKey.name },
        actor: { type: "api_key", id: principal.apiKey.id },
      };
      let result: unknown;
      try {
        result = await withAlertContext({ environmentId: ctx.environment.id }, () => handler({ req, ctx, params, query, body } as HandlerArgs<O>));
      } finally {
        // This replica sees its own writes at once; others learn by notification (DESIGN §8).
        if (req.method !== "GET" && req.method !== "HEAD") rt.cache.invalidateEnvironment(principal.environment.id);
      }
      if (result instanceof Response) return result;
      const status = result instanceof WithStatus ? result.status : op.success.status;
      const payload = result instanceof WithStatus ? result.body : result;
      const shaped = op.success.schema ? op.success.schema.parse(payload) : payload;
      return json(shaped, {
        status,
        requestId,
        headers: { "x-ratelimit-limit": String(limit.limit), "x-ratelimit-remaining": String(limit.remaining) },
      });
    } catch (err) {
      return errorResponse(err, requestId);
    }
  }
}

/** For routes without an API key (health, OpenAPI): request id and error mapping only. */
export function withPublic(handler: (args: { req: Request; requestId: string }) => Promise<Response>) {
  return async (req: Request): Promise<Response> => {
    const requestId = requestIdFrom(req);
    try {
      const res = await withLogContext(requestId, () => handler({ req, requestId }));
      res.headers.set("x-request-id", requestId);
      return res;
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}
