import type { Environment } from "@/db/schema";
import { touchConnection } from "@/db/queries/connections";
import { recordAudit } from "@/lib/audit/record";
import { connectionConfig } from "@/lib/connectors/configs";
import { ToolError } from "@/lib/connectors/errors";
import { freshCredential } from "@/lib/connections/refresh";
import { baseUrlFor, getConnection, type Caller } from "@/lib/connections/service";
import { AppError } from "@/lib/errors";
import type { Runtime } from "@/lib/runtime";

/**
 * Projection: the headers for one provider call, for a backend that calls the provider
 * itself. The access token is refreshed first when due; the refresh token never leaves.
 * Every projection is audited (it hands out a credential).
 */
export async function projectConnection(rt: Pick<Runtime, "db" | "keyring">, input: { environment: Pick<Environment, "id" | "organizationId">; id: string } & Caller) {
  const conn = await getConnection(rt.db, input.environment.id, input.id);
  if (conn.status !== "active") throw new AppError({ code: "conflict", message: "This connection needs the user to reconnect.", details: { connection_status: conn.status } });
  let fresh;
  try {
    fresh = await freshCredential(rt, input.environment, conn);
  } catch (err) {
    if (err instanceof ToolError) {
      throw new AppError({ code: err.failure.code === "reauth_required" ? "conflict" : "service_unavailable", message: err.failure.message, ...(err.failure.retry_after ? { retryAfter: err.failure.retry_after } : {}) });
    }
    throw err;
  }
  const cfg = await connectionConfig(rt.db, input.environment.id, conn);
  const def = cfg.connector;
  const cred = fresh.credential;
  const headers: Record<string, string> = {
    ...(def.defaultHeaders ?? {}),
    ...(cred.type === "oauth2" ? { authorization: `Bearer ${cred.access_token}` } : def.auth.kind !== "oauth2" ? def.auth.headers(cred.values) : {}),
  };
  await recordAudit(rt.db, {
    organizationId: input.environment.organizationId,
    environmentId: input.environment.id,
    actor: input.actor,
    action: "connection.projected",
    target: { type: "connection", id: conn.id },
    requestId: input.requestId ?? null,
    ip: input.ip ?? null,
    metadata: { connector: conn.connector },
  });
  touchConnection(rt.db, input.environment.id, conn.id).catch(() => {});
  return {
    connection_id: conn.id,
    connector: conn.connector,
    base_url: baseUrlFor(def, cfg.baseUrl, cred),
    headers,
    expires_at: fresh.connection.expiresAt?.toISOString() ?? null,
  };
}
