import type { IncomingMessage, ServerResponse } from "node:http";
import { serveMcp, resolveApiKeyRequest, resolveInstanceRequest, type ResolvedMcp } from "@/lib/gateway/serve";
import { resolveGatewayRequest } from "@/lib/gateway-tokens/resolve";
import { resolveAgentSessionRequest } from "@/lib/agents/resolve";
import { tooLargeResponse } from "@/lib/mcp/handler";
import { readNodeRequest, writeNodeResponse } from "@/lib/mcp/node-adapter";
import { requestIdFromHeader } from "@/lib/http/request";
import { errorParts } from "@/lib/http/respond";
import { AppError } from "@/lib/errors";
import type { Runtime } from "@/lib/runtime";
import { inQueryScope } from "@/lib/metrics/registry";
import { mcpRequests } from "@/lib/gateway/metrics";
import { httpDuration, httpRequests } from "@/lib/metrics/app";
import { withSpan } from "@/lib/tracing";
import { withLogContext } from "@/lib/log";

const INSTANCE = /^\/mcp\/i\/([^/?#]+)\/?(?:\?.*)?$/;
/** MCP URL 4: `/mcp/sessions/{agent_session_id}` with the session ticket. */
const SESSION = /^\/mcp\/sessions\/([^/?#]+)\/?(?:\?.*)?$/;
const PACK_USER = /^\/api\/v1\/tool-packs\/([^/?#]+)\/registered-users\/([^/?#]+)\/mcp\/?(?:\?.*)?$/;
/** `/mcp/{tool_pack_slug}`; `/mcp/i/…` is the instance URL and matched first. */
const GATEWAY = /^\/mcp\/([^/?#]+)\/?(?:\?.*)?$/;

/** Whether the production server answers this path itself instead of handing it to Next. */
export function isMcpPath(url: string | undefined): boolean {
  // Exact shapes only: a longer path under /mcp/ is no MCP URL (Next answers it with 404).
  return Boolean(url && ((url.startsWith("/mcp/i/") && INSTANCE.test(url)) || (url.startsWith("/mcp/sessions/") && SESSION.test(url)) || (url.startsWith("/api/v1/tool-packs/") && PACK_USER.test(url)) || (url.startsWith("/mcp/") && !url.startsWith("/mcp/i/") && GATEWAY.test(url))));
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/**
 * The production server's direct mount of the MCP core: no Next routing, no Web Request
 * conversion (DESIGN §8). Same resolution and the same core as the App Router routes.
 */
export function handleNodeMcp(rt: Runtime, req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<void> {
  mcpRequests.inc({ mount: "node" });
  const started = performance.now();
  const done = inQueryScope("mcp", () => withSpan("mcp.request", { "http.request.method": req.method }, () => handle(rt, req, res, baseUrl), { kind: "server", traceparent: header(req, "traceparent") }));
  // handle() never rejects: it answers every error itself.
  return done.then(() => {
    httpRequests.inc({ route: "mcp", method: req.method ?? "GET", status: String(res.statusCode) });
    httpDuration.observe((performance.now() - started) / 1000, { route: "mcp" });
  });
}

function handle(rt: Runtime, req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<void> {
  const requestId = requestIdFromHeader(header(req, "x-request-id"));
  return withLogContext(requestId, () => handleIn(rt, req, res, baseUrl, requestId));
}

async function handleIn(rt: Runtime, req: IncomingMessage, res: ServerResponse, baseUrl: string, requestId: string): Promise<void> {
  try {
    const url = req.url ?? "/";
    const resolved: ResolvedMcp = await withSpan("auth", undefined, () => resolve(rt, req, url, requestId));
    const mcpReq = await readNodeRequest(req, rt.env.LATCHKEY_MAX_BODY_BYTES, res);
    writeNodeResponse(res, "tooLarge" in mcpReq ? tooLargeResponse() : await serveMcp(rt, mcpReq, resolved, baseUrl));
  } catch (err) {
    if (res.headersSent) return void res.end();
    const r = errorParts(err, requestId);
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  }
}

async function resolve(rt: Runtime, req: IncomingMessage, url: string, requestId: string): Promise<ResolvedMcp> {
  let resolved: ResolvedMcp;
  const inst = INSTANCE.exec(url);
  const session = inst ? null : SESSION.exec(url);
  const gateway = inst || session ? null : GATEWAY.exec(url);
  if (session) {
    resolved = await resolveAgentSessionRequest(rt, { authorization: header(req, "authorization"), sessionId: decodeURIComponent(session[1]!) });
  } else if (inst) {
    resolved = await resolveInstanceRequest(rt, decodeURIComponent(inst[1]!));
  } else if (gateway) {
    resolved = await resolveGatewayRequest(rt, {
      authorization: header(req, "authorization"),
      environmentHeader: header(req, "latchkey-environment"),
      slug: decodeURIComponent(gateway[1]!),
      requestId,
      ip: req.socket.remoteAddress ?? null,
    });
  } else {
    const m = PACK_USER.exec(url);
    // `/mcp/i/a/b` and the like: isMcpPath's prefix test let it in, but nothing here serves it.
    if (!m) throw new AppError({ code: "not_found", message: "Not found." });
    resolved = await resolveApiKeyRequest(rt, {
      authorization: header(req, "authorization"),
      environmentHeader: header(req, "latchkey-environment"),
      toolPackId: decodeURIComponent(m[1]!),
      registeredUserId: decodeURIComponent(m[2]!),
      requestId,
      ip: req.socket.remoteAddress ?? null,
    });
  }
  return resolved;
}
