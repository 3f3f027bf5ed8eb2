import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { testKeyring } from "@/db/test-db";
import { DecryptError, parseKeyring, type AadParts } from "@/lib/crypto/keyring";
import { seal, unseal } from "@/lib/crypto/vault";
import { AppError } from "@/lib/errors";

// These tests read what the logger writes; make sure a shell setting cannot silence it.
beforeAll(() => {
  vi.stubEnv("LATCHKEY_LOG_LEVEL", "info");
});

const rt = { keyring: testKeyring("k1") };
const AAD: AadParts = { org: "org_a", env: "env_a", table: "secrets", row: "sec_1", field: "value" };
const SECRET = "xoxb-1234567890-very-secret-slack-token";

/** Captures what the logger writes to stderr while fn runs. */
function captureStderr<T>(fn: () => T): { result?: T; error?: unknown; output: string } {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    return { result: fn(), output: lines.join("") };
  } catch (error) {
    return { error, output: lines.join("") };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("C2 unseal turns any decrypt failure into an opaque internal_error", () => {
  const sealed = seal(rt, SECRET, AAD);
  const blobPart = sealed.split(":")[2]!;
  const keyB64 = rt.keyring.keys.get("k1")!.toString("base64");

  it("round-trips through seal/unseal", () => {
    expect(sealed.startsWith("v1:k1:")).toBe(true);
    expect(sealed).not.toContain(SECRET);
    expect(unseal(rt, sealed, AAD)).toBe(SECRET);
  });

  const tampered: [string, string, Pick<typeof rt, "keyring">, AadParts][] = [
    ["a flipped ciphertext character", `v1:k1:${blobPart.slice(0, 20)}${blobPart[20] === "A" ? "B" : "A"}${blobPart.slice(21)}`, rt, AAD],
    ["a truncated value", sealed.slice(0, -6), rt, AAD],
    ["a value copied to another row", sealed, rt, { ...AAD, row: "sec_2" }],
    ["the wrong key bytes under the same kid", sealed, { keyring: parseKeyring(`k1:${Buffer.alloc(32, 0x5a).toString("base64")}`) }, AAD],
    ["an unknown kid", sealed, { keyring: testKeyring("other") }, AAD],
    ["a malformed value", "not-a-ciphertext", rt, AAD],
  ];

  it.each(tampered)("%s gives AppError internal_error without ciphertext or key material", (_name, value, ring, aad) => {
    const { error, result, output } = captureStderr(() => unseal(ring, value, aad));
    expect(result).toBeUndefined();
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.code).toBe("internal_error");
    expect(e.status).toBe(500);
    expect(e.cause).toBeInstanceOf(DecryptError);

    const exposed = [e.message, JSON.stringify(e.toBody("req_1")), String((e.cause as Error).message)].join("\n");
    for (const leaked of [SECRET, value, blobPart, blobPart.slice(0, 16), keyB64, ring.keyring.keys.values().next().value!.toString("base64")]) {
      expect(exposed).not.toContain(leaked);
    }
    // The event is logged (with reason and row), never with the ciphertext, key or plaintext.
    expect(output).toContain('"level":"error"');
    expect(output).toMatch(/"reason":"(malformed|unknown_key|auth_failed)"/);
    expect(output).toContain(`"row":"${aad.row}"`);
    for (const leaked of [SECRET, blobPart.slice(0, 16), keyB64]) expect(output).not.toContain(leaked);
  });
});
