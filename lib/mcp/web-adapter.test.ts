import { describe, expect, it } from "vitest";
import { fromWebRequest, toWebResponse } from "@/lib/mcp/web-adapter";

function streamOf(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
    cancel() {
      onCancel?.();
    },
  });
}

describe("fromWebRequest", () => {
  it("keeps method, path and query, lower-cased headers, the body and the signal", async () => {
    const req = new Request("https://gw.example.com/mcp/i/tok?x=1#frag", {
      method: "POST",
      headers: { "Mcp-Session-Id": "abc", "MCP-Protocol-Version": "2025-11-25", "Content-Type": "application/json" },
      body: '{"a":"é"}',
    });
    const r = await fromWebRequest(req, 1000);
    if ("tooLarge" in r) throw new Error("unexpected");
    expect(r.method).toBe("POST");
    expect(r.path).toBe("/mcp/i/tok?x=1");
    expect(r.headers["mcp-session-id"]).toBe("abc");
    expect(r.headers["mcp-protocol-version"]).toBe("2025-11-25");
    expect(r.body).toBe('{"a":"é"}');
    expect(r.signal).toBe(req.signal);
  });

  it("gives a null body for GET and for an empty POST", async () => {
    for (const req of [new Request("http://h/mcp"), new Request("http://h/mcp", { method: "POST", body: "" })]) {
      const r = await fromWebRequest(req, 10);
      expect("tooLarge" in r ? r : r.body).toBeNull();
    }
  });

  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    const req = new Request("http://h/mcp", { method: "POST", body: streamOf([new Uint8Array(10)]), headers: { "content-length": "5000" }, duplex: "half" } as RequestInit);
    expect(await fromWebRequest(req, 100)).toEqual({ tooLarge: true });
    expect(req.bodyUsed).toBe(false);
  });

  it("stops reading a streamed body as soon as it passes the cap, and cancels the stream", async () => {
    let cancelled = false;
    const chunk = new Uint8Array(60).fill(97);
    const req = new Request("http://h/mcp", { method: "POST", body: streamOf([chunk, chunk, chunk, chunk], () => (cancelled = true)), duplex: "half" } as RequestInit);
    expect(await fromWebRequest(req, 100)).toEqual({ tooLarge: true });
    expect(cancelled).toBe(true);
  });

  it("accepts a body of exactly the cap and joins chunks split inside a UTF-8 character", async () => {
    const bytes = Buffer.from('"ééé"');
    const req = new Request("http://h/mcp", { method: "POST", body: streamOf([bytes.subarray(0, 2), bytes.subarray(2)]), duplex: "half" } as RequestInit);
    const r = await fromWebRequest(req, bytes.length);
    expect("tooLarge" in r ? null : r.body).toBe('"ééé"');
  });
});

describe("toWebResponse", () => {
  it("copies status, headers and body; empty bodies become null (204 refuses one)", async () => {
    const ok = toWebResponse({ status: 200, headers: { "content-type": "application/json", "mcp-session-id": "s" }, body: '{"x":1}' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("mcp-session-id")).toBe("s");
    expect(await ok.text()).toBe('{"x":1}');
    for (const status of [202, 204, 405]) {
      const r = toWebResponse({ status, headers: { allow: "POST" }, body: "" });
      expect(r.status).toBe(status);
      expect(r.body).toBeNull();
    }
  });
});
