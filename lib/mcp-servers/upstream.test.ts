import { describe, expect, it } from "vitest";
import { entryAllows, namespacedName, splitNamespaced } from "@/lib/mcp-servers/backend";
import { pickResponse } from "@/lib/mcp-servers/upstream";

describe("tool namespacing", () => {
  it("names are {slug}__{tool}; the first __ splits, so tools may contain __ themselves", () => {
    expect(namespacedName("linear", "create_issue")).toBe("linear__create_issue");
    expect(splitNamespaced("linear__create_issue")).toEqual({ slug: "linear", tool: "create_issue" });
    expect(splitNamespaced("srv__a__b")).toEqual({ slug: "srv", tool: "a__b" });
    expect(splitNamespaced("github_list_repos")).toBeNull();
    expect(splitNamespaced("__x")).toBeNull();
    expect(splitNamespaced("x__")).toBeNull();
  });
  it("an entry's tool list filters; * lets everything through", () => {
    expect(entryAllows({ tools: "*" }, "anything")).toBe(true);
    expect(entryAllows({ tools: ["add"] }, "add")).toBe(true);
    expect(entryAllows({ tools: ["add"] }, "echo")).toBe(false);
  });
});

describe("pickResponse", () => {
  it("finds the answer with our id in JSON, a batch, or an SSE stream with other messages first", () => {
    expect(pickResponse("application/json", JSON.stringify({ jsonrpc: "2.0", id: 3, result: { ok: 1 } }), 3)).toEqual({ jsonrpc: "2.0", id: 3, result: { ok: 1 } });
    expect(pickResponse("application/json", JSON.stringify([{ id: 1, result: {} }, { id: 2, result: { n: 2 } }]), 2)?.result).toEqual({ n: 2 });
    const sse = ['event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}', 'id: 9\nevent: message\ndata: {"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad"}}', ""].join("\n\n");
    expect(pickResponse("text/event-stream", sse, 7)?.error).toEqual({ code: -32602, message: "bad" });
    expect(pickResponse("application/json", "not json", 1)).toBeNull();
    expect(pickResponse("application/json", JSON.stringify({ id: 2, result: {} }), 1)).toBeNull();
  });
});

describe("UpstreamClient against a stateful server", () => {
  it("initializes once, reuses the session, re-initializes after a 404, and retries once after a 401 with a new credential", async () => {
    const { createServer } = await import("node:http");
    const { Agent } = await import("undici");
    const { UpstreamClient } = await import("@/lib/mcp-servers/upstream");
    const log: string[] = [];
    let sessions = 0;
    const live = new Set<string>();
    let refuseNextAuth = false;
    const srv = createServer(async (req, res) => {
      let body = "";
      for await (const c of req) body += c;
      const msg = JSON.parse(body) as { id?: number; method: string };
      const sid = req.headers["mcp-session-id"] as string | undefined;
      log.push(`${msg.method} ${sid ?? "-"} ${req.headers.authorization}`);
      if (refuseNextAuth) {
        refuseNextAuth = false;
        return res.writeHead(401).end();
      }
      if (msg.method === "initialize") {
        const id = `s${++sessions}`;
        live.add(id);
        return res.writeHead(200, { "content-type": "application/json", "mcp-session-id": id }).end(JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "s", version: "1" } } }));
      }
      if (!sid || !live.has(sid)) return res.writeHead(404).end();
      if (msg.id === undefined) return res.writeHead(202).end();
      res.writeHead(200, { "content-type": "text/event-stream" }).end(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: msg.id, result: { tools: [{ name: "t", inputSchema: {} }] } })}\n\n`);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as { port: number }).port;
    let tokenNo = 1;
    const client = new UpstreamClient({ id: "srv_x", slug: "x", url: `http://127.0.0.1:${port}/mcp` }, new Agent(), {
      headers: async () => ({ authorization: `Bearer t${tokenNo}` }),
      rejected: () => {
        tokenNo++;
      },
    });
    try {
      expect((await client.rpc("tools/list", {})).tools).toHaveLength(1);
      await client.rpc("tools/list", {});
      expect(sessions).toBe(1);
      live.clear(); // the server forgot the session
      await client.rpc("tools/list", {});
      expect(sessions).toBe(2);
      refuseNextAuth = true;
      await client.rpc("tools/list", {});
      expect(log.at(-1)).toMatch(/Bearer t2$/);
      expect(log.filter((l) => l.startsWith("initialize"))).toHaveLength(3);
    } finally {
      client.close();
      srv.closeAllConnections();
      srv.close();
    }
  });
});
