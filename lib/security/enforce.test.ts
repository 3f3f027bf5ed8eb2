import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ToolPackSecurity } from "@/db/schema";
import { HotCache } from "@/lib/gateway/hot-cache";
import type { McpBackend, McpCallResult } from "@/lib/mcp/types";
import type { Runtime } from "@/lib/runtime";
import { generateCorpus } from "./corpus/generate";
import { withSecurityGateway } from "./enforce";
import { setSecurityHitSink, type SecurityHit } from "./enforce-hooks";
import { defaultRules, type Rule } from "./policy";

/**
 * The gateway wrapper (issue 7 item 2) around a fake backend: what reaches the backend, what
 * reaches the agent, what is logged and reported. B4 at the enforcement layer: planted secrets
 * at random depths of a tool result (structure, text, JSON inside strings, URL-encoded) never
 * reach the agent, and a 10 MB binary-ish result passes in bounded time without a throw.
 */

const ENV = { id: "env_00000000000000000000aa", organizationId: "org_00000000000000000000aa" };
const SSN = "123-45-6789";
const EMAIL = "ann.lee@example.org";
const CARD = "4111 1111 1111 1111";

const LOG_KEY = Symbol.for("latchkey.toolCallLog");
let logged: Record<string, unknown>[] = [];
let hits: SecurityHit[] = [];
let previousLog: unknown;

beforeEach(() => {
  logged = [];
  hits = [];
  const g = globalThis as Record<symbol, unknown>;
  previousLog = g[LOG_KEY];
  // The tool-call log's contract: rows recorded under a held signal wait for release (which may amend them).
  const held = new WeakMap<AbortSignal, Record<string, unknown>[]>();
  g[LOG_KEY] = {
    record: (r: Record<string, unknown>, signal?: AbortSignal) => (signal && held.get(signal) ? held.get(signal)!.push(r) : logged.push(r)),
    hold: (signal: AbortSignal) => {
      const rows: Record<string, unknown>[] = [];
      held.set(signal, rows);
      return { release: (amend?: Record<string, unknown>) => (held.delete(signal), rows.forEach((r) => logged.push({ ...r, ...amend }))) };
    },
  };
  setSecurityHitSink((h) => hits.push(...h));
});
afterEach(() => {
  (globalThis as Record<symbol, unknown>)[LOG_KEY] = previousLog;
  setSecurityHitSink(null);
});

function rulesWith(changes: Partial<Record<string, Partial<Rule>>>, extra: Rule[] = []): Rule[] {
  return [...defaultRules().map((r) => ({ ...r, ...(changes[r.id] ?? {}) }) as Rule), ...extra];
}

/** A runtime whose hot cache already holds the environment's rules: no database is touched. */
async function runtimeWith(rules: Rule[]) {
  const cache = new HotCache();
  await cache.get(`secrules:${ENV.id}`, async () => ({ value: rules, env: ENV.id }));
  const db = new Proxy({}, { get: () => () => { throw new Error("no database in this test"); } });
  return { db, keyring: { activeKid: "k", keys: new Map() }, authSecret: "x".repeat(32), cache } as unknown as Pick<Runtime, "db" | "keyring" | "authSecret"> & { cache: HotCache };
}

function fakeBackend(result: (name: string, args: Record<string, unknown>) => McpCallResult) {
  const calls: { name: string; args: Record<string, unknown> }[] = [];
  const backend: McpBackend = {
    serverInfo: { name: "fake", version: "1" },
    listTools: async () => [],
    callTool: async (name, args) => {
      calls.push({ name, args });
      return result(name, args);
    },
  };
  return { backend, calls };
}

const json = (data: Record<string, unknown>): McpCallResult => ({ content: [{ type: "text", text: JSON.stringify(data) }], structuredContent: data });
const call = (b: McpBackend, name: string, args: Record<string, unknown> = {}) => b.callTool(name, args, { signal: new AbortController().signal, requestId: 1 });
const gateway = (rt: Awaited<ReturnType<typeof runtimeWith>>, backend: McpBackend, security: ToolPackSecurity | null = null) =>
  withSecurityGateway(rt, backend, { environment: ENV, pack: { id: "tp_00000000000000000000aa", security }, registeredUserId: "ru_00000000000000000000aa", actor: { type: "api_key", id: "key_1" } });

