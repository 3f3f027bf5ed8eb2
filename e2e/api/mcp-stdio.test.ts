// stdio MCP servers (issue 6 item 8) through the built app, with LATCHKEY_ALLOW_STDIO=true:
// @modelcontextprotocol/server-everything run as `node <entry> stdio`, one process per user,
// with only the variables its config names (none of the gateway's own environment).
// The flag-off refusal is in e2e/api/mcp-upstreams.test.ts.
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, ROOT, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let api: ReturnType<typeof client>;
let key: CreatedKey;

beforeAll(async () => {
  server = await startServer({ db, env: { LATCHKEY_ALLOW_STDIO: "true" } });
  api = client(server.url);
  key = await createApiKeyViaCli(server, "test", "stdio");
}, 180_000);

afterAll(async () => {
  await server?.stop();
  cleanupTempDirs();
});

type CallResult = { content: { type: string; text?: string }[]; isError?: boolean };

describe(`stdio MCP servers [${db}]`, () => {
  it("server-everything over stdio: registered without a URL, its tools listed and called; the process sees only its own variables", async () => {
    const entry = path.join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
    const bad = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Shell", transport: "stdio", stdio: { command: "bash", args: ["-c", "id"] } } });
    expect(bad.status).toBe(422);
    const noConfig = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Nothing", transport: "stdio" } });
    expect(noConfig.status).toBe(422);
    const created = await api.post("/api/v1/mcp-servers", { key: key.secret, json: { name: "Local everything", slug: "local", transport: "stdio", stdio: { command: "node", args: [entry, "stdio"], env: { GREETING: "hello-from-config" } } } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ transport: "stdio", slug: "local" });

    const pack = await api.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Local", entries: [{ server: "local", tools: ["echo", "get-env"] }] } });
    expect(pack.status, pack.text).toBe(201);
    const inst = await api.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "stdio-user" } });
    const c = new Client({ name: "latchkey-test", version: "1.0.0" });
    await c.connect(new StreamableHTTPClientTransport(new URL(inst.body.url)));
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual(["local__echo", "local__get-env"]);
    const echo = (await c.callTool({ name: "local__echo", arguments: { message: "over stdio" } })) as CallResult;
    expect(echo.content[0]!.text).toContain("over stdio");
    const env = (await c.callTool({ name: "local__get-env", arguments: {} })) as CallResult;
    const text = env.content.map((x) => x.text ?? "").join("");
    expect(text).toContain("hello-from-config");
    expect(text).not.toMatch(/LATCHKEY_|DATABASE_URL|KEYRING/);
    await c.close();
  });
});
