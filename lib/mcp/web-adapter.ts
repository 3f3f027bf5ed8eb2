import type { McpHttpRequest, McpHttpResponse } from "@/lib/mcp/types";

/**
 * The Web `Request`/`Response` side of the MCP core, for App Router route handlers (dev
 * server, serverless hosts). The production server uses node-adapter.ts instead (DESIGN §8).
 */

export type TooLarge = { tooLarge: true };

/** Path and query of an absolute URL, without building a URL object. */
function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? url.indexOf("/") : url.indexOf("/", scheme + 3);
  if (start < 0) return "/";
  const hash = url.indexOf("#", start);
  return hash < 0 ? url.slice(start) : url.slice(start, hash);
}

/**
 * Reads a Web request with a hard body cap: a declared Content-Length over the cap is refused
 * before reading, and the stream is cancelled as soon as it passes the cap. The caller answers
 * `{ tooLarge: true }` with `tooLargeResponse()` (413). A body stream that fails (client gone
 * mid-upload) rejects.
 */
export async function fromWebRequest(req: Request, maxBytes: number): Promise<McpHttpRequest | TooLarge> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) return { tooLarge: true };
  // Null prototype: header names are client-chosen, and none may shadow an Object method.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  req.headers.forEach((value, name) => {
    headers[name] = value;
  });
  let body: string | null = null;
  if (req.body !== null) {
    const reader = req.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        return { tooLarge: true };
      }
      chunks.push(value);
    }
    if (total > 0) {
      body = chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, total).toString("utf8") : Buffer.concat(chunks, total).toString("utf8");
    }
  }
  return { method: req.method, path: pathOf(req.url), headers, body, signal: req.signal };
}

export function toWebResponse(r: McpHttpResponse): Response {
  // 202/204/405 carry no body, and Response refuses one on 204.
  return new Response(r.body.length === 0 ? null : r.body, { status: r.status, headers: r.headers });
}
