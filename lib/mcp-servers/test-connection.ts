import type { Environment } from "@/db/schema";
import { sharedCredentials } from "@/lib/mcp-servers/credentials";
import { getMcpServer } from "@/lib/mcp-servers/service";
import { UpstreamClient, UpstreamError } from "@/lib/mcp-servers/upstream";
import { OutboundError, pinnedDispatcher } from "@/lib/net/outbound-guard";
import { log } from "@/lib/log";
import type { Runtime } from "@/lib/runtime";

export type ConnectionTest = { ok: true; tools: string[] } | { ok: false; message: string };

const TEST_TIMEOUT_MS = 15_000;

/**
 * "Test connection" of the dashboard: tools/list through the same path the gateway uses (the
 * outbound guard's pinned dispatcher, the server's own credentials, the upstream client), on a
 * client of its own that is closed afterwards. Failures come back as words, never as a body.
 */
export async function testMcpServerConnection(rt: Pick<Runtime, "db" | "keyring">, env: Pick<Environment, "id" | "organizationId">, id: string): Promise<ConnectionTest> {
  const server = await getMcpServer(rt.db, env.id, id);
  let client: UpstreamClient | null = null;
  try {
    const agent = await pinnedDispatcher(server.url);
    client = new UpstreamClient(server, agent, sharedCredentials(rt, env, server));
    const tools: string[] = [];
    let cursor: string | undefined;
    const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
    for (let page = 0; page < 20; page++) {
      const r = await client.rpc("tools/list", cursor ? { cursor } : {}, signal);
      for (const t of Array.isArray(r.tools) ? r.tools : []) if (t && typeof t === "object" && typeof (t as { name?: unknown }).name === "string") tools.push((t as { name: string }).name);
      cursor = typeof r.nextCursor === "string" && r.nextCursor ? r.nextCursor : undefined;
      if (!cursor) break;
    }
    return { ok: true, tools };
  } catch (err) {
    if (err instanceof UpstreamError) return { ok: false, message: err.message };
    if (err instanceof OutboundError) return { ok: false, message: `The server URL was refused: ${err.message}.` };
    log.warn("MCP server connection test failed", { server: server.id, error: err instanceof Error ? err.name : "unknown" });
    return { ok: false, message: `${server.slug} could not be reached.` };
  } finally {
    client?.close();
  }
}
