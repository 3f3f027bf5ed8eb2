import { createDecipheriv } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testKeyring } from "@/db/test-db";
import {
  DecryptError,
  KeyringError,
  ciphertextKid,
  decrypt,
  decryptString,
  encrypt,
  formatKeyring,
  keyFingerprint,
  parseKeyring,
  type AadParts,
  type DecryptFailure,
} from "@/lib/crypto/keyring";

const ring = testKeyring("k1", "k2");
const AAD: AadParts = { org: "org_a", env: "env_a", table: "secrets", row: "sec_x", field: "value" };

/** Splits the stored form into its parts; fails the test when the shape is wrong. */
function parseStored(value: string) {
  const m = /^(v1):([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]+)$/.exec(value);
  expect(m, `stored form ${value.slice(0, 40)}…`).not.toBeNull();
  const blob = Buffer.from(m![3]!, "base64url");
  return {
    version: m![1]!,
    kid: m![2]!,
    blob,
    nonce: blob.subarray(0, 12),
    ciphertext: blob.subarray(12, blob.length - 16),
    tag: blob.subarray(blob.length - 16),
  };
}

function withBlob(value: string, blob: Buffer): string {
  const [version, kid] = value.split(":");
  return `${version}:${kid}:${blob.toString("base64url")}`;
}

/** Runs a decrypt that must fail; returns the typed error. Fails the test if data came back. */
function decryptFails(fn: () => unknown, reasons: DecryptFailure[] = ["malformed", "unknown_key", "auth_failed"]): DecryptError {
  let returned: unknown = undefined;
  try {
    returned = fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecryptError);
    const e = err as DecryptError;
    expect(reasons).toContain(e.reason);
    return e;
  }
  throw new Error(`decrypt returned data instead of throwing: ${String(returned).slice(0, 60)}`);
}

const aadArb = fc.record({ org: fc.string(), env: fc.string(), table: fc.string(), row: fc.string(), field: fc.string() });

describe("C1 encryption round trip and nonce uniqueness", () => {
  it("round-trips arbitrary UTF-8 strings under arbitrary AAD", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), aadArb, (plain, aad) => {
        expect(decryptString(ring, encrypt(ring, plain, aad), aad)).toBe(plain);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips large UTF-8 strings (up to 64 KB)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 16_384, size: "max" }), (plain) => {
        expect(Buffer.byteLength(plain, "utf8")).toBeLessThanOrEqual(65_536);
        expect(decryptString(ring, encrypt(ring, plain, AAD), AAD)).toBe(plain);
      }),
      { numRuns: 15 },
    );
  });

  it("round-trips arbitrary binary values up to 64 KB", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 65_536 }), (bytes) => {
        const out = decrypt(ring, encrypt(ring, bytes, AAD), AAD);
        expect(Buffer.compare(out, Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 65_536, size: "max" }), (bytes) => {
        const out = decrypt(ring, encrypt(ring, bytes, AAD), AAD);
        expect(Buffer.compare(out, Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 10 },
    );
    for (const len of [0, 1, 65_535, 65_536]) {
      const bytes = new Uint8Array(len).map((_, i) => (i * 31 + 7) & 0xff);
      expect(Buffer.compare(decrypt(ring, encrypt(ring, bytes, AAD), AAD), Buffer.from(bytes))).toBe(0);
    }
  });

  it("stores version, key id, nonce, ciphertext and tag (v1:<kid>:<base64url(nonce|ct|tag)>)", () => {
    const plain = "sk_live_example-credential-value";
    const stored = encrypt(ring, plain, AAD);
    const p = parseStored(stored);
    expect(p.version).toBe("v1");
    expect(p.kid).toBe("k1");
    expect(ciphertextKid(stored)).toBe("k1");
    expect(p.nonce).toHaveLength(12);
    expect(p.tag).toHaveLength(16);
    expect(p.ciphertext).toHaveLength(Buffer.byteLength(plain));
    expect(stored).not.toContain(plain);
    expect(p.ciphertext.equals(Buffer.from(plain))).toBe(false);

    // The on-disk format is a contract: decrypt it by hand with the documented layout and
    // the length-prefixed AAD, so a silent format change (which would strand stored data) fails here.
    const aadBytes = Buffer.from(
      [AAD.org, AAD.env, AAD.table, AAD.row, AAD.field].map((s) => `${s.length}:${s}`).join("|"),
      "utf8",
    );
    const d = createDecipheriv("aes-256-gcm", ring.keys.get("k1")!, p.nonce, { authTagLength: 16 });
    d.setAAD(aadBytes);
    d.setAuthTag(p.tag);
    expect(Buffer.concat([d.update(p.ciphertext), d.final()]).toString("utf8")).toBe(plain);
  });

  it("encrypting the same value twice gives different ciphertexts", () => {
    expect(encrypt(ring, "same", AAD)).not.toBe(encrypt(ring, "same", AAD));
  });

  it("10^5 encryptions under one key never repeat a 96-bit nonce", () => {
    const nonces = new Set<string>();
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      const stored = encrypt(ring, "x", AAD);
      const b64 = stored.slice(stored.lastIndexOf(":") + 1);
      nonces.add(Buffer.from(b64, "base64url").subarray(0, 12).toString("hex"));
    }
    expect(nonces.size).toBe(N);
  });
});

