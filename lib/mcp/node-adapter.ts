import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpHttpRequest, McpHttpResponse } from "@/lib/mcp/types";

/**
 * Node's `IncomingMessage`/`ServerResponse` side of the MCP core: the production server answers
 * the MCP paths with this directly on Node's HTTP server, skipping Next (DESIGN §8).
 */

export type TooLarge = { tooLarge: true };

function copyHeaders(raw: IncomingMessage["headers"]): Record<string, string | undefined> {
  // Null prototype: header names are client-chosen, and none may shadow an Object method.
  const out: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const name in raw) {
    const v = raw[name];
    out[name] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/**
 * Reads a Node request with a hard body cap: a declared Content-Length over the cap is refused
 * before reading, and reading stops as soon as the stream passes the cap. The caller answers
 * `{ tooLarge: true }` with `tooLargeResponse()` (413); writeNodeResponse then closes the
 * connection, so the unread rest of the upload is dropped rather than drained. Pass `res` to get
 * a `signal` that aborts when the client disconnects before the answer is written. A client
 * that disconnects mid-upload makes this reject.
 */
export function readNodeRequest(req: IncomingMessage, maxBytes: number, res?: ServerResponse): Promise<McpHttpRequest | TooLarge> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve({ tooLarge: true });

  // Creating an AbortSignal costs microseconds (EventTarget setup) and most requests never
  // look at it, so the signal is made on first use and is already aborted if the client left.
  let signalGetter: (() => AbortSignal) | undefined;
  if (res !== undefined) {
    let controller: AbortController | undefined;
    let gone = false;
    res.once("close", () => {
      if (res.writableFinished) return;
      gone = true;
      controller?.abort();
    });
    signalGetter = () => {
      if (controller === undefined) {
        controller = new AbortController();
        if (gone) controller.abort();
      }
      return controller.signal;
    };
  }
  const build = (body: string | null): McpHttpRequest => {
    const out: McpHttpRequest = { method: req.method ?? "GET", path: req.url ?? "/", headers: copyHeaders(req.headers), body };
    if (signalGetter !== undefined) Object.defineProperty(out, "signal", { get: signalGetter, enumerable: true });
    return out;
  };
  if (req.readableEnded) return Promise.resolve(build(null));

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        cleanup();
        req.pause();
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (total === 0) resolve(build(null));
      else resolve(build(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks, total).toString("utf8")));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error("The client closed the connection before the request body was complete."));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/** Writes a core response. Nothing is written to a response that is already gone or sent. */
export function writeNodeResponse(res: ServerResponse, r: McpHttpResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...r.headers };
  // writeHead serializes the head at once, so Node cannot add the length itself; a known
  // length keeps keep-alive connections out of chunked encoding. 204 must not carry one.
  if (r.status !== 204) headers["content-length"] = String(Buffer.byteLength(r.body));
  // After a 413 the rest of the upload is still on the wire; closing beats reading it.
  if (r.status === 413) headers.connection = "close";
  res.writeHead(r.status, headers);
  if (r.body.length === 0) res.end();
  else res.end(r.body);
}
