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