describe("C2 tampering and wrong keys are detected (DecryptError, never data)", () => {
  const plain = "ghp_exampleSecretValue";
  const stored = encrypt(ring, plain, AAD);
  const { blob } = parseStored(stored);
  const prefixLength = stored.lastIndexOf(":") + 1; // "v1:k1:"

  it("flipping any single bit of nonce, ciphertext or tag fails authentication (every bit)", () => {
    for (let bit = 0; bit < blob.length * 8; bit++) {
      const t = Buffer.from(blob);
      t[bit >> 3]! ^= 1 << (bit & 7);
      decryptFails(() => decrypt(ring, withBlob(stored, t), AAD), ["auth_failed"]);
    }
  });

  it("flipping a random bit of the blob of random plaintexts fails (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(), (bytes, n) => {
        const value = encrypt(ring, bytes, AAD);
        const b = parseStored(value).blob;
        const bit = n % (b.length * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
        decryptFails(() => decrypt(ring, withBlob(value, b), AAD), ["auth_failed"]);
      }),
      { numRuns: 500 },
    );
  });

  it("flipping any bit of the version or key id prefix fails (fast-check over positions)", () => {
    fc.assert(
      fc.property(fc.nat({ max: prefixLength - 1 }), fc.nat({ max: 15 }), (pos, bit) => {
        const flipped = String.fromCharCode(stored.charCodeAt(pos) ^ (1 << bit));
        const value = stored.slice(0, pos) + flipped + stored.slice(pos + 1);
        decryptFails(() => decrypt(ring, value, AAD), ["malformed", "unknown_key"]);
      }),
      { numRuns: 300 },
    );
    // And exhaustively for the low 8 bits of every prefix character.
    for (let pos = 0; pos < prefixLength; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const value = stored.slice(0, pos) + String.fromCharCode(stored.charCodeAt(pos) ^ (1 << bit)) + stored.slice(pos + 1);
        decryptFails(() => decrypt(ring, value, AAD), ["malformed", "unknown_key"]);
      }
    }
  });

  it("every truncation of the stored value fails", () => {
    for (let len = 0; len < stored.length; len++) {
      decryptFails(() => decrypt(ring, stored.slice(0, len), AAD));
    }
    // Dropping whole bytes off the decoded blob (tag first) fails too.
    for (let cut = 1; cut <= blob.length; cut++) {
      decryptFails(() => decrypt(ring, withBlob(stored, blob.subarray(0, blob.length - cut)), AAD));
    }
  });

  it("a keyring with different key bytes under the same kid fails with auth_failed", () => {
    const wrong = parseKeyring(`k1:${Buffer.alloc(32, 0xaa).toString("base64")}`);
    const e = decryptFails(() => decrypt(wrong, stored, AAD), ["auth_failed"]);
    expect(e.kid).toBe("k1");
  });

  it("a keyring without the kid fails with unknown_key", () => {
    const other = testKeyring("k9");
    const e = decryptFails(() => decrypt(other, stored, AAD), ["unknown_key"]);
    expect(e.kid).toBe("k1");
  });

  it("garbage and non-base64url payloads are malformed", () => {
    for (const v of ["", "v1", "v1:k1", "v2:k1:AAAA", "v1:k1:", "v1:k1:!!!!", "v1:k1:a+b/", "v1:k1:AAAA:BBBB", "plain text"]) {
      decryptFails(() => decrypt(ring, v, AAD), ["malformed", "unknown_key"]);
    }
  });
});

