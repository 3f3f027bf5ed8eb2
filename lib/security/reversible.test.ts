import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { defaultRules, effectivePolicy } from "./policy";
import { findPlaceholderTokens, InMemoryPlaceholderVault, mapJsonStrings, scanReversible } from "./reversible";

const policy = effectivePolicy(defaultRules().map((r) => ({ ...r, action: "redact" as const })));
const ctx = { direction: "results" as const };

describe("reversible redaction", () => {
  it("round trip: the model sees placeholders, the tool gets the values back", async () => {
    const vault = new InMemoryPlaceholderVault({ ttlMs: 60_000 });
    const r = await scanReversible({ from: "jane@acme.io", phone: "+1 415 555 0132", card: "4242 4242 4242 4242" }, policy, ctx, { vault, userKey: "env1:ru1" });
    expect(r.value).toEqual({ from: "[EMAIL_1]", phone: "[PHONE_1]", card: "[CARD_1]" });
    const args = { to: "[EMAIL_1]", body: "call me at [PHONE_1] about [CARD_1]" };
    expect(vault.restore("env1:ru1", args)).toEqual({ to: "jane@acme.io", body: "call me at +1 415 555 0132 about [CARD_1]" });
  });

  it("placeholders are stable per (user, value) and never restore for another user", async () => {
    const vault = new InMemoryPlaceholderVault({ ttlMs: 60_000 });
    const a1 = await scanReversible("bob@x.io", policy, ctx, { vault, userKey: "u-a" });
    const a2 = await scanReversible("amy@x.io, bob@x.io", policy, ctx, { vault, userKey: "u-a" });
    const b = await scanReversible("eve@x.io", policy, ctx, { vault, userKey: "u-b" });
    expect([a1.value, a2.value, b.value]).toEqual(["[EMAIL_1]", "[EMAIL_2], [EMAIL_1]", "[EMAIL_1]"]);
    expect(vault.restore("u-a", "[EMAIL_1]")).toBe("bob@x.io");
    expect(vault.restore("u-b", "[EMAIL_1]")).toBe("eve@x.io");
    expect(vault.restore("u-c", "[EMAIL_1]")).toBe("[EMAIL_1]");
  });

  it("expires after the retention window (sliding) and does not reuse numbers", () => {
    let now = 0;
    const vault = new InMemoryPlaceholderVault({ ttlMs: 1000, now: () => now });
    expect(vault.placeholderFor("u", "EMAIL", "a@x.io")).toBe("[EMAIL_1]");
    now = 900;
    expect(vault.placeholderFor("u", "EMAIL", "a@x.io")).toBe("[EMAIL_1]");
    now = 1800;
    expect(vault.restore("u", "[EMAIL_1]")).toBe("a@x.io");
    now = 2000;
    expect(vault.restore("u", "[EMAIL_1]")).toBe("[EMAIL_1]");
    expect(vault.placeholderFor("u", "EMAIL", "b@x.io")).toBe("[EMAIL_2]");
  });

  it("restores only the kinds asked for, inside keys and JSON strings too", () => {
    const vault = new InMemoryPlaceholderVault({ ttlMs: 60_000 });
    vault.placeholderFor("u", "EMAIL", 'a"b@x.io');
    vault.placeholderFor("u", "PHONE", "+1 415 555 0132");
    const args = { "[EMAIL_1]": 1, json: JSON.stringify({ to: "[EMAIL_1]", tel: "[PHONE_1]" }) };
    const out = vault.restore("u", args, new Set(["EMAIL"]));
    expect(Object.keys(out)).toEqual(['a"b@x.io', "json"]);
    expect(JSON.parse(out.json)).toEqual({ to: 'a"b@x.io', tel: "[PHONE_1]" });
  });

  it("values never show in logs or JSON of the vault", () => {
    const vault = new InMemoryPlaceholderVault({ ttlMs: 60_000 });
    vault.placeholderFor("u", "EMAIL", "secret-person@x.io");
    expect(inspect(vault, { depth: 10 })).not.toContain("secret-person");
    expect(JSON.stringify(vault)).not.toContain("secret-person");
  });

  it("finds placeholder tokens without regex backtracking", () => {
    expect(findPlaceholderTokens("[EMAIL_1] [x] [EMAIL_] [EMPLOYEE_ID_12] [A_1").map((t) => t.token)).toEqual(["[EMAIL_1]", "[EMPLOYEE_ID_12]"]);
    expect(findPlaceholderTokens("[".repeat(100_000))).toEqual([]);
  });

  it("mapJsonStrings shares unchanged containers", () => {
    const v = { a: { b: "x" }, c: ["[EMAIL_1]"] };
    const out = mapJsonStrings(v, (s) => (s === "[EMAIL_1]" ? "y" : null));
    expect(out.a).toBe(v.a);
    expect(out.c).toEqual(["y"]);
  });
});
