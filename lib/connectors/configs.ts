import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { connectorConfigs, type Connection, type ConnectorConfig, type Environment } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { getConnector } from "@/lib/connectors/catalog";
import { sandboxConfig } from "@/lib/sandbox/hosted";
import type { ConnectorDef } from "@/lib/connectors/types";
import { AppError, notFound } from "@/lib/errors";
import { createId } from "@/lib/ids";
import type { Runtime } from "@/lib/runtime";
import { createSecret, deleteSecret, readSecret } from "@/lib/secrets/service";

type Env = Pick<Environment, "id" | "organizationId">;

/** A connector's settings in one environment, with defaults filled in. Absent row = enabled, defaults. */
export type EffectiveConfig = {
  connector: ConnectorDef;
  enabled: boolean;
  baseUrl: string | null;
  scopes: string[] | null;
  oauthClientId: string | null;
  oauthClientSecretId: string | null;
  oauthAuthorizeUrl: string;
  oauthTokenUrl: string;
  oauthRevokeUrl: string | null;
  row: ConnectorConfig | null;
};

export function requireConnector(slug: string): ConnectorDef {
  const def = getConnector(slug);
  if (!def) throw notFound(`Connector "${slug}"`);
  return def;
}

export async function findConnectorConfig(db: DbOrTx, environmentId: string, slug: string) {
  const [row] = await db.select().from(connectorConfigs).where(and(eq(connectorConfigs.environmentId, environmentId), eq(connectorConfigs.connector, slug)));
  return row ?? null;
}

export async function effectiveConfig(db: DbOrTx, environmentId: string, slug: string): Promise<EffectiveConfig> {
  return effectiveConfigFrom(slug, await findConnectorConfig(db, environmentId, slug));
}

/** The settings from the environment's stored row (or none: the connector's defaults). */
export function effectiveConfigFrom(slug: string, row: ConnectorConfig | null): EffectiveConfig {
  const def = requireConnector(slug);
  const oauth = def.auth.kind === "oauth2" ? def.auth : null;
  return {
    connector: def,
    enabled: row?.enabled ?? true,
    baseUrl: row?.baseUrl ?? null,
    scopes: row?.scopes ?? null,
    oauthClientId: row?.oauthClientId ?? null,
    oauthClientSecretId: row?.oauthClientSecretId ?? null,
    oauthAuthorizeUrl: row?.oauthAuthorizeUrl ?? oauth?.authorizeUrl ?? "",
    oauthTokenUrl: row?.oauthTokenUrl ?? oauth?.tokenUrl ?? "",
    oauthRevokeUrl: row?.oauthRevokeUrl ?? oauth?.revokeUrl ?? null,
    row,
  };
}

/**
 * The settings a connection is called with: the environment's, or, for a sandbox connection,
 * Latchkey's own simulated provider (base URL and OAuth endpoints under /sandbox/{env}/{connector}).
 */
export async function connectionConfig(db: DbOrTx, environmentId: string, conn: Pick<Connection, "id" | "connector" | "sandbox">): Promise<EffectiveConfig> {
  const cfg = await effectiveConfig(db, environmentId, conn.connector);
  return conn.sandbox ? sandboxConfig(cfg, environmentId, { connectionId: conn.id }) : cfg;
}

export async function oauthClientSecret(rt: Pick<Runtime, "db" | "keyring">, env: Env, cfg: EffectiveConfig): Promise<string | null> {
  return cfg.oauthClientSecretId ? readSecret(rt, env, cfg.oauthClientSecretId) : null;
}

export type ConnectorConfigPatch = {
  enabled?: boolean | undefined;
  oauthClientId?: string | null | undefined;
  /** Write-only: stored as an encrypted secret; null removes it. */
  oauthClientSecret?: string | null | undefined;
  scopes?: string[] | null | undefined;
  baseUrl?: string | null | undefined;
  oauthAuthorizeUrl?: string | null | undefined;
  oauthTokenUrl?: string | null | undefined;
  oauthRevokeUrl?: string | null | undefined;
};

export async function updateConnectorConfig(
  rt: Pick<Runtime, "db" | "keyring">,
  input: { environment: Env; slug: string; patch: ConnectorConfigPatch; actor: Actor; requestId?: string | null },
) {
  const def = requireConnector(input.slug);
  const p = input.patch;
  if (def.auth.kind !== "oauth2" && (p.oauthClientId || p.oauthClientSecret || p.oauthAuthorizeUrl || p.oauthTokenUrl || p.oauthRevokeUrl || p.scopes)) {
    throw new AppError({ code: "validation_error", message: `${def.name} is not an OAuth connector: it has no OAuth app or scopes to configure.` });
  }
  return rt.db.transaction(async (tx) => {
    const existing = await findConnectorConfig(tx, input.environment.id, input.slug);
    let secretId = existing?.oauthClientSecretId ?? null;
    const txRt = { ...rt, db: tx as unknown as Runtime["db"] };
    if (p.oauthClientSecret !== undefined) {
      if (secretId) await deleteSecret(tx, input.environment.id, secretId);
      secretId = p.oauthClientSecret
        ? await createSecret(txRt, {
            environment: input.environment,
            name: `connector:${input.slug}:oauth_client_secret:${createId("secret")}`,
            value: p.oauthClientSecret,
            actor: input.actor,
            requestId: input.requestId ?? null,
          })
        : null;
    }
    const values = {
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      ...(p.oauthClientId !== undefined ? { oauthClientId: p.oauthClientId } : {}),
      ...(p.scopes !== undefined ? { scopes: p.scopes } : {}),
      ...(p.baseUrl !== undefined ? { baseUrl: p.baseUrl } : {}),
      ...(p.oauthAuthorizeUrl !== undefined ? { oauthAuthorizeUrl: p.oauthAuthorizeUrl } : {}),
      ...(p.oauthTokenUrl !== undefined ? { oauthTokenUrl: p.oauthTokenUrl } : {}),
      ...(p.oauthRevokeUrl !== undefined ? { oauthRevokeUrl: p.oauthRevokeUrl } : {}),
      oauthClientSecretId: secretId,
    };
    if (existing) {
      await tx.update(connectorConfigs).set({ ...values, updatedAt: sql`now()` }).where(eq(connectorConfigs.id, existing.id));
    } else {
      await tx.insert(connectorConfigs).values({ id: createId("connectorConfig"), environmentId: input.environment.id, connector: input.slug, ...values });
    }
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "connector_config.updated",
      target: { type: "connector", id: input.slug },
      requestId: input.requestId ?? null,
      // Which fields changed; the secret itself never appears.
      metadata: { fields: Object.keys(p).filter((k) => p[k as keyof ConnectorConfigPatch] !== undefined) },
    });
    return effectiveConfig(tx, input.environment.id, input.slug);
  });
}

export async function listConnectorConfigRows(db: DbOrTx, environmentId: string) {
  return db.select().from(connectorConfigs).where(eq(connectorConfigs.environmentId, environmentId));
}
