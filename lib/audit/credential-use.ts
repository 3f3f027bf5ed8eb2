import type { Db } from "@/db/client";
import { auditBatch, auditSinkHealthy } from "@/lib/audit/batch";
import type { Actor } from "@/lib/audit/record";
import { currentRequestId } from "@/lib/log";

export const AUDIT_UNAVAILABLE = "audit_unavailable";
export const AUDIT_UNAVAILABLE_MESSAGE = "Latchkey cannot write its audit log right now, so it does not use stored credentials; try again in a moment.";

/** F9: refuse to read a stored credential while its use could not be audited. */
export const mayUseCredentials = auditSinkHealthy;

/**
 * A1: one audit row per tool call that injected a stored credential into a provider or
 * upstream request — who (the key, token or session's id), for which user, through which
 * connection or server, under which request id. Written off the request path (lib/audit/batch.ts).
 */
export function recordCredentialUse(
  db: () => Db,
  input: {
    environment: { id: string; organizationId: string };
    actor: Actor | undefined;
    target: { type: "connection" | "mcp_server"; id: string };
    tool: string;
    registeredUserId: string | null;
    via: { connector: string } | { server: string };
  },
) {
  auditBatch(db).record({
    organizationId: input.environment.organizationId,
    environmentId: input.environment.id,
    actor: input.actor ?? { type: "system", id: "gateway" },
    action: "credential.injected",
    target: input.target,
    requestId: currentRequestId() ?? null,
    metadata: { tool: input.tool.slice(0, 200), registered_user_id: input.registeredUserId, ...input.via },
  });
}
