import type { Environment, McpInstance } from "@/db/schema";
import { resolveConnectionRow } from "@/db/queries/connections";
import { createLinkToken } from "@/lib/link-tokens/service";
import { instanceToken, instanceUrl, type Caller } from "@/lib/mcp-instances/service";
import type { Runtime } from "@/lib/runtime";
import { getRegisteredUser } from "@/lib/registered-users/service";
import { getToolPack, resolvePackTools } from "@/lib/tool-packs/service";

type Env = Pick<Environment, "id" | "organizationId">;

export function toInstanceOut(rt: Pick<Runtime, "keyring">, env: Env, inst: McpInstance, baseUrl: string) {
  return {
    id: inst.id,
    object: "mcp_instance" as const,
    environment_id: inst.environmentId,
    tool_pack_id: inst.toolPackId,
    registered_user_id: inst.registeredUserId,
    url: inst.revokedAt ? null : instanceUrl(baseUrl, instanceToken(rt, env, inst)),
    status: inst.revokedAt ? ("revoked" as const) : ("active" as const),
    created_at: inst.createdAt.toISOString(),
    rotated_at: inst.rotatedAt?.toISOString() ?? null,
    revoked_at: inst.revokedAt?.toISOString() ?? null,
  };
}

/** Scalekit's auth_state: every connector the pack needs, the user's status for it, and a link when asked. */
export async function authState(rt: Pick<Runtime, "db" | "keyring">, input: { environment: Env; instance: McpInstance; includeLinks: boolean; baseUrl: string } & Caller) {
  const pack = await getToolPack(rt.db, input.environment.id, input.instance.toolPackId);
  const user = await getRegisteredUser(rt.db, input.environment.id, input.instance.registeredUserId);
  const connectors = [...new Set(resolvePackTools(pack.entries).map((t) => t.connector.slug))];
  const rows = [];
  for (const slug of connectors) {
    const conn = await resolveConnectionRow(rt.db, input.environment.id, slug, { id: user.id, group: user.sharedCredentialGroup });
    const status = conn?.status ?? "not_connected";
    let link: string | null = null;
    if (input.includeLinks && status !== "active") {
      link = (await createLinkToken(rt.db, { environment: input.environment, registeredUserId: user.id, connectors: [slug], baseUrl: input.baseUrl, actor: input.actor, requestId: input.requestId ?? null })).url;
    }
    rows.push({ connection_name: slug, connected_account_status: status, connection_id: conn?.id ?? null, authentication_link: link });
  }
  return { instance_id: input.instance.id, connections: rows };
}
