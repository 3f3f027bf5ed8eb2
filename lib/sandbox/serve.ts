import http from "node:http";
import type { AddressInfo } from "node:net";
import type { SandboxBackend, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

/** Turns a Node request into a SandboxRequest (JSON or form bodies, 1 MB cap). */
export async function readSandboxRequest(req: http.IncomingMessage, prefix = ""): Promise<SandboxRequest> {
  const url = new URL(req.url ?? "/", "http://sandbox.local");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) break;
    chunks.push(c as Buffer);
  }
  const raw = Buffer.concat(chunks).toString("utf8");
  const ctype = req.headers["content-type"] ?? "";
  let body: unknown;
  if (raw) {
    if (ctype.includes("application/x-www-form-urlencoded")) body = Object.fromEntries(new URLSearchParams(raw));
    else {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
  }
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  return { method: req.method ?? "GET", path: url.pathname.slice(prefix.length) || "/", query: url.searchParams, headers, body };
}

export function writeSandboxResponse(res: http.ServerResponse, out: SandboxResponse) {
  const headers: Record<string, string> = { ...(out.headers ?? {}) };
  let payload: string | undefined;
  if (out.body !== undefined && out.body !== null) {
    if (typeof out.body === "string") payload = out.body;
    else {
      payload = JSON.stringify(out.body);
      headers["content-type"] ??= "application/json; charset=utf-8";
    }
  }
  res.writeHead(out.status, headers);
  res.end(payload);
}

/** Serves one backend on 127.0.0.1 (a free port). Used by contract tests and local demos. */
export async function serveSandbox(backend: SandboxBackend): Promise<{ url: string; close(): Promise<void>; requests: SandboxRequest[] }> {
  const requests: SandboxRequest[] = [];
  const server = http.createServer(async (req, res) => {
    try {
      const r = await readSandboxRequest(req);
      requests.push(r);
      writeSandboxResponse(res, await backend.handle(r));
    } catch {
      writeSandboxResponse(res, { status: 500, body: { message: "sandbox failure" } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
