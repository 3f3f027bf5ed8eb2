import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import * as z from "zod";

/**
 * An MCP server that needs no credentials (or, with `token`, a static bearer token and no
 * published metadata): the SDK's McpServer over Streamable HTTP (stateless, JSON responses)
 * on 127.0.0.1, with one tool per given name that answers `<tool>: <text>`. Counts the
 * requests it receives.
 */
export type OpenUpstreamMcp = { url: string; origin: string; requests: () => number; close(): Promise<void> };

export async function startOpenUpstreamMcp(opts: { name: string; tools: string[]; token?: string }): Promise<OpenUpstreamMcp> {
  let count = 0;
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  srv.on("request", async (req, res) => {
    count++;
    if (req.url !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="upstream"', "content-type": "application/json" }).end('{"error":"invalid_token"}');
      return;
    }
    const mcp = new McpServer({ name: opts.name, version: "1.0.0" });
    for (const tool of opts.tools) {
      mcp.registerTool(tool, { description: `${tool} of ${opts.name}.`, inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text: `${tool}: ${text}` }] }));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  return {
    url: `${origin}/mcp`,
    origin,
    requests: () => count,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}