describe("withSecurityGateway", () => {
  it("a block rule on arguments stops the call: the backend is not called, the result says blocked_by_policy, the log row carries the code, hits carry no value", async () => {
    const employee: Rule = { id: "secr_employee", pattern: "EMP-[0-9]{6}", flags: "", kind: "EMPLOYEE_ID", maxMatchLength: 64, action: "block", appliesTo: "arguments", enabled: true };
    const rt = await runtimeWith(rulesWith({}, [employee]));
    const { backend, calls } = fakeBackend(() => json({ ok: true }));
    const r = await call(gateway(rt, backend), "crm_update", { note: "badge EMP-123456 for Ann" });
    expect(calls).toHaveLength(0);
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ code: "blocked_by_policy", direction: "arguments", rule_ids: ["secr_employee"] });
    expect(JSON.stringify(r)).not.toContain("EMP-123456");
    expect(logged).toEqual([expect.objectContaining({ tool: "crm_update", status: "error", errorCode: "blocked_by_policy", environmentId: ENV.id, toolPackId: "tp_00000000000000000000aa" })]);
    expect(hits).toEqual([expect.objectContaining({ ruleId: "secr_employee", detector: "pattern", action: "block", direction: "arguments", tool: "crm_update", registeredUserId: "ru_00000000000000000000aa" })]);
    expect(JSON.stringify(hits)).not.toContain("123456");
    // The same rule does not apply to results.
    const ok = await call(gateway(rt, fakeBackend(() => json({ note: "EMP-123456" })).backend), "crm_get");
    expect(ok.isError).toBeFalsy();
  });

  it("results are redacted in structuredContent, in content text and in JSON inside strings, with one placeholder per value", async () => {
    const rt = await runtimeWith(rulesWith({ "builtin.email": { action: "redact" } }));
    const { backend } = fakeBackend(() =>
      json({ customer: { email: EMAIL, ssn: SSN, note: JSON.stringify({ inner: { card: CARD, again: EMAIL } }) }, list: [{ contact: `mail ${EMAIL} now` }] }),
    );
    const r = await call(gateway(rt, backend), "crm_get");
    const out = JSON.stringify(r);
    for (const v of [EMAIL, SSN, CARD, "4111111111111111"]) expect(out).not.toContain(v);
    const sc = r.structuredContent as { customer: { email: string; ssn: string; note: string }; list: { contact: string }[] };
    expect(sc.customer.email).toBe("[EMAIL_1]");
    expect(sc.customer.ssn).toBe("[SSN_1]");
    expect(JSON.parse(sc.customer.note)).toEqual({ inner: { card: "[CARD_1]", again: "[EMAIL_1]" } });
    expect(sc.list[0]!.contact).toBe("mail [EMAIL_1] now");
    expect(JSON.parse(r.content[0]!.text)).toEqual(sc);
    expect(hits.every((h) => h.direction === "results")).toBe(true);
    expect(hits.map((h) => h.detector)).toEqual(expect.arrayContaining(["email", "us_ssn", "payment_card"]));
    expect(JSON.stringify(hits)).not.toContain(EMAIL);
  });

  it("arguments: redact replaces the value before it leaves; a clean call passes unchanged (same object)", async () => {
    const rt = await runtimeWith(rulesWith({}));
    const { backend, calls } = fakeBackend(() => json({ ok: true }));
    const g = gateway(rt, backend);
    await call(g, "notes_add", { text: `ssn ${SSN}` });
    expect(calls[0]!.args).toEqual({ text: "ssn [SSN_1]" });
    const clean = { text: "hello" };
    await call(g, "notes_add", clean);
    expect(calls[1]!.args).toBe(clean);
  });

  it("pack overrides: switch a rule off, change its action, or let one tool's results through (the hit is still reported)", async () => {
    const rt = await runtimeWith(rulesWith({ "builtin.email": { action: "redact" } }));
    const { backend } = fakeBackend(() => json({ email: EMAIL, ssn: SSN }));
    const through: ToolPackSecurity = { reversibleRedaction: false, retentionHours: 24, reversibleKinds: [], overrides: [{ ruleId: "builtin.email", allowUnredactedForTools: ["crm_get"] }] };
    expect((await call(gateway(rt, backend, through), "crm_get")).structuredContent).toEqual({ email: EMAIL, ssn: "[SSN_1]" });
    expect(hits.find((h) => h.ruleId === "builtin.email")).toMatchObject({ action: "log" });
    expect((await call(gateway(rt, backend, through), "crm_other")).structuredContent).toEqual({ email: "[EMAIL_1]", ssn: "[SSN_1]" });

    const off: ToolPackSecurity = { ...through, overrides: [{ ruleId: "builtin.us_ssn", enabled: false }] };
    expect((await call(gateway(rt, backend, off), "crm_get")).structuredContent).toEqual({ email: "[EMAIL_1]", ssn: SSN });

    const block: ToolPackSecurity = { ...through, overrides: [{ ruleId: "builtin.us_ssn", action: "block" }] };
    const withheld = await call(gateway(rt, backend, block), "crm_get");
    expect(withheld.structuredContent).toMatchObject({ code: "blocked_by_policy", direction: "results", rule_ids: ["builtin.us_ssn"] });
    expect(JSON.stringify(withheld)).not.toContain(SSN);
  });

  it("gateway-made results (authenticate_meta, connect links) are not scanned: their link tokens stay usable", async () => {
    const rt = await runtimeWith(rulesWith({}));
    const link = { link_token: `lk_link_${"A1b2C3d4".repeat(5)}abc`, link_url: "https://latchkey.example/link#x" };
    const { backend } = fakeBackend((name) => (name === "authenticate_meta" ? json(link) : { isError: true, content: [{ type: "text", text: "connect" }], structuredContent: { code: "authentication_required", ...link } }));
    expect((await call(gateway(rt, backend), "authenticate_meta")).structuredContent).toEqual(link);
    expect((await call(gateway(rt, backend), "github_list_issues")).structuredContent).toMatchObject(link);
  });

  it("the compiled policy is reused across requests and recompiled when the environment's rules change", async () => {
    const rt = await runtimeWith(rulesWith({}));
    const { backend } = fakeBackend(() => json({ email: EMAIL }));
    expect((await call(gateway(rt, backend), "t")).structuredContent).toEqual({ email: EMAIL });
    rt.cache.invalidateEnvironment(ENV.id);
    await rt.cache.get(`secrules:${ENV.id}`, async () => ({ value: rulesWith({ "builtin.email": { action: "redact" } }), env: ENV.id }));
    expect((await call(gateway(rt, backend), "t")).structuredContent).toEqual({ email: "[EMAIL_1]" });
  });
});

