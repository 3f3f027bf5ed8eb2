import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import * as z from "zod";

/**
 * An MCP server on 127.0.0.1 built with the SDK's McpServer over Streamable HTTP (stateless,
 * JSON responses), with one tool per given name that answers `<tool>: <text>`. By default it
 * needs no credentials. With `token`, it wants that static bearer token and publishes no
 * metadata. With `oauth`, it is its own small authorization server: RFC 9728 metadata naming
 * itself, RFC 8414 metadata offering client_credentials only, dynamic registration (RFC 7591)
 * and a token endpoint; only the tokens it issued open /mcp. Counts the requests it receives.
 */
export type OpenUpstreamMcp = { url: string; origin: string; requests: () => number; registrations: () => number; close(): Promise<void> };

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = "";
    req.on("data", (c: Buffer) => (s += c.toString()));
    req.on("end", () => resolve(s));
  });

export async function startOpenUpstreamMcp(opts: { name: string; tools: string[]; token?: string; oauth?: { scopes: string[] } }): Promise<OpenUpstreamMcp> {
  let count = 0;
  const clients = new Map<string, string>();
  const issued = new Set<string>();
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

  srv.on("request", async (req, res) => {
    count++;
    if (opts.oauth) {
      if (req.url === "/.well-known/oauth-protected-resource/mcp") return json(res, 200, { resource: url, authorization_servers: [origin], scopes_supported: opts.oauth.scopes });
      if (req.url === "/.well-known/oauth-authorization-server") {
        return json(res, 200, {
          issuer: origin,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          registration_endpoint: `${origin}/register`,
          token_endpoint_auth_methods_supported: ["client_secret_basic"],
          grant_types_supported: ["client_credentials"],
          scopes_supported: opts.oauth.scopes,
        });
      }
      if (req.url === "/register" && req.method === "POST") {
        await readBody(req);
        const id = `client-${clients.size + 1}`;
        const secret = `secret-${Math.random().toString(36).slice(2)}`;
        clients.set(id, secret);
        return json(res, 201, { client_id: id, client_secret: secret, token_endpoint_auth_method: "client_secret_basic", grant_types: ["client_credentials"] });
      }
      if (req.url === "/token" && req.method === "POST") {
        const form = new URLSearchParams(await readBody(req));
        const [id, secret] = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString().split(":").map(decodeURIComponent);
        if (form.get("grant_type") !== "client_credentials" || !id || clients.get(id) !== secret || form.get("resource") !== url) return json(res, 400, { error: "invalid_client" });
        const token = `at-${Math.random().toString(36).slice(2)}`;
        issued.add(token);
        return json(res, 200, { access_token: token, token_type: "Bearer", expires_in: 3600 });
      }
    }
    if (req.url !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (opts.token && bearer !== opts.token) {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="upstream"', "content-type": "application/json" }).end('{"error":"invalid_token"}');
      return;
    }
    if (opts.oauth && !issued.has(bearer)) {
      res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="${opts.oauth.scopes.join(" ")}"`, "content-type": "application/json" }).end('{"error":"invalid_token"}');
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
    url,
    origin,
    requests: () => count,
    registrations: () => clients.size,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}
