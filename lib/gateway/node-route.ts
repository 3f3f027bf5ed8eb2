import type { IncomingMessage, ServerResponse } from "node:http";
import { serveMcp, resolveApiKeyRequest, resolveInstanceRequest, type ResolvedMcp } from "@/lib/gateway/serve";
import { tooLargeResponse } from "@/lib/mcp/handler";
import { readNodeRequest, writeNodeResponse } from "@/lib/mcp/node-adapter";
import { requestIdFromHeader } from "@/lib/http/request";
import { errorParts } from "@/lib/http/respond";
import type { Runtime } from "@/lib/runtime";

const INSTANCE = /^\/mcp\/i\/([^/?#]+)\/?(?:\?.*)?$/;
const PACK_USER = /^\/api\/v1\/tool-packs\/([^/?#]+)\/registered-users\/([^/?#]+)\/mcp\/?(?:\?.*)?$/;

/** Whether the production server answers this path itself instead of handing it to Next. */
export function isMcpPath(url: string | undefined): boolean {
  // Exact shapes only: a longer path under /mcp/i/ is no MCP URL (Next answers it with 404).
  return Boolean(url && ((url.startsWith("/mcp/i/") && INSTANCE.test(url)) || (url.startsWith("/api/v1/tool-packs/") && PACK_USER.test(url))));
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

/**
 * The production server's direct mount of the MCP core: no Next routing, no Web Request
 * conversion (DESIGN §8). Same resolution and the same core as the App Router routes.
 */
export async function handleNodeMcp(rt: Runtime, req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<void> {
  const requestId = requestIdFromHeader(header(req, "x-request-id"));
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
    if (res.headersSent) return void res.end();
    const r = errorParts(err, requestId);
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  }
}
