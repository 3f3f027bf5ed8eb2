import { appendMcpServerScopes } from "@/db/queries/mcp-servers";
import type { Environment, McpServer } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { log } from "@/lib/log";
import type { Runtime } from "@/lib/runtime";

type Env = Pick<Environment, "id" | "organizationId">;

/**
 * Keeps the scopes an upstream's 403 challenge asked for in the server's settings, so every
 * later authorization (a user's reconnect through Link, the next client-credentials token)
 * asks for them too. Audited as a change to the server made by the upstream's demand, with
 * the caller whose call met the challenge as actor. Returns whether anything was added.
 */
export async function keepChallengedScopes(rt: Pick<Runtime, "db">, env: Env, server: Pick<McpServer, "id" | "slug">, challenged: string[], actor: Actor): Promise<boolean> {
  if (challenged.length === 0) return false;
  try {
    return await rt.db.transaction(async (tx) => {
      const after = await appendMcpServerScopes(tx, env.id, server.id, challenged);
      if (!after) return false;
      await recordAudit(tx, {
        organizationId: env.organizationId,
        environmentId: env.id,
        actor,
        action: "mcp_server.scopes_stepped_up",
        target: { type: "mcp_server", id: server.id },
        metadata: { slug: server.slug, challenged, scopes: after.scopes },
      });
      return true;
    });
  } catch (err) {
    // The refusal still reaches the caller; only the memory of the scopes is lost.
    log.warn("could not keep an upstream's challenged scopes", { server: server.id, error: err instanceof Error ? err.message : "unknown" });
    return false;
  }
}
