// The bench's upstream MCP servers, in their own process (so their CPU is not the load
// generator's, nor the gateway's). One port, three kinds of endpoint, each wanting the static
// token Latchkey injects (`Authorization: Bearer <TOKEN>`):
//   /real        a realistic server: the MCP SDK's McpServer over Streamable HTTP in stateless
//                mode, a new server and transport per request (how the SDK documents it).
//   /cheap       a raw JSON-RPC echo with no SDK: the cheapest answer an upstream can give, so
//                the gateway's own cost is what the comparison shows.
//   /s/{i}       like /cheap, with 25 tools (realistic names, descriptions and input schemas):
//                20 of these make the 500-tool pack.
// Prints one JSON line {"url": "http://127.0.0.1:PORT"} when listening.
// Usage: node --import tsx scripts/bench/upstreams.ts <token>
import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import * as z from "zod";

const TOKEN = process.argv[2];
if (!TOKEN) throw new Error("usage: upstreams.ts <token>");
const AUTH = `Bearer ${TOKEN}`;

function buildReal() {
  const mcp = new McpServer({ name: "bench-real", version: "1.0.0" });
  mcp.registerTool("echo", { description: "Echoes the text back.", inputSchema: { text: z.string().max(1000) } }, async ({ text }) => ({ content: [{ type: "text", text }], structuredContent: { echoed: text } }));
  return mcp;
}

const VERBS = ["get", "list", "create", "update", "delete"];
const NOUNS = ["invoice", "customer", "ticket", "project", "document"];
/** 25 tools: five verbs over five nouns, with the kind of schema a SaaS MCP server publishes. */
const manyTools = (i: number) =>
  NOUNS.flatMap((n) =>
    VERBS.map((v) => ({
      name: `${v}_${n}`,
      title: `${v[0]!.toUpperCase()}${v.slice(1)} ${n}`,
      description: `${v[0]!.toUpperCase()}${v.slice(1)} a ${n} in workspace ${i}. Returns the ${n} as JSON with its id, timestamps and owner; fails with not_found when the id does not exist.`,
      inputSchema: {
        type: "object",
        properties: {
          id: { type: "string", description: `The ${n} id.`, pattern: "^[a-z]+_[A-Za-z0-9]{8,32}$" },
          workspace: { type: "string", description: "Workspace slug." },
          fields: { type: "array", items: { type: "string" }, description: "Fields to return; all when omitted." },
          limit: { type: "integer", minimum: 1, maximum: 100, default: 20 },
        },
        required: v === "list" ? ["workspace"] : ["id"],
        additionalProperties: false,
      },
      annotations: { readOnlyHint: v === "get" || v === "list", destructiveHint: v === "delete" },
    })),
  );
const ECHO_TOOL = [{ name: "echo", description: "Echoes the text back.", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } }];
const lists = new Map<string, string>();

function rawRpc(body: string, tools: () => unknown[]): { status: number; body?: string } {
  let msg: { id?: unknown; method?: string; params?: { arguments?: { text?: unknown } } };
  try {
    msg = JSON.parse(body);
  } catch {
    return { status: 400, body: JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }) };
  }
  if (msg.id === undefined) return { status: 202 }; // a notification
  const ok = (result: unknown) => ({ status: 200, body: JSON.stringify({ jsonrpc: "2.0", id: msg.id, result }) });
  switch (msg.method) {
    case "initialize":
      return ok({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "bench-cheap", version: "1.0.0" } });
    case "tools/list":
      return ok({ tools: tools() });
    case "tools/call": {
      const text = String(msg.params?.arguments?.text ?? "");
      return ok({ content: [{ type: "text", text }], structuredContent: { echoed: text } });
    }
    case "ping":
      return ok({});
    default:
      return { status: 200, body: JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found" } }) };
  }
}

const srv = http.createServer(async (req, res) => {
  const url = req.url ?? "/";
  if (req.headers.authorization !== AUTH) {
    res.writeHead(401, { "www-authenticate": "Bearer", "content-type": "application/json" }).end('{"error":"invalid_token"}');
    req.resume();
    return;
  }
  if (url === "/real" && req.method === "POST") {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const mcp = buildReal();
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
    return;
  }
  const many = /^\/s\/(\d+)$/.exec(url);
  if ((url === "/cheap" || many) && req.method === "POST") {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r = rawRpc(Buffer.concat(chunks).toString("utf8"), () => {
      if (!many) return ECHO_TOOL;
      let l = lists.get(many[1]!);
      if (!l) lists.set(many[1]!, (l = JSON.stringify(manyTools(Number(many[1])))));
      return JSON.parse(l) as unknown[];
    });
    res.writeHead(r.status, r.body ? { "content-type": "application/json" } : {}).end(r.body);
    return;
  }
  req.resume();
  res.writeHead(404).end();
});
srv.keepAliveTimeout = 60_000;
srv.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` })}\n`);
});
process.on("SIGTERM", () => srv.close(() => process.exit(0)));
