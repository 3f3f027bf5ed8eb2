import type { Environment, RegisteredUser, ToolPack } from "@/db/schema";
import { authenticateApiKey } from "@/lib/api-keys/authenticate";
import { AppError } from "@/lib/errors";
import { mcpSessionSecret, mcpSessionStore } from "@/lib/gateway/endpoint";
import { authRequiredAsHttp401 } from "@/lib/gateway/auth-required";
import { packBackend } from "@/lib/gateway/pack-backend";
import { withUpstreamServers } from "@/lib/mcp-servers/backend";
import { withSecurityGateway } from "@/lib/security/enforce";
import { handleMcp } from "@/lib/mcp/handler";
import { withAlertContext } from "@/lib/alerts/context";
import type { McpEndpoint, McpHttpRequest, McpHttpResponse } from "@/lib/mcp/types";
import { resolveInstanceToken } from "@/lib/mcp-instances/service";
import { primeCallCache } from "@/lib/gateway/prime";
import { findRegisteredUser } from "@/db/queries/registered-users";
import type { Runtime } from "@/lib/runtime";
import { findToolPack } from "@/lib/tool-packs/service";
import { findApiKeyByHash } from "@/db/queries/api-keys";
import { hashToken } from "@/lib/crypto/tokens";

export type ResolvedMcp = {
  environment: Environment;
  pack: ToolPack;
  registeredUser: RegisteredUser | null;
  /**
   * Who is calling: `api_key:key_…`, `instance:mcpi_…`, `gateway_token:gwt_…`, `user_token:ut_…`,
   * `idp:ru_…` (any JWT of that user), `agent_session:ags_…`. Part of the session binding.
   */
  principal: { type: "api_key" | "instance" | "gateway_token" | "user_token" | "idp" | "agent_session"; id: string };
  /** URL 3 with an end user: a call that needs an account connected answers HTTP 401 McpAuthRequiredError. */
  authRequiredAsHttp?: boolean;
};

/** The MCP endpoint for (environment, principal, pack, user); sessions are bound to exactly that. */
export function endpointFor(rt: Runtime, r: ResolvedMcp, baseUrl: string): McpEndpoint {
  const actor = { type: r.principal.type === "api_key" ? ("api_key" as const) : ("system" as const), id: r.principal.id };
  return {
    backend: authRequiredAsHttp401(
      // The security gateway outermost: it sees connector and upstream tools' arguments and results alike.
      withSecurityGateway(
        rt,
        withUpstreamServers(rt, packBackend(rt, { environment: r.environment, pack: r.pack, registeredUser: r.registeredUser, baseUrl, actor }), {
          environment: r.environment,
          pack: r.pack,
          registeredUserId: r.registeredUser?.id ?? null,
          actor,
          baseUrl,
        }),
        { environment: r.environment, pack: r.pack, registeredUserId: r.registeredUser?.id ?? null, actor },
      ),
      r.authRequiredAsHttp === true,
    ),
    binding: `${r.environment.id}:${r.principal.type}:${r.principal.id}:${r.pack.id}:${r.registeredUser?.id ?? "-"}`,
    sessionSecret: mcpSessionSecret(rt),
    sessions: mcpSessionStore(rt),
    allowedOrigins: [],
  };
}

export async function serveMcp(rt: Runtime, req: McpHttpRequest, r: ResolvedMcp, baseUrl: string): Promise<McpHttpResponse> {
  enforceMcpRateLimits(rt, r);
  // Alerts raised below (an upstream refused by the outbound guard) belong to this tenant.
  return withAlertContext({ environmentId: r.environment.id, toolPackId: r.pack.id, registeredUserId: r.registeredUser?.id ?? null }, () => handleMcp(req, endpointFor(rt, r, baseUrl)));
}

