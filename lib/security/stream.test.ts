import { describe, expect, it } from "vitest";
import { defaultRules, effectivePolicy } from "./policy";
import { createSseRedactor, createStreamRedactor } from "./stream";
import { scan } from "./scan";

const policy = effectivePolicy(defaultRules().map((r) => ({ ...r, action: "redact" as const })));
const ctx = { direction: "results" as const };

async function feed(chunks: string[], make = () => createStreamRedactor(policy, ctx)) {
  const s = make();
  let out = "";
  for (const c of chunks) out += await s.push(c);
  return { out: out + (await s.flush()), s };
}

describe("stream redactor", () => {
  const text = "hello jane@acme.io, token ghp_1234567890abcdefghijABCDEFGHIJ123456, card 4242 4242 4242 4242 bye";
  it("one character at a time gives the same output as scanning the whole text", async () => {
    const { out } = await feed([...text]);
    expect(out).toBe(scan(text, policy, ctx).value);
  });

  it("holds back a bounded tail and releases text as it becomes safe", async () => {
    const s = createStreamRedactor(policy, ctx);
    expect(s.holdBack).toBeLessThanOrEqual(16_449);
    const long = "x ".repeat(20_000);
    const first = await s.push(long);
    expect(first.length).toBeGreaterThan(long.length - s.holdBack - 1);
    expect(first.length).toBeLessThan(long.length);
    expect(first + (await s.flush())).toBe(long);
  });

  it("keeps released text as context for keyword checks (SSN: before the number)", async () => {
    const { out } = await feed(["SSN", ": 12345", "6789 ok"]);
    expect(out).toBe("SSN: [SSN_1] ok");
  });

  it("stops releasing once blocked", async () => {
    const blockSsn = effectivePolicy(defaultRules().map((r) => (r.id === "builtin.us_ssn" ? { ...r, action: "block" as const } : r)));
    const { out, s } = await feed(["before 123-45-6789 ", "x ".repeat(20_000)], () => createStreamRedactor(blockSsn, ctx));
    expect(s.blocked).toBe(true);
    expect(out).not.toContain("123-45-6789");
    expect(out).toBe("");
  });
});

describe("SSE redactor", () => {
  it("redacts JSON-RPC events structurally, whatever the chunking", async () => {
    const msg = { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: JSON.stringify({ from: "jane@acme.io" }) }] } };
    const body = `event: message\nid: 7\ndata: ${JSON.stringify(msg)}\n\n: keep-alive\n\n`;
    for (const size of [1, 3, 17, body.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < body.length; i += size) chunks.push(body.slice(i, i + size));
      const { out } = await feed(chunks, () => createSseRedactor(policy, ctx));
      expect(out).not.toContain("jane@acme.io");
      const data = out.split("\n").find((l) => l.startsWith("data: "))!;
      const parsed = JSON.parse(data.slice(6));
      expect(JSON.parse(parsed.result.content[0].text)).toEqual({ from: "[EMAIL_1]" });
      expect(out).toContain("event: message\nid: 7\n");
      expect(out).toContain(": keep-alive");
    }
  });

  it("an oversized event blocks instead of growing memory", async () => {
    const s = createSseRedactor(policy, { ...ctx, maxEventBytes: 1000 });
    expect(await s.push(`data: ${"x".repeat(2000)}`)).toBe("");
    expect(s.blocked).toBe(true);
  });
});
