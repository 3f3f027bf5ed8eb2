import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError, isAppError } from "@/lib/errors";
import { serveMcp, resolveApiKeyRequest, resolveInstanceRequest, type ResolvedMcp } from "@/lib/gateway/serve";
import { log } from "@/lib/log";
import { tooLargeResponse } from "@/lib/mcp/handler";
import { readNodeRequest, writeNodeResponse } from "@/lib/mcp/node-adapter";
import { createId } from "@/lib/ids";
import type { Runtime } from "@/lib/runtime";

const INSTANCE = /^\/mcp\/i\/([^/?#]+)\/?(?:\?.*)?$/;
const PACK_USER = /^\/api\/v1\/tool-packs\/([^/?#]+)\/registered-users\/([^/?#]+)\/mcp\/?(?:\?.*)?$/;

/** Whether the production server answers this path itself instead of handing it to Next. */
export function isMcpPath(url: string | undefined): boolean {
  return Boolean(url && (url.startsWith("/mcp/i/") || (url.startsWith("/api/v1/tool-packs/") && PACK_USER.test(url))));
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

function sendError(res: ServerResponse, err: unknown, requestId: string) {
  let e: AppError;
  if (isAppError(err)) e = err;
  else {
    log.error("mcp request failed", { requestId, err });
    e = new AppError({ code: "internal_error", message: "Something went wrong on our side. Quote the request id if you contact support." });
  }
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-request-id": requestId };
  if (e.status === 401) headers["www-authenticate"] = `Bearer realm="latchkey", error="invalid_token"`;
  if (e.retryAfter !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(e.retryAfter)));
  res.writeHead(e.status, headers);
  res.end(JSON.stringify(e.toBody(requestId)));
}

/**
 * The production server's direct mount of the MCP core: no Next routing, no Web Request
 * conversion (DESIGN §8). Same resolution and the same core as the App Router routes.
 */
export async function handleNodeMcp(rt: Runtime, req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<void> {
  const incoming = header(req, "x-request-id");
  const requestId = incoming && /^[A-Za-z0-9._:-]{8,100}$/.test(incoming) ? incoming : createId("request");
  try {
    const url = req.url ?? "/";
    let resolved: ResolvedMcp;
    const inst = INSTANCE.exec(url);
    if (inst) {
      resolved = await resolveInstanceRequest(rt, decodeURIComponent(inst[1]!));
    } else {
      const m = PACK_USER.exec(url)!;
      resolved = await resolveApiKeyRequest(rt, {
        authorization: header(req, "authorization"),
        environmentHeader: header(req, "latchkey-environment"),
        toolPackId: decodeURIComponent(m[1]!),
        registeredUserId: decodeURIComponent(m[2]!),
        requestId,
        ip: req.socket.remoteAddress ?? null,
      });
    }
    const mcpReq = await readNodeRequest(req, rt.env.LATCHKEY_MAX_BODY_BYTES, res);
    writeNodeResponse(res, "tooLarge" in mcpReq ? tooLargeResponse() : await serveMcp(rt, mcpReq, resolved, baseUrl));
  } catch (err) {
    if (!res.headersSent) sendError(res, err, requestId);
    else res.end();
  }
}
