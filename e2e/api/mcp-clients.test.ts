// Acceptance: Latchkey's MCP URLs driven by real third-party MCP clients, through the production
// server, against the Stripe sandbox. Each client lists the tools and calls stripe_get_balance:
//   1. the MCP Inspector CLI (@modelcontextprotocol/inspector), a child process, JSON output
//   2. LangChain's MultiServerMCPClient (@langchain/mcp-adapters), Streamable HTTP
//   3. the Vercel AI SDK MCP client (@ai-sdk/mcp), HTTP transport
//   4. mcp-remote, the stdio bridge Claude Desktop-style hosts use, spoken to over stdin/stdout
// Instance URL (/mcp/i/…) for all four; API-key URL (/api/v1/tool-packs/{tp}/registered-users/{ru}/mcp
// + Authorization header) for the clients that take headers. Loopback only; no browser, and every
// client process gets a temp HOME.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createMCPClient } from "@ai-sdk/mcp";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import { serveSandbox } from "@/lib/sandbox/serve";
import { client as httpClient } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, makeTempDir, ROOT, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
const SECRET = "sk_test_clients1234567890";
/** What the Stripe sandbox's GET /v1/balance holds (lib/sandbox/stripe.ts). */
const BALANCE = { livemode: false, available: expect.arrayContaining([expect.objectContaining({ amount: 1843250, currency: "usd" })]) };
const TOOLS = ["stripe_get_balance", "stripe_list_customers", "authenticate_meta"];
const INSPECTOR = path.join(ROOT, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js");
const MCP_REMOTE = path.join(ROOT, "node_modules", "mcp-remote", "dist", "proxy.js");

let server: TestServer;
let http: ReturnType<typeof httpClient>;
let key: CreatedKey;
let stripeApi: Awaited<ReturnType<typeof serveSandbox>>;
let instanceUrl = "";
let apiKeyUrl = "";
let gatewayUrl = "";
let userToken = "";
let home = "";
const children = new Set<ChildProcess>();

/** The environment of a client process: a temp HOME and config dirs, no display, no browser opener. */
function clientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("LATCHKEY_") || k.startsWith("VITEST") || k === "NODE_OPTIONS") delete env[k];
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local", "share"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    MCP_REMOTE_CONFIG_DIR: path.join(home, ".mcp-auth"),
    BROWSER: "/bin/false",
    NO_PROXY: "127.0.0.1,localhost",
    NO_COLOR: "1",
  };
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs `node <script> …args` to completion, killed after timeoutMs. */
function runNode(script: string, args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [script, ...args], { cwd: home, env: clientEnv(), stdio: ["ignore", "pipe", "pipe"] }));
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(script)} ${args.join(" ")} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `mcp-inspector --cli <url> --transport http … --format json`; never opens a browser (--stored-auth-only). */
function inspector(url: string, args: string[], headers: string[] = []) {
  return runNode(INSPECTOR, ["--cli", url, "--transport", "http", "--stored-auth-only", ...headers.flatMap((h) => ["--header", h]), ...args, "--format", "json"]);
}

