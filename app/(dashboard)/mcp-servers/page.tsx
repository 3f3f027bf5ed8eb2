import * as z from "zod";
import { McpServersClient } from "./mcp-servers-client";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { listMcpServers, toMcpServerOut } from "@/lib/mcp-servers/service";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "MCP servers" };

const searchSchema = z.object({ cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional() });

export default async function McpServersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const sp = searchSchema.safeParse(await searchParams);
  const servers = await listMcpServers(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: sp.success ? sp.data.cursor : undefined });
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">MCP servers</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Upstream MCP servers of <strong>{ctx.environment.name}</strong>. Paste a server&apos;s URL: Latchkey asks it how it wants to be authenticated (RFC 9728
          protected resource metadata, then the authorization server&apos;s metadata), fills in what it finds, and registers itself as an OAuth client when the
          server allows it. Add the server to a tool pack (<code>{"{ server: <slug>, tools: \"*\" }"}</code>) and its tools appear as{" "}
          <code>&lt;slug&gt;__&lt;tool&gt;</code>.
        </p>
      </header>
      <McpServersClient servers={servers.data.map(toMcpServerOut)} canWrite={hasRole(ctx.role, "developer")} nextCursor={servers.nextCursor} />
    </div>
  );
}
