import http from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleMcp, tooLargeResponse } from "@/lib/mcp/handler";
import { readNodeRequest, writeNodeResponse } from "@/lib/mcp/node-adapter";
import { testEndpoint } from "@/lib/mcp/test-backend";
import type { McpHttpRequest } from "@/lib/mcp/types";

const MAX = 2000;
const ep = testEndpoint();
let server: http.Server;
let base: string;
/** What the last /echo request looked like once adapted, and whether its signal fired. */
let lastAdapted: McpHttpRequest | null = null;
let disconnected: Promise<boolean> = Promise.resolve(false);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    void (async () => {
      const r = await readNodeRequest(req, MAX, res).catch(() => null);
      if (r === null) return;
      if ("tooLarge" in r) return writeNodeResponse(res, tooLargeResponse());
      if (r.path.startsWith("/echo")) {
        lastAdapted = r;
        return writeNodeResponse(res, { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ ...r, signal: undefined }) });
      }
      if (r.path === "/hang") {
        disconnected = new Promise((resolve) => {
          r.signal!.addEventListener("abort", () => resolve(true), { once: true });
          setTimeout(() => resolve(false), 2000);
        });
        return;
      }
      writeNodeResponse(res, await handleMcp(r, ep));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function rawRequest(path: string, opts: { headers?: Record<string, string | number | string[]>; chunks?: Buffer[] }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: "POST", headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

describe("readNodeRequest / writeNodeResponse on a real node:http server", () => {
  it("adapts method, path, headers (lower-cased, repeated ones joined) and body", async () => {
    const res = await rawRequest("/echo?q=1", {
      headers: { "Content-Type": "application/json", "X-Multi": ["a", "b"], "Mcp-Session-Id": "sid" },
      chunks: [Buffer.from('{"text":"'), Buffer.from("héllo"), Buffer.from('"}')],
    });
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(res.body)));
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: "POST", path: "/echo?q=1", body: '{"text":"héllo"}' });
    expect(seen.headers["mcp-session-id"]).toBe("sid");
    expect(seen.headers["x-multi"]).toBe("a, b");
    expect(Object.getPrototypeOf(lastAdapted!.headers)).toBeNull();
  });

  it("refuses a declared Content-Length over the cap with 413 and closes the connection", async () => {
    const res = await rawRequest("/echo", { headers: { "content-length": String(MAX + 1) }, chunks: [Buffer.alloc(MAX + 1, 97)] });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    expect(JSON.parse(res.body).error.code).toBe(-32600);
  });

  it("stops a chunked body that passes the cap while streaming", async () => {
    const res = await rawRequest("/echo", { headers: { "transfer-encoding": "chunked" }, chunks: [Buffer.alloc(1500, 97), Buffer.alloc(1500, 97)] });
    expect(res.status).toBe(413);
  });

  it("accepts a body of exactly the cap; an empty body is null", async () => {
    const exact = await rawRequest("/echo", { chunks: [Buffer.alloc(MAX, 97)] });
    expect(JSON.parse(exact.body).body).toHaveLength(MAX);
    const none = await rawRequest("/echo", {});
    expect(JSON.parse(none.body).body).toBeNull();
  });

  it("aborts the request signal when the client disconnects before the answer", async () => {
    const controller = new AbortController();
    const pending = fetch(`${base}/hang`, { method: "POST", body: "{}", signal: controller.signal }).catch(() => null);
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await pending;
    expect(await disconnected).toBe(true);
  });

  it("serves the real v1 SDK client end to end over HTTP", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/i/test`));
    const client = new Client({ name: "vitest-node", version: "1.0.0" });
    await client.connect(transport);
    expect((await client.listTools()).tools.length).toBe(3);
    expect(await client.callTool({ name: "echo", arguments: { text: "over http" } })).toMatchObject({ content: [{ text: "echo: over http" }] });
    await transport.terminateSession();
    await client.close();
  });
});