describe("C3 AAD binds a ciphertext to org, env, table, row and field", () => {
  const stored = encrypt(ring, "bound value", AAD);

  it.each([
    ["other org", { org: "org_b" }],
    ["other env", { env: "env_b" }],
    ["other table", { table: "oauth_apps" }],
    ["other row", { row: "sec_y" }],
    ["other field", { field: "client_secret" }],
  ] as const)("fails with %s", (_name, change) => {
    expect(decryptString(ring, stored, AAD)).toBe("bound value");
    decryptFails(() => decrypt(ring, stored, { ...AAD, ...change }), ["auth_failed"]);
  });

  it("moving characters between parts does not produce the same AAD", () => {
    const a = { org: "ab", env: "c", table: "t", row: "r", field: "f" };
    const b = { org: "a", env: "bc", table: "t", row: "r", field: "f" };
    const c = { org: "a|1:b", env: "c", table: "t", row: "r", field: "f" };
    const d = { org: "a", env: "b|1:c", table: "t", row: "r", field: "f" };
    for (const [x, y] of [[a, b], [c, d], [a, c]] as const) {
      decryptFails(() => decrypt(ring, encrypt(ring, "v", x), y), ["auth_failed"]);
    }
  });

  it("any two different AADs do not decrypt each other's values (fast-check)", () => {
    fc.assert(
      fc.property(aadArb, aadArb, (x, y) => {
        fc.pre(JSON.stringify(x) !== JSON.stringify(y));
        decryptFails(() => decrypt(ring, encrypt(ring, "v", x), y), ["auth_failed"]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseKeyring", () => {
  const b64 = (fill: number, len = 32) => Buffer.alloc(len, fill).toString("base64");

  it("parses kid:base64 pairs, the first key is active, and formatKeyring round-trips", () => {
    const r = parseKeyring(` k2:${b64(2)} , k1:${b64(1)} `);
    expect(r.activeKid).toBe("k2");
    expect([...r.keys.keys()]).toEqual(["k2", "k1"]);
    expect(r.keys.get("k1")!.equals(Buffer.alloc(32, 1))).toBe(true);
    const again = parseKeyring(formatKeyring(r));
    expect(again.activeKid).toBe("k2");
    expect(keyFingerprint(again.keys.get("k1")!)).toBe(keyFingerprint(r.keys.get("k1")!));
  });

  it.each([
    ["a key shorter than 32 bytes", `k1:${b64(1, 31)}`],
    ["a key longer than 32 bytes", `k1:${b64(1, 33)}`],
    ["an empty key", "k1:"],
    ["duplicate kids", `k1:${b64(1)},k1:${b64(2)}`],
    ["a kid with a space", `k 1:${b64(1)}`],
    ["a kid with a dot", `k.1:${b64(1)}`],
    ["a kid with a slash", `k/1:${b64(1)}`],
    ["a kid longer than 32 characters", `${"k".repeat(33)}:${b64(1)}`],
    ["a missing kid", `:${b64(1)}`],
    ["no colon", b64(1)],
    ["an empty spec", ""],
    ["only commas", " , , "],
    ["key and kid written the wrong way round", `${b64(1)}:k1`],
  ])("rejects %s with a KeyringError that does not echo key material", (_name, spec) => {
    let err: unknown;
    try {
      parseKeyring(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyringError);
    // scripts/server.ts recognises it by name to print a plain "cannot start" message.
    expect((err as Error).name).toBe("KeyringError");
    const keyChars = b64(1).replace(/=+$/, "");
    expect((err as Error).message).not.toContain(keyChars.slice(0, 12));
    expect((err as Error).message).not.toContain(b64(1, 31));
    expect((err as Error).message).not.toContain(b64(1, 33));
    expect((err as Error).message).not.toContain(b64(2));
  });
});
