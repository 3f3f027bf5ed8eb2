import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { serveMcp, type ResolvedMcp } from "@/lib/gateway/serve";
import { clientIp, requestIdFrom } from "@/lib/http/request";
import { errorResponse } from "@/lib/http/respond";
import { tooLargeResponse } from "@/lib/mcp/handler";
import { fromWebRequest, toWebResponse } from "@/lib/mcp/web-adapter";
import { getRuntime, type Runtime } from "@/lib/runtime";
import { inQueryScope } from "@/lib/metrics/registry";
import { mcpRequests } from "@/lib/gateway/metrics";
import { httpDuration, httpRequests } from "@/lib/metrics/app";
import { withSpan } from "@/lib/tracing";
import { withLogContext } from "@/lib/log";

/**
 * The App Router mount of the MCP core (dev server, serverless hosts). The production server
 * answers the same paths directly on Node's HTTP server (DESIGN §8).
 */
export function mcpRoute<P>(resolve: (rt: Runtime, req: Request, params: P, ctx: { requestId: string; ip: string | null }) => Promise<ResolvedMcp>) {
  return (req: Request, route: { params: Promise<P> }): Promise<Response> => {
    mcpRequests.inc({ mount: "app_router" });
    const started = performance.now();
    return inQueryScope("mcp", () => withSpan("mcp.request", { "http.request.method": req.method }, () => serve(req, route), { kind: "server", traceparent: req.headers.get("traceparent") })).then((res) => {
      httpRequests.inc({ route: "mcp", method: req.method, status: String(res.status) });
      httpDuration.observe((performance.now() - started) / 1000, { route: "mcp" });
      return res;
    });
  };

  function serve(req: Request, route: { params: Promise<P> }): Promise<Response> {
    const requestId = requestIdFrom(req);
    return withLogContext(requestId, () => serveIn(req, route, requestId));
  }

  async function serveIn(req: Request, route: { params: Promise<P> }, requestId: string): Promise<Response> {
    try {
      const rt = await getRuntime();
      const params = await route.params;
      const resolved = await withSpan("auth", undefined, () => resolve(rt, req, params, { requestId, ip: clientIp(req, rt.env.LATCHKEY_TRUST_PROXY_HOPS) }));
      const mcpReq = await fromWebRequest(req, rt.env.LATCHKEY_MAX_BODY_BYTES);
      if ("tooLarge" in mcpReq) return toWebResponse(tooLargeResponse());
      return toWebResponse(await serveMcp(rt, mcpReq, resolved, publicBaseUrl(rt, req.headers)));
    } catch (err) {
      return errorResponse(err, requestId);
    }
  }
}
