import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import * as z from "zod";

/**
 * A third-party MCP server as a vendor would run it: the SDK's McpServer over Streamable HTTP
 * (stateless) on 127.0.0.1, accepting only JWT access tokens from its authorization server
 * whose audience is this server (RFC 9068 + RFC 8707), and publishing RFC 9728 metadata at
 * the path-aware well-known URL. Records every token it was shown.
 */
export type UpstreamMcp = {
  url: string;
  origin: string;
  /** Every bearer token presented, valid or not, with its verified claims when valid. */
  seen: { token: string; claims: JWTPayload | null }[];
  /** Call once the authorization server runs (its issuer is not known before). */
  setIssuer(issuer: string): void;
  close(): Promise<void>;
};

export async function startUpstreamMcp(
  opts: {
    scopes?: string[];
    /**
     * Tools that need a scope beyond the PRM's: a call whose token lacks it gets 403 with a
     * Bearer insufficient_scope challenge naming it (RFC 6750 §3.1). `publish` exists only here.
     */
    toolScopes?: Record<string, string>;
  } = {},
): Promise<UpstreamMcp> {
  let issuer = "";
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  const seen: UpstreamMcp["seen"] = [];
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;

  const build = (claims: JWTPayload) => {
    const mcp = new McpServer({ name: "upstream-demo", version: "1.0.0" });
    mcp.registerTool("echo", { description: "Echoes the text back.", inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text: `echo: ${text}` }], structuredContent: { echoed: text, aud: claims.aud } }));
    mcp.registerTool("add", { description: "Adds two numbers.", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));
    if (opts.toolScopes?.publish) {
      mcp.registerTool("publish", { description: "Publishes a post (needs a write scope).", inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: "text", text: `published: ${text}` }], structuredContent: { scope: claims.scope } }));
    }
    return mcp;
  };

  srv.on("request", async (req, res) => {
    if (req.url === "/.well-known/oauth-protected-resource/mcp") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ resource: url, authorization_servers: [issuer], scopes_supported: opts.scopes ?? ["api:read"], bearer_methods_supported: ["header"] }));
      return;
    }
    if (req.url !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    let claims: JWTPayload | null = null;
    if (token && jwks) {
      try {
        claims = (await jwtVerify(token, jwks, { issuer, audience: url })).payload;
      } catch {
        claims = null;
      }
    }
    if (token) seen.push({ token, claims });
    if (!claims) {
      res.writeHead(401, { "www-authenticate": `Bearer resource_metadata="${prmUrl}", scope="${(opts.scopes ?? ["api:read"]).join(" ")}"`, "content-type": "application/json" }).end(JSON.stringify({ error: "invalid_token" }));
      return;
    }
    let body: unknown;
    if (opts.toolScopes && req.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
      const call = body as { method?: string; params?: { name?: string } } | null;
      const needed = call?.method === "tools/call" ? opts.toolScopes[call.params?.name ?? ""] : undefined;
      const granted = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
      if (needed && !granted.includes(needed)) {
        res.writeHead(403, { "www-authenticate": `Bearer error="insufficient_scope", scope="${needed}", resource_metadata="${prmUrl}"`, "content-type": "application/json" }).end(JSON.stringify({ error: "insufficient_scope" }));
        return;
      }
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const mcp = build(claims);
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });

  return {
    url,
    origin,
    seen,
    setIssuer(i) {
      issuer = i;
      jwks = createRemoteJWKSet(new URL(`${i}/jwks`));
    },
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}
