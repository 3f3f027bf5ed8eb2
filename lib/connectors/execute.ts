import type { Environment, RegisteredUser } from "@/db/schema";
import { resolveConnectionRow } from "@/db/queries/connections";
import { touchConnectionSoon } from "@/lib/connections/touch";
import { findTool } from "@/lib/connectors/catalog";
import { effectiveConfig } from "@/lib/connectors/configs";
import { ProviderAuthError, ToolError, type ToolFailure } from "@/lib/connectors/errors";
import { ProviderHttp } from "@/lib/connectors/http";
import { freshCredential, markReauthRequired } from "@/lib/connections/refresh";
import { baseUrlFor } from "@/lib/connections/service";
import type { Credential } from "@/lib/connections/credentials";
import { AUDIT_UNAVAILABLE, AUDIT_UNAVAILABLE_MESSAGE, mayUseCredentials, recordCredentialUse } from "@/lib/audit/credential-use";
import type { Actor } from "@/lib/audit/record";
import { getEnv } from "@/lib/env";
import { issuesFromZod } from "@/lib/errors";
import { sandboxApiBase } from "@/lib/sandbox/hosted";
import { log } from "@/lib/log";
import type { HotCache } from "@/lib/gateway/hot-cache";
import type { Runtime } from "@/lib/runtime";
import { withSpan } from "@/lib/tracing";

export type ToolCallResult =
  | { ok: true; data: unknown; connectionId: string; connector: string }
  | { ok: false; error: ToolFailure & { connector?: string }; connectionId?: string };

type Env = Pick<Environment, "id" | "organizationId">;

/**
 * Calls one connector tool for a registered user (or, with no user, on the environment's
 * shared connection): resolves the connection (user → group → shared), refreshes the token
 * when due, calls the provider, and on a 401 refreshes once and retries. Failures come back as
 * data the agent can act on.
 */
