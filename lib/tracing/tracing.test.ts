import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureTracing, flushTraces, tracingEnabled, withSpan } from "@/lib/tracing";

type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; status: { code: number }; attributes: { key: string; value: Record<string, unknown> }[] };
const received: { path: string; body: { resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[] } }[] = [];
let server: http.Server;
let url = "";

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    received.push({ path: req.url!, body: JSON.parse(body) });
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  configureTracing(null);
  await new Promise((r) => server.close(r));
});

describe("tracing", () => {
  it("is off without OTEL_EXPORTER_OTLP_ENDPOINT: withSpan only calls through", async () => {
    configureTracing(null);
    expect(tracingEnabled()).toBe(false);
    expect(withSpan("x", undefined, (s) => (s.setAttribute("a", 1), 7))).toBe(7);
    await flushTraces();
    expect(received).toHaveLength(0);
  });

  it("exports nested spans as OTLP/HTTP JSON, parented, with status and attributes", async () => {
    configureTracing(url, "latchkey-test");
    await withSpan("root", { "http.route": "/x" }, async () => {
      await withSpan("auth", undefined, async () => new Promise((r) => setTimeout(r, 2)));
      await expect(withSpan("upstream_call", undefined, async () => Promise.reject(new TypeError("boom")), { kind: "client" })).rejects.toThrow("boom");
    }, { kind: "server", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    await flushTraces();
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe("/v1/traces");
    const spans = received[0]!.body.resourceSpans[0]!.scopeSpans[0]!.spans;
    const by = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(Object.keys(by).sort()).toEqual(["auth", "root", "upstream_call"]);
    expect(by.root!.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(by.root!.parentSpanId).toBe("b7ad6b7169203331");
    expect(by.auth!.parentSpanId).toBe(by.root!.spanId);
    expect(by.upstream_call!.parentSpanId).toBe(by.root!.spanId);
    expect(by.upstream_call!.status.code).toBe(2);
    expect(by.upstream_call!.kind).toBe(3);
    expect(by.root!.status.code).toBe(1);
    expect(by.root!.attributes).toContainEqual({ key: "http.route", value: { stringValue: "/x" } });
  });
});
