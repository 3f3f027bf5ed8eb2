import { notFound } from "next/navigation";
import { PackEditor } from "./pack-editor";
import { connectors } from "@/lib/connectors/catalog";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import { getToolPack, toToolPackOut } from "@/lib/tool-packs/service";
import { headers } from "next/headers";
import { publicBaseUrl } from "@/lib/gateway/endpoint";

export default async function ToolPackPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const pack = /^tp_[0-9a-z]{22}$/.test(id) ? await getToolPack(rt.db, ctx.environment.id, id).catch(() => null) : null;
  if (!pack) notFound();
  const out = toToolPackOut(pack);
  const catalog = connectors.map((c) => ({
    slug: c.slug,
    name: c.name,
    tools: c.tools.map((t) => ({ name: t.name, description: t.description, scopes: t.scopes, write: t.annotations.readOnlyHint === false, destructive: Boolean(t.annotations.destructiveHint) })),
  }));
  const base = publicBaseUrl(rt, await headers());
  return (
    <div className="max-w-6xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">{out.name}</h1>
        <p className="mt-1 text-sm text-zinc-600">
          <code>{out.id}</code> · slug <code>{out.slug}</code>
        </p>
      </header>
      <PackEditor pack={{ id: out.id, entries: out.entries }} catalog={catalog} canEdit={hasRole(ctx.role, "developer")} />
      <section className="card space-y-3 p-4 text-sm" data-testid="connect-agent">
        <h2 className="font-semibold">Connect an agent</h2>
        <p className="text-zinc-600">
          Per user, from your backend: <code>POST /api/v1/mcp-instances/ensure</code> with <code>{`{ "tool_pack_id": "${out.id}", "user_identifier": "<your user id>" }`}</code> returns a
          pre-authenticated URL. Or call with your API key:
        </p>
        <pre className="overflow-x-auto rounded bg-zinc-900 p-3 text-xs text-zinc-100">{`${base}/api/v1/tool-packs/${out.id}/registered-users/<registered_user_id>/mcp
Authorization: Bearer lk_…`}</pre>
        <p className="font-medium">MCP SDK (TypeScript)</p>
        <pre className="overflow-x-auto rounded bg-zinc-900 p-3 text-xs text-zinc-100">{`import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
const client = new Client({ name: "my-agent", version: "1.0.0" });
await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
const { tools } = await client.listTools();`}</pre>
        <p className="font-medium">LangChain</p>
        <pre className="overflow-x-auto rounded bg-zinc-900 p-3 text-xs text-zinc-100">{`import { MultiServerMCPClient } from "@langchain/mcp-adapters";
const mcp = new MultiServerMCPClient({ mcpServers: { ${out.slug.replace(/-/g, "_")}: { transport: "http", url: mcpUrl } } });
const tools = await mcp.getTools();`}</pre>
        <p className="font-medium">AI SDK</p>
        <pre className="overflow-x-auto rounded bg-zinc-900 p-3 text-xs text-zinc-100">{`import { createMCPClient } from "@ai-sdk/mcp";
const mcp = await createMCPClient({ transport: { type: "http", url: mcpUrl } });
const tools = await mcp.tools();`}</pre>
        <p className="font-medium">Claude Desktop style (mcp-remote)</p>
        <pre className="overflow-x-auto rounded bg-zinc-900 p-3 text-xs text-zinc-100">{`{ "mcpServers": { "${out.slug}": { "command": "npx", "args": ["mcp-remote", "<instance url>"] } } }`}</pre>
      </section>
    </div>
  );
}
