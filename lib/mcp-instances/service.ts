import { and, eq, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { rowsFromJson } from "@/db/queries/json-rows";
import { connections, connectorConfigs, environments, mcpInstances, registeredUsers, securityRules, toolPacks, type Environment, type McpInstance } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { generateToken, hashToken } from "@/lib/crypto/tokens";
import { seal, unseal } from "@/lib/crypto/vault";
import { notFound } from "@/lib/errors";
import { createId } from "@/lib/ids";
import type { Runtime } from "@/lib/runtime";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };

const aad = (env: Env, id: string) => ({ org: env.organizationId, env: env.id, table: "mcp_instances", row: id, field: "token" });
export const instanceUrl = (baseUrl: string, token: string) => `${baseUrl.replace(/\/$/, "")}/mcp/i/${token}`;

export function instanceToken(rt: Pick<Runtime, "keyring">, env: Env, inst: McpInstance): string {
  return unseal(rt, inst.tokenSealed, aad(env, inst.id));
}

/**
 * Idempotent: the live instance of (pack, user), or a new one. The unique index on live
 * instances decides between concurrent callers.
 */
export async function ensureInstance(rt: Rt, input: { environment: Env; toolPackId: string; registeredUserId: string } & Caller) {
  const find = async (db: DbOrTx) =>
    (
      await db
        .select()
        .from(mcpInstances)
        .where(
          and(
            eq(mcpInstances.environmentId, input.environment.id),
            eq(mcpInstances.toolPackId, input.toolPackId),
            eq(mcpInstances.registeredUserId, input.registeredUserId),
            isNull(mcpInstances.revokedAt),
          ),
        )
    )[0] ?? null;
  const existing = await find(rt.db);
  if (existing) return { instance: existing, created: false };
  const id = createId("mcpInstance");
  const { token, hash } = generateToken("lk_mcp");
  return rt.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(mcpInstances)
      .values({ id, environmentId: input.environment.id, toolPackId: input.toolPackId, registeredUserId: input.registeredUserId, tokenHash: hash, tokenSealed: seal(rt, token, aad(input.environment, id)) })
      .onConflictDoNothing()
      .returning();
    if (!row) return { instance: (await find(tx))!, created: false };
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_instance.created",
      target: { type: "mcp_instance", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { tool_pack_id: input.toolPackId, registered_user_id: input.registeredUserId },
    });
    return { instance: row, created: true };
  });
}

export async function getInstance(db: DbOrTx, environmentId: string, id: string) {
  const [row] = await db.select().from(mcpInstances).where(and(eq(mcpInstances.environmentId, environmentId), eq(mcpInstances.id, id)));
  if (!row) throw notFound("MCP instance");
  return row;
}

/** A new URL token; the old one stops working at once. */
export async function rotateInstance(rt: Rt, input: { environment: Env; id: string } & Caller) {
  const { token, hash } = generateToken("lk_mcp");
  return rt.db.transaction(async (tx) => {
    const inst = await getInstance(tx, input.environment.id, input.id);
    if (inst.revokedAt) throw notFound("MCP instance");
    const [row] = await tx
      .update(mcpInstances)
      .set({ tokenHash: hash, tokenSealed: seal(rt, token, aad(input.environment, inst.id)), rotatedAt: sql`now()` })
      .where(and(eq(mcpInstances.environmentId, input.environment.id), eq(mcpInstances.id, inst.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_instance.rotated",
      target: { type: "mcp_instance", id: inst.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
    });
    return row!;
  });
}

export async function revokeInstance(rt: Rt, input: { environment: Env; id: string } & Caller) {
  return rt.db.transaction(async (tx) => {
    const inst = await getInstance(tx, input.environment.id, input.id);
    if (inst.revokedAt) return inst;
    const [row] = await tx
      .update(mcpInstances)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(mcpInstances.environmentId, input.environment.id), eq(mcpInstances.id, inst.id)))
      .returning();
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "mcp_instance.revoked",
      target: { type: "mcp_instance", id: inst.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
    });
    return row!;
  });
}

/** The instance URL's token → everything an MCP request needs, in one query. */
export async function resolveInstanceToken(db: DbOrTx, token: string) {
  if (!/^lk_mcp_[0-9A-Za-z]{43}$/.test(token)) return null;
  const [row] = await db
    .select({
      instance: mcpInstances,
      environment: environments,
      pack: toolPacks,
      user: registeredUsers,
      // What the first tools/call will need, in the same statement (DESIGN section 8: a cold call
      // makes one query): the environment's security rules and connector settings, and the
      // connections the user can call with (their own, their group's, the environment's).
      rules: sql<unknown>`(select coalesce(json_agg(r order by r.id), '[]'::json) from security_rules r where r.environment_id = ${mcpInstances.environmentId})`,
      configs: sql<unknown>`(select coalesce(json_agg(c), '[]'::json) from connector_configs c where c.environment_id = ${mcpInstances.environmentId})`,
      connections: sql<unknown>`(select coalesce(json_agg(x), '[]'::json) from connections x where x.environment_id = ${mcpInstances.environmentId} and (x.owner_type = 'environment' or (x.owner_type = 'registered_user' and x.owner_id = ${registeredUsers.id}) or (x.owner_type = 'group' and x.owner_id = ${registeredUsers.sharedCredentialGroup})))`,
    })
    .from(mcpInstances)
    .innerJoin(environments, eq(environments.id, mcpInstances.environmentId))
    .innerJoin(toolPacks, and(eq(toolPacks.id, mcpInstances.toolPackId), eq(toolPacks.environmentId, mcpInstances.environmentId)))
    .innerJoin(registeredUsers, and(eq(registeredUsers.id, mcpInstances.registeredUserId), eq(registeredUsers.environmentId, mcpInstances.environmentId)))
    .where(and(eq(mcpInstances.tokenHash, hashToken(token)), isNull(mcpInstances.revokedAt)));
  if (!row) return null;
  return {
    instance: row.instance,
    environment: row.environment,
    pack: row.pack,
    user: row.user,
    preload: { rules: rowsFromJson(securityRules, row.rules), configs: rowsFromJson(connectorConfigs, row.configs), connections: rowsFromJson(connections, row.connections) },
  };
}
