import * as z from "zod";
import { AgentsClient } from "./agents-client";
import { listEnvironmentMcpServers } from "@/db/queries/mcp-servers";
import { activeSessionCounts, listAgents, toAgentOut } from "@/lib/agents/service";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { listToolPacks } from "@/lib/tool-packs/service";

export const metadata = { title: "Agents" };

const searchSchema = z.object({ cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional() });

export default async function AgentsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const sp = searchSchema.safeParse(await searchParams);
  const [agents, servers, packs] = await Promise.all([
    listAgents(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: sp.success ? sp.data.cursor : undefined }),
    listEnvironmentMcpServers(rt.db, ctx.environment.id),
    listToolPacks(rt.db, { environmentId: ctx.environment.id, limit: 200 }),
  ]);
  const sessions = await activeSessionCounts(rt.db, ctx.environment.id, agents.data.map((a) => a.id));
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Agents</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Agents of <strong>{ctx.environment.name}</strong>. An agent names the MCP servers its sessions may connect and the tool packs every session serves. Your
          backend opens a session for one of your users (<code>POST /api/v1/agents/&#123;id&#125;/sessions</code>), gets a ticket (shown once) and an MCP URL{" "}
          <code>/mcp/sessions/&lt;id&gt;</code>, and connects servers to it as the conversation needs them.
        </p>
      </header>
      <AgentsClient
        agents={agents.data.map((a) => ({ ...toAgentOut(a), active_sessions: sessions.get(a.id) ?? 0 }))}
        servers={servers.map((s) => ({ id: s.id, name: s.name, slug: s.slug }))}
        packs={packs.data.map((p) => ({ id: p.id, name: p.name }))}
        canWrite={hasRole(ctx.role, "developer")}
        nextCursor={agents.nextCursor}
      />
    </div>
  );
}
