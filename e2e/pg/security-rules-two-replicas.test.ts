// The security policy is cached on every replica (alongside the hot cache) and a rule change
// made through one replica reaches the other within a second (the security_rules trigger
// notifies 'latchkey_invalidate'), while warm calls on a replica make no database query.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, type TestServer } from "../helpers/server";

let a: TestServer;
let b: TestServer;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  a = await startServer({ db: "postgres" });
  b = await startServer({ db: "postgres", databaseUrl: a.databaseUrl!, env: a.env });
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await stripeApi?.close();
  cleanupTempDirs();
});

const rpc = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(body) });

describe("security rules across two replicas [postgres]", () => {
  it("a rule changed on A applies to calls on B within a second; switched back, the data flows again", async () => {
    const key = await createApiKeyViaCli(a, "test", "security-replicas");
    const http = client(a.url);
    await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } });
    const pack = (await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Sec replicas", entries: [{ connector: "stripe", tools: ["stripe_list_customers"] }] } })).body;
    const inst = (await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.id, user_identifier: "s" } })).body;
    await http.post(`/api/v1/registered-users/${inst.registered_user_id}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: "sk_test_secreplicas12345" } } });
    const onB = `${b.url}${new URL(inst.url).pathname}`;
    let id = 1;
    const customersOnB = async () => {
      const r = await rpc(onB, { jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: "stripe_list_customers", arguments: {}, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {} } } }, { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "stripe_list_customers" });
      expect(r.status).toBe(200);
      return JSON.stringify((await r.json()).result);
    };
    // Warm B: by default addresses are only logged, so they reach the agent.
    expect(await customersOnB()).toContain("maya.patel@example.com");
    expect(await customersOnB()).toContain("maya.patel@example.com");

    expect((await http.req("/api/v1/security/rules/builtin.email", { method: "PATCH", key: key.secret, json: { action: "redact" } })).status).toBe(200);
    expect(await within(1000, async () => !(await customersOnB()).includes("maya.patel@example.com"))).toBe(true);
    expect(await customersOnB()).toMatch(/\[EMAIL_\d+\]/);

    expect((await http.req("/api/v1/security/rules/builtin.email", { method: "DELETE", key: key.secret })).status).toBe(200);
    expect(await within(1000, async () => (await customersOnB()).includes("maya.patel@example.com"))).toBe(true);
  }, 60_000);
});

/** Whether `check` comes true within `ms` (polled), starting right away. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