/**
 * Per caller and per registered user, shared through the database so the limits hold across
 * replicas, decided in process (no query on the request path). Keys carry the environment, so
 * tenants never share a bucket; the client address plays no part, so a forged X-Forwarded-For
 * changes nothing.
 */
export function enforceMcpRateLimits(rt: Pick<Runtime, "env" | "limiter">, r: ResolvedMcp) {
  const checks: [string, number][] = [[`mcp:${r.environment.id}:${r.principal.type}:${r.principal.id}`, rt.env.LATCHKEY_MCP_RATE_LIMIT]];
  if (r.registeredUser) checks.push([`mcp:${r.environment.id}:user:${r.registeredUser.id}`, rt.env.LATCHKEY_MCP_USER_RATE_LIMIT]);
  for (const [bucket, limit] of checks) {
    const hit = rt.limiter.hit(bucket, limit, 60);
    if (!hit.allowed) {
      throw new AppError({ code: "rate_limited", message: `Too many MCP requests (limit ${limit} per minute${bucket.includes(":user:") ? " for this user" : ""}).`, retryAfter: hit.retryAfter });
    }
  }
}

/** MCP URL 2: `/mcp/i/{token}` — the token is the credential. */
export async function resolveInstanceRequest(rt: Runtime, token: string): Promise<ResolvedMcp> {
  const found = /^lk_mcp_[0-9A-Za-z]{43}$/.test(token)
    ? await rt.cache.get(`inst:${hashToken(token)}`, async () => {
        const since = rt.cache.generationNow;
        const row = await resolveInstanceToken(rt.db, token);
        if (!row) return null;
        primeCallCache(rt.cache, since, row);
        return { value: { instance: row.instance, environment: row.environment, pack: row.pack, user: row.user }, env: row.environment.id };
      })
    : null;
  if (!found) throw new AppError({ code: "unauthorized", message: "This MCP URL is invalid or was revoked." });
  return { environment: found.environment, pack: found.pack, registeredUser: found.user, principal: { type: "instance", id: found.instance.id } };
}

const idOk = (v: string, p: string) => v.length === p.length + 23 && v.startsWith(`${p}_`) && /^[0-9a-z]{22}$/.test(v.slice(p.length + 1));

/** MCP URL 1: `/api/v1/tool-packs/{tp}/registered-users/{ru}/mcp` with the API key. */
export async function resolveApiKeyRequest(
  rt: Runtime,
  input: { authorization: string | null; environmentHeader: string | null; toolPackId: string; registeredUserId: string; requestId: string; ip: string | null },
): Promise<ResolvedMcp> {
  const principal = await authenticateApiKey(rt.db, input, {
    find: (hash) =>
      rt.cache.get(`key:${hash}`, async () => {
        const row = await findApiKeyByHash(rt.db, hash);
        return row ? { value: row, env: row.environment.id } : null;
      }),
    shouldTouch: (id) => rt.cache.shouldTouch(`key:${id}`),
  });
  if (!idOk(input.toolPackId, "tp")) throw new AppError({ code: "not_found", message: "Tool pack not found." });
  if (!idOk(input.registeredUserId, "ru")) throw new AppError({ code: "not_found", message: "Registered user not found." });
  const envId = principal.environment.id;
  const pack = await rt.cache.get(`pack:${envId}:${input.toolPackId}`, async () => {
    const row = await findToolPack(rt.db, envId, input.toolPackId);
    return row ? { value: row, env: envId } : null;
  });
  if (!pack) throw new AppError({ code: "not_found", message: "Tool pack not found." });
  const user = await rt.cache.get(`ru:${envId}:${input.registeredUserId}`, async () => {
    const row = await findRegisteredUser(rt.db, envId, input.registeredUserId);
    return row ? { value: row, env: envId } : null;
  });
  if (!user) throw new AppError({ code: "not_found", message: "Registered user not found." });
  return { environment: principal.environment, pack, registeredUser: user, principal: { type: "api_key", id: principal.apiKey.id } };
}