function json(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 2000)}`);
  }
}

/** An MCP tool result's content: one text block holding the balance as JSON. */
function expectBalanceContent(content: any) {
  expect(content).toEqual([expect.objectContaining({ type: "text" })]);
  expect(JSON.parse(content[0].text)).toMatchObject(BALANCE);
}

beforeAll(async () => {
  stripeApi = await serveSandbox(createStripeSandbox());
  server = await startServer({ db });
  http = httpClient(server.url);
  home = makeTempDir("latchkey-mcp-clients-home-");
  key = await createApiKeyViaCli(server, "test", "mcp-clients");
  expect((await http.req("/api/v1/connectors/stripe/config", { method: "PATCH", key: key.secret, json: { base_url: stripeApi.url } })).status).toBe(200);
  const pack = await http.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Clients pack", entries: [{ connector: "stripe", tools: ["stripe_get_balance", "stripe_list_customers"] }] } });
  expect(pack.status).toBe(201);
  const inst = await http.post("/api/v1/mcp-instances/ensure", { key: key.secret, json: { tool_pack_id: pack.body.id, user_identifier: "clients-user" } });
  expect(inst.status).toBe(200);
  expect(inst.body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp\/i\/lk_mcp_/);
  instanceUrl = inst.body.url;
  const ru = inst.body.registered_user_id;
  apiKeyUrl = `${server.url}/api/v1/tool-packs/${pack.body.id}/registered-users/${ru}/mcp`;
  expect((await http.post(`/api/v1/registered-users/${ru}/connections`, { key: key.secret, json: { connector: "stripe", credentials: { secret_key: SECRET } } })).status).toBe(201);
  // URL 3: the pack's slug with the user's personal gateway token.
  gatewayUrl = `${server.url}/mcp/${pack.body.slug}`;
  const pat = await http.post(`/api/v1/registered-users/${ru}/tokens`, { key: key.secret, json: { name: "clients" } });
  expect(pat.status).toBe(201);
  userToken = pat.body.token;
}, 120_000);

const STYLES = ["instance URL", "API-key URL", "gateway-token URL"] as const;
type Style = (typeof STYLES)[number];
/** Where a client connects for a URL style, and the Authorization it sends (none for instance URLs). */
const target = (style: Style): { url: string; authorization?: string } =>
  style === "instance URL" ? { url: instanceUrl } : style === "API-key URL" ? { url: apiKeyUrl, authorization: `Bearer ${key.secret}` } : { url: gatewayUrl, authorization: `Bearer ${userToken}` };

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await server?.stop();
  await stripeApi?.close();
  cleanupTempDirs();
});

describe(`MCP Inspector CLI 2.12 [${db}]`, () => {
  it("instance URL: tools/list and tools/call stripe_get_balance", async () => {
    const list = await inspector(instanceUrl, ["--method", "tools/list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list.stdout).result.tools.map((t: { name: string }) => t.name)).toEqual(TOOLS);

    const before = stripeApi.requests.length;
    const call = await inspector(instanceUrl, ["--method", "tools/call", "--tool-name", "stripe_get_balance"]);
    expect(call.code, call.stderr).toBe(0);
    const result = json(call.stdout).result;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject(BALANCE);
    expect(stripeApi.requests.length).toBe(before + 1);
    expect(stripeApi.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it("API-key URL: works with --header Authorization; without it the CLI exits non-zero (3, auth required)", async () => {
    const list = await inspector(apiKeyUrl, ["--method", "tools/list"], [`Authorization: Bearer ${key.secret}`]);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list.stdout).result.tools.map((t: { name: string }) => t.name)).toEqual(TOOLS);
    const call = await inspector(apiKeyUrl, ["--method", "tools/call", "--tool-name", "stripe_get_balance"], [`Authorization: Bearer ${key.secret}`]);
    expect(call.code, call.stderr).toBe(0);
    expect(json(call.stdout).result.structuredContent).toMatchObject(BALANCE);

    const anon = await inspector(apiKeyUrl, ["--method", "tools/list"]);
    expect(anon.code).not.toBe(0);
    expect(anon.code).toBe(3);
    expect(anon.stdout).not.toContain("stripe_get_balance");
  });
});

describe(`MCP Inspector CLI 2.12, gateway-token URL [${db}]`, () => {
  it("gateway-token URL: tools/list and tools/call with the user's personal token", async () => {
    const list = await inspector(gatewayUrl, ["--method", "tools/list"], [`Authorization: Bearer ${userToken}`]);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list.stdout).result.tools.map((t: { name: string }) => t.name)).toEqual(TOOLS);
    const before = stripeApi.requests.length;
    const call = await inspector(gatewayUrl, ["--method", "tools/call", "--tool-name", "stripe_get_balance"], [`Authorization: Bearer ${userToken}`]);
    expect(call.code, call.stderr).toBe(0);
    expect(json(call.stdout).result.structuredContent).toMatchObject(BALANCE);
    expect(stripeApi.requests.at(before)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });
});

describe(`LangChain MultiServerMCPClient (@langchain/mcp-adapters 1.1.4) [${db}]`, () => {
  for (const style of STYLES) {
    it(`${style}: getTools() and invoke stripe_get_balance`, async () => {
      const { url, authorization } = target(style);
      const headers = authorization ? { Authorization: authorization } : undefined;
      const mcp = new MultiServerMCPClient({
        mcpServers: { latchkey: { transport: "http", url, ...(headers ? { headers } : {}), automaticSSEFallback: false } },
        useStandardContentBlocks: true,
      });
      try {
        const tools = await mcp.getTools();
        expect(tools.map((t) => t.name)).toEqual(TOOLS);
        const before = stripeApi.requests.length;
        // With useStandardContentBlocks the tool returns the MCP text block as a LangChain content block.
        const out: any = await tools.find((t) => t.name === "stripe_get_balance")!.invoke({});
        expect(out).toMatchObject({ type: "text" });
        expect(JSON.parse(out.text)).toMatchObject(BALANCE);
        expect(stripeApi.requests.length).toBe(before + 1);
      } finally {
        await mcp.close();
      }
    });
  }
});

describe(`Vercel AI SDK createMCPClient (@ai-sdk/mcp 2.0.99) [${db}]`, () => {
  for (const style of STYLES) {
    it(`${style}: tools() and execute stripe_get_balance`, async () => {
      const { url, authorization } = target(style);
      const headers = authorization ? { Authorization: authorization } : undefined;
      const mcp = await createMCPClient({ transport: { type: "http", url, ...(headers ? { headers } : {}) } });
      try {
        const tools = await mcp.tools();
        expect(Object.keys(tools)).toEqual(TOOLS);
        const before = stripeApi.requests.length;
        const out: any = await tools.stripe_get_balance!.execute!({}, { toolCallId: "1", messages: [], context: {} });
        expect(out.isError).toBeFalsy();
        expectBalanceContent(out.content);
        expect(stripeApi.requests.length).toBe(before + 1);
      } finally {
        await mcp.close();
      }
    });
  }
});

/** A JSON-RPC session over mcp-remote's stdin/stdout. */
function mcpRemote(args: string[], env: Record<string, string> = {}) {
  const child = track(spawn(process.execPath, [MCP_REMOTE, ...args], { cwd: home, env: { ...clientEnv(), ...env }, stdio: ["pipe", "pipe", "pipe"] }));
  let buf = "";
  let stderr = "";
  const waiting = new Map<number, (msg: any) => void>();
  child.stderr!.on("data", (d) => (stderr += d));
  child.stdout!.on("data", (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line);
      if (typeof msg.id === "number") waiting.get(msg.id)?.(msg);
    }
  });
  let nextId = 1;
  return {
    stderr: () => stderr,
    request(method: string, params: unknown = {}, timeoutMs = 15_000): Promise<any> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mcp-remote: no answer to ${method} in ${timeoutMs} ms\nstderr: ${stderr}`)), timeoutMs);
        waiting.set(id, (msg) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(msg);
        });
        child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
      });
    },
    notify(method: string) {
      child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", method }) + "\n");
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.end();
        child.kill("SIGTERM");
      });
    },
  };
}

