import { describe, expect, it } from "vitest";
import { handleMcp } from "@/lib/mcp/handler";
import { testBackend, testEndpoint } from "@/lib/mcp/test-backend";
import { McpPlainHttpError, type McpEndpoint } from "@/lib/mcp/types";

const ACCEPT = "application/json, text/event-stream";
const BODY = { error: { type: "McpAuthRequiredError", code: "authentication_required", message: "Connect GitHub." }, authorization_urls: { github: "https://x/link" }, message: "Connect GitHub." };

/** A backend whose `needs_auth` tool answers with a whole HTTP error of its own. */
function endpoint(over: Partial<McpEndpoint> = {}) {
  const inner = testBackend();
  return testEndpoint({
    backend: {
      ...inner,
      async callTool(name, args, ctx) {
        if (name === "needs_auth") throw new McpPlainHttpError(401, BODY, { "www-authenticate": 'Bearer realm="t"', "content-type": "text/plain" });
        return inner.callTool(name, args, ctx);
      },
    },
    ...over,
  });
}

const post = (ep: McpEndpoint, body: unknown, headers: Record<string, string> = {}) =>
  handleMcp({ method: "POST", path: "/mcp/x", headers: { "content-type": "application/json", accept: ACCEPT, host: "127.0.0.1:3000", ...headers }, body: JSON.stringify(body) }, ep);

describe("McpPlainHttpError", () => {
  it("a legacy tools/call answers with the backend's status, JSON body and headers (not JSON-RPC, never SSE)", async () => {
    const ep = endpoint();
    const init = await post(ep, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } } });
    const sid = init.headers["mcp-session-id"]!;
    const res = await post(ep, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "needs_auth" } }, { "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual(BODY);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="t"');
    // The core's own headers win over the backend's.
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["access-control-expose-headers"]).toContain("Mcp-Session-Id");
    // Other calls are unaffected.
    const ok = await post(ep, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } }, { "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" });
    expect(ok.status).toBe(200);
  });

  it("the same in the modern era, with CORS for an allowed origin", async () => {
    const ep = endpoint();
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
    const res = await post(
      ep,
      { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "needs_auth", _meta: meta } },
      { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "needs_auth", origin: "https://app.example.com" },
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual(BODY);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example.com");
  });

  it("a status outside 4xx/5xx becomes 500", async () => {
    const inner = testBackend();
    const ep = testEndpoint({
      backend: {
        ...inner,
        async callTool() {
          throw new McpPlainHttpError(200, { ok: true });
        },
      },
    });
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} };
    const res = await post(ep, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x", _meta: meta } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "x" });
    expect(res.status).toBe(500);
  });
});
