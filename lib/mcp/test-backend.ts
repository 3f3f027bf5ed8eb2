import { randomBytes } from "node:crypto";
import { McpHttpError, type McpBackend, type McpEndpoint, type McpSessionStore, type McpTool } from "@/lib/mcp/types";

/**
 * Test doubles for the MCP core: a small in-memory backend and session store. Used by the
 * unit tests beside this file; not imported by production code.
 */

export const TEST_TOOLS: McpTool[] = [
  {
    name: "echo",
    description: "Echo the text back.",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    annotations: { readOnlyHint: true },
  },
  {
    name: "fail",
    description: "Always answers with a tool error.",
    inputSchema: { type: "object", properties: {} },
  },
  {
    name: "slow",
    description: "Takes two seconds unless cancelled.",
    inputSchema: { type: "object", properties: {} },
  },
];

export type TestBackend = McpBackend & {
  calls: { name: string; args: Record<string, unknown>; requestId: string | number }[];
  /** Resolves when a `slow` call ends, with whether it saw its signal abort. */
  slowEnded: Promise<{ aborted: boolean; ms: number }>;
};

export function testBackend(): TestBackend {
  let endSlow: (v: { aborted: boolean; ms: number }) => void = () => {};
  const backend: TestBackend = {
    serverInfo: { name: "latchkey-test", title: "Latchkey test pack", version: "1.2.3" },
    instructions: "Use echo to repeat text.",
    calls: [],
    slowEnded: new Promise((resolve) => {
      endSlow = resolve;
    }),
    async listTools() {
      return TEST_TOOLS;
    },
    async callTool(name, args, ctx) {
      backend.calls.push({ name, args, requestId: ctx.requestId });
      switch (name) {
        case "echo":
          return { content: [{ type: "text", text: `echo: ${String(args.text)}` }], structuredContent: { text: args.text } };
        case "fail":
          return { isError: true, content: [{ type: "text", text: "upstream said no" }], structuredContent: { code: "upstream_error" } };
        case "crash":
          throw new Error("backend exploded at /srv/secret/path");
        case "slow": {
          const started = Date.now();
          const aborted = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 2000);
            ctx.signal.addEventListener(
              "abort",
              () => {
                clearTimeout(timer);
                resolve(true);
              },
              { once: true },
            );
          });
          endSlow({ aborted, ms: Date.now() - started });
          if (aborted) throw new Error("aborted");
          return { content: [{ type: "text", text: "done" }] };
        }
        default:
          // What the pack backend does for a tool outside the pack.
          throw new McpHttpError(403, {
            code: -32003,
            message: `The tool "${name}" is not in the tool pack.`,
            data: { code: "unauthorized_tool", tool: name },
          });
      }
    },
  };
  return backend;
}

export function memorySessionStore(): McpSessionStore & { ended: Set<string> } {
  const ended = new Set<string>();
  return {
    ended,
    async isTerminated(id) {
      return ended.has(id);
    },
    async terminate(id) {
      ended.add(id);
    },
  };
}

export const TEST_SECRET = randomBytes(32);

export function testEndpoint(over: Partial<McpEndpoint> = {}): McpEndpoint & { backend: TestBackend } {
  return {
    backend: testBackend(),
    binding: "env_1:api_key:key_1:tp_1:ru_1",
    sessionSecret: TEST_SECRET,
    sessions: memorySessionStore(),
    allowedOrigins: ["https://app.example.com"],
    ...over,
  } as McpEndpoint & { backend: TestBackend };
}