export async function executeConnectorTool(
  rt: Pick<Runtime, "db" | "keyring"> & { cache?: HotCache },
  input: { environment: Env; registeredUser: Pick<RegisteredUser, "id" | "sharedCredentialGroup"> | null; tool: string; args: unknown; signal?: AbortSignal; actor?: Actor },
): Promise<ToolCallResult> {
  const found = findTool(input.tool);
  if (!found) return { ok: false, error: { code: "invalid_arguments", message: `There is no tool named "${input.tool}".` } };
  const { connector: def, tool } = found;
  const parsed = tool.input.safeParse(input.args ?? {});
  if (!parsed.success) {
    return { ok: false, error: { code: "invalid_arguments", message: `The arguments do not match ${tool.name}'s input schema.`, issues: issuesFromZod(parsed.error.issues) } };
  }
  const envId = input.environment.id;
  const cfg = rt.cache
    ? (await rt.cache.get(`cfg:${envId}:${def.slug}`, async () => ({ value: await effectiveConfig(rt.db, envId, def.slug), env: envId })))!
    : await effectiveConfig(rt.db, envId, def.slug);
  if (!cfg.enabled) return { ok: false, error: { code: "connector_disabled", message: `${def.name} is disabled in this environment.`, connector: def.slug } };
  const owner = input.registeredUser ? { id: input.registeredUser.id, group: input.registeredUser.sharedCredentialGroup } : null;
  // A user without a connection is cached too ({ row: null }): an agent retrying a tool the user
  // has not connected must not cost a query per try. Connecting notifies, which drops it.
  let conn = rt.cache
    ? ((await rt.cache.get(`conn:${envId}:${def.slug}:${owner?.id ?? "-"}:${owner?.group ?? "-"}`, async () => ({ value: { row: await resolveConnectionRow(rt.db, envId, def.slug, owner) }, env: envId })))?.row ?? null)
    : await resolveConnectionRow(rt.db, envId, def.slug, owner);
  if (!conn) {
    return { ok: false, error: { code: "authentication_required", message: `Connect ${def.name} first.`, connector: def.slug } };
  }
  if (conn.status !== "active") {
    return { ok: false, error: { code: "reauth_required", message: `The ${def.name} connection needs to be reconnected.`, connector: def.slug }, connectionId: conn.id };
  }
  if (!mayUseCredentials()) {
    return { ok: false, error: { code: AUDIT_UNAVAILABLE, message: AUDIT_UNAVAILABLE_MESSAGE, connector: def.slug }, connectionId: conn.id };
  }
  const run = async (cred: Credential) => {
    const http = new ProviderHttp({
      connector: def,
      // A sandbox connection calls Latchkey's own simulated provider: only the base URL differs.
      baseUrl: conn!.sandbox ? sandboxApiBase(envId, def.slug, conn!.id) : baseUrlFor(def, cfg.baseUrl, cred),
      authHeaders: cred.type === "oauth2" ? { authorization: `Bearer ${cred.access_token}` } : def.auth.kind !== "oauth2" ? def.auth.headers(cred.values) : {},
      grantedScopes: conn!.grantedScopes,
      toolScopes: tool.scopes,
      timeoutMs: getEnv().LATCHKEY_CONNECTOR_TIMEOUT_MS,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    return tool.handler(parsed.data, { http, connection: { id: conn!.id, grantedScopes: conn!.grantedScopes, accountLabel: conn!.accountLabel }, signal: input.signal ?? new AbortController().signal });
  };
  try {
    let fresh = await withSpan("credential_resolution", { "latchkey.connector": def.slug }, () => freshCredential(rt, input.environment, conn!));
    conn = fresh.connection;
    recordCredentialUse(() => rt.db, { environment: input.environment, actor: input.actor, target: { type: "connection", id: conn.id }, tool: tool.name, registeredUserId: input.registeredUser?.id ?? null, via: { connector: def.slug } });
    let data: unknown;
    try {
      data = await withSpan("upstream_call", { "latchkey.connector": def.slug, "latchkey.tool": tool.name }, () => run(fresh.credential), { kind: "client" });
    } catch (err) {
      if (!(err instanceof ProviderAuthError)) throw err;
      if (fresh.credential.type !== "oauth2") {
        // An api key or password the provider refuses stays refused: the user must enter a new one.
        await markReauthRequired(rt, input.environment, conn, "credentials_rejected").catch((e) => log.warn("could not mark connection reauth_required", { connection: conn!.id, err: e }));
        return { ok: false, error: { code: "reauth_required", message: `${def.name} rejected the stored credentials: the user must reconnect.`, connector: def.slug }, connectionId: conn.id };
      }
      fresh = await freshCredential(rt, input.environment, conn, { force: true, rejectedAccessToken: fresh.credential.access_token });
      conn = fresh.connection;
      try {
        data = await run(fresh.credential);
      } catch (again) {
        if (again instanceof ProviderAuthError) {
          // The grant still refreshes but its tokens are refused (access revoked on the provider's side).
          await markReauthRequired(rt, input.environment, conn, "token_rejected_after_refresh").catch((e) => log.warn("could not mark connection reauth_required", { connection: conn!.id, err: e }));
          return { ok: false, error: { code: "reauth_required", message: `${def.name} still rejects the refreshed token: the user must reconnect.`, connector: def.slug }, connectionId: conn.id };
        }
        throw again;
      }
    }
    if (rt.cache?.shouldTouch(`conn:${conn.id}`) ?? true) touchConnectionSoon(() => rt.db, input.environment.id, conn.id);
    return { ok: true, data, connectionId: conn.id, connector: def.slug };
  } catch (err) {
    if (err instanceof ToolError) return { ok: false, error: { ...err.failure, connector: def.slug }, connectionId: conn.id };
    log.error("tool call failed", { tool: tool.name, connection: conn.id, err });
    return { ok: false, error: { code: "upstream_error", message: `The ${def.name} call failed unexpectedly.`, connector: def.slug }, connectionId: conn.id };
  }
}