// ---- B4 at the enforcement layer

const allRedact = rulesWith(Object.fromEntries(defaultRules().map((r) => [r.id, { action: "redact" as const }])));
const pool: string[] = [];
{
  const per = new Map<string, number>();
  for (const s of generateCorpus()) {
    const e = s.expect[0];
    if (s.expect.length !== 1 || !e || (per.get(e.detector) ?? 0) >= 3) continue;
    pool.push(e.value);
    per.set(e.detector, (per.get(e.detector) ?? 0) + 1);
  }
}

describe("B4: redaction robustness through the gateway", () => {
  it("a planted secret, at a random depth of the result, as text, inside a JSON string or URL-encoded, never reaches the agent", async () => {
    const rt = await runtimeWith(allRedact);
    // Only secrets the engine redacts in a neutral context: the property is about where they are put.
    const planted: string[] = [];
    for (const s of pool) if (!JSON.stringify(await call(gateway(rt, fakeBackend(() => json({ v: `x | ${s} ; y` })).backend), "t")).includes(s)) planted.push(s);
    expect(planted.length).toBeGreaterThan(20);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...planted), fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.nat(5)), { maxLength: 30 }), fc.constantFrom("plain", "json", "url"), async (s, path, how) => {
        const text = `x | ${how === "url" ? encodeURIComponent(s) : s} ; y`;
        let v: unknown = how === "json" ? JSON.stringify({ deep: text }) : text;
        for (const step of path) v = typeof step === "number" ? [...Array<null>(step).fill(null), v] : { [`k${step}`]: v };
        const { backend } = fakeBackend(() => ({ content: [{ type: "text", text: JSON.stringify(v) }], structuredContent: { root: v } }));
        const r = await call(gateway(rt, backend), "t");
        const out = JSON.stringify(r);
        expect(out.includes(s) || out.includes(encodeURIComponent(s))).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("10 MB of binary-ish text passes the gateway without a throw, in bounded time", async () => {
    const rt = await runtimeWith(allRedact);
    const bytes = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const blob = bytes.toString("latin1");
    const { backend } = fakeBackend(() => ({ content: [{ type: "text", text: blob }] }));
    const t0 = performance.now();
    const r = await call(gateway(rt, backend), "t");
    const ms = performance.now() - t0;
    expect(r.content[0]!.text.length).toBeGreaterThan(0);
    // Generous for a shared 2-core machine; linearity itself is measured in linearity.test.ts.
    expect(ms).toBeLessThan(30_000);
  }, 60_000);
});