describe(`mcp-remote 0.15.1 stdio bridge [${db}]`, () => {
  for (const style of STYLES) {
    it(`${style}: initialize, tools/list, tools/call over stdin/stdout`, async () => {
      // As in README's Claude Desktop config: the header names an env var, which mcp-remote substitutes.
      const { url, authorization } = target(style);
      const bridge = authorization ? mcpRemote([url, "--transport", "http-only", "--header", "Authorization:${AUTH}"], { AUTH: authorization }) : mcpRemote([url, "--transport", "http-only"]);
      try {
        const init = await bridge.request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "latchkey-test", version: "0" } }, 20_000);
        expect(init.result, JSON.stringify(init)).toMatchObject({ protocolVersion: expect.any(String), capabilities: { tools: expect.any(Object) } });
        bridge.notify("notifications/initialized");
        const list = await bridge.request("tools/list");
        expect(list.result.tools.map((t: { name: string }) => t.name)).toEqual(TOOLS);
        const before = stripeApi.requests.length;
        const call = await bridge.request("tools/call", { name: "stripe_get_balance", arguments: {} });
        expect(call.result.isError).toBeFalsy();
        expect(call.result.structuredContent).toMatchObject(BALANCE);
        expectBalanceContent(call.result.content);
        expect(stripeApi.requests.length).toBe(before + 1);
        // No OAuth flow, hence no browser: the bridge never met a 401.
        expect(bridge.stderr()).not.toMatch(/authoriz(e|ation) url|open(ing)? (the )?browser/i);
      } finally {
        await bridge.close();
      }
    });
  }
});
