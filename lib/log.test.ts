import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { testKeyring } from "@/db/test-db";
import { encrypt } from "@/lib/crypto/keyring";
import { generateApiKey } from "@/lib/crypto/tokens";
import { log, scrub } from "@/lib/log";

// These tests read what the logger writes; make sure a shell setting cannot silence it.
beforeAll(() => {
  vi.stubEnv("LATCHKEY_LOG_LEVEL", "info");
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("K3 the log redactor detects our key format", () => {
  it("scrub() replaces generated keys of both modes wherever they appear", () => {
    for (let i = 0; i < 50; i++) {
      for (const mode of ["live", "test"] as const) {
        const { secret } = generateApiKey(mode);
        for (const text of [secret, `Bearer ${secret}`, `{"key":"${secret}"}`, `url?key=${secret}&x=1`, `(${secret})`]) {
          const out = scrub(text);
          expect(out).not.toContain(secret.slice(8));
          expect(out).toContain("[REDACTED]");
        }
      }
    }
  });

  it("scrub() masks stored ciphertexts, other providers' tokens and password fields, and keeps ordinary text", () => {
    const ct = encrypt(testKeyring("k1"), "value", { org: "o", env: "e", table: "t", row: "r", field: "f" });
    expect(scrub(`value=${ct}`)).not.toContain(ct.slice(6));
    expect(scrub("token ghp_abcdefghijklmnopqrstuvwxyz0123")).not.toContain("ghp_abcdefghij");
    expect(scrub('{"password":"hunter2hunter2"}')).not.toContain("hunter2");
    expect(scrub("GET /api/v1/api_keys 200 in 12ms")).toBe("GET /api/v1/api_keys 200 in 12ms");
  });

  it("log lines are scrubbed, whatever field the key sits in", () => {
    const { secret } = generateApiKey("live");
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    log.error("request failed", { header: `Bearer ${secret}`, nested: { deep: [secret] }, err: new Error(`bad key ${secret}`) });
    const out = lines.join("");
    expect(out).toContain("request failed");
    expect(out).not.toContain(secret.slice(8));
    expect(() => JSON.parse(out)).not.toThrow();
  });
});

describe("request ids on every line", () => {
  it("lines logged inside withLogContext, also after an await, carry the request id; others do not", async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const { withLogContext } = await import("@/lib/log");
    await withLogContext("req_abc", async () => {
      log.info("before");
      await new Promise((r) => setTimeout(r, 5));
      log.info("after");
    });
    log.info("outside");
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((p) => [p.msg, p.request_id])).toEqual([
      ["before", "req_abc"],
      ["after", "req_abc"],
      ["outside", undefined],
    ]);
  });
});

describe("pino line shape", () => {
  it("one JSON object per line with level label, ISO time and msg; a circular field or a BigInt cannot break logging", () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    expect(() => log.info("shapes", { loop, big: 10n, when: new Date(0) })).not.toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: "info", msg: "shapes", loop: { name: "loop" } });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });
});
