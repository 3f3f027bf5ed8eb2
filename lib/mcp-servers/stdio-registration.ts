import { findMcpServerBySlug } from "@/db/queries/mcp-servers";
import { mcpServers, type Environment, type McpServer } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { AppError } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { checkStdioConfig, type StdioConfig } from "@/lib/mcp-servers/stdio";
import type { Runtime } from "@/lib/runtime";
import { slugify } from "@/lib/tool-packs/service";

type Env = Pick<Environment, "id" | "organizationId">;

/**
 * Registers a stdio MCP server (issue 6 item 8). Refused with a validation error unless
 * LATCHKEY_ALLOW_STDIO=true. No discovery and no auth: the process gets its credentials from
 * the environment variables its config names, read from secrets per user when it starts.
 */
export async function createStdioServer(
  rt: Pick<Runtime, "db">,
  input: { environment: Env; name: string; slug?: string | undefined; stdio: StdioConfig; actor: Actor; requestId?: string | null; ip?: string | null },
): Promise<McpServer> {
  checkStdioConfig(input.stdio);
  const slug = input.slug ?? slugify(input.name);
  if (slug.includes("__")) throw new AppError({ code: "validation_error", message: "The slug cannot contain two underscores in a row.", issues: [{ path: "slug", message: "contains __" }] });
  const conflict = () => new AppError({ code: "conflict", message: `An MCP server with slug "${slug}" already exists.`, issues: [{ path: "slug", message: "already taken" }] });
  if (await findMcpServerBySlug(rt.db, input.environment.id, slug)) throw conflict();
  const id = createId("mcpServer");
  return rt.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(mcpServers)
      .values({ id, environmentId: input.environment.id, name: input.name, slug, url: `stdio://${slug}`, transport: "stdio", authMode: "none", stdioConfig: input.stdio })
      .onConflictDoNothing({ target: [mcpServers.environmentId, mcpServers.slug] })
      .returning();
    if (!row) throw conflict();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_server.created",
      target: { type: "mcp_server", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { name: row.name, slug, transport: "stdio", command: input.stdio.command, env: Object.keys(input.stdio.env ?? {}) },
    });
    return row;
  });
}
