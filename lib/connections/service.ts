import { and, eq, sql } from "drizzle-orm";
import * as z from "zod";
import type { DbOrTx } from "@/db/client";
import { connections, type Connection, type Environment } from "@/db/schema";
import { findConnection, findOwnedConnection, listConnectionRows, listConnectionsOfOwner } from "@/db/queries/connections";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { connectionConfig, effectiveConfig, oauthClientSecret, requireConnector } from "@/lib/connectors/configs";
import { ProviderAuthError, ToolError } from "@/lib/connectors/errors";
import { ProviderHttp } from "@/lib/connectors/http";
import type { ConnectorDef } from "@/lib/connectors/types";
import { sealCredential, unsealCredential, type Credential } from "@/lib/connections/credentials";
import { revokeToken } from "@/lib/connections/oauth-client";
import { sha256Hex } from "@/lib/crypto/tokens";
import { AppError, issuesFromZod, notFound } from "@/lib/errors";
import { decodeCursor, page } from "@/lib/http/pagination";
import { createId } from "@/lib/ids";
import { log } from "@/lib/log";
import type { Runtime } from "@/lib/runtime";
import type { ConnectionOut } from "@/lib/schemas/connections";
import { connectionEventData } from "@/lib/webhooks/events";
import { emitEvent } from "@/lib/webhooks/outbox";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring">;
export type Owner = { type: Connection["ownerType"]; id: string };
/** `via`: what the actor came through when it is not the actor itself (e.g. the magic link ml_… an end user opened); audited. */
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null; via?: string | null };

const mask = (v: string) => (v.length <= 8 ? "••••" : `••••${v.slice(-4)}`);

/** Masked view: form values with secret fields reduced to their last 4 characters; never a token. */
export function toConnectionOut(rt: Rt, env: Env, c: Connection): ConnectionOut {
  // A connection to a registered MCP server (per-user OAuth) is keyed by the server's id.
  const def = /^srv_[0-9a-z]+$/.test(c.connector) ? ({ auth: { kind: "oauth2" } } as const) : requireConnector(c.connector);
  let fields: Record<string, string> | null = null;
  if (def.auth.kind !== "oauth2") {
    try {
      const cred = unsealCredential(rt, env, c);
      if (cred.type !== "oauth2") {
        const secret = new Set(def.auth.secretFields);
        fields = Object.fromEntries(Object.entries(cred.values).map(([k, v]) => [k, secret.has(k) ? mask(v) : v]));
      }
    } catch {
      fields = null;
    }
  }
  return {
    id: c.id,
    object: "connection",
    environment_id: c.environmentId,
    connector: c.connector,
    auth_kind: def.auth.kind,
    owner_type: c.ownerType,
    registered_user_id: c.ownerType === "registered_user" ? c.ownerId : null,
    shared_credential_group: c.ownerType === "group" ? c.ownerId : null,
    status: c.status,
    account_label: c.accountLabel,
    granted_scopes: c.grantedScopes,
    expires_at: c.expiresAt?.toISOString() ?? null,
    last_used_at: c.lastUsedAt?.toISOString() ?? null,
    last_refreshed_at: c.lastRefreshedAt?.toISOString() ?? null,
    fields,
    sandbox: c.sandbox,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export async function getConnection(db: DbOrTx, environmentId: string, id: string) {
  const c = await findConnection(db, environmentId, id);
  if (!c) throw notFound("Connection");
  return c;
}

export async function listConnections(
  db: DbOrTx,
  input: { environmentId: string; limit: number; cursor?: string | undefined; owner?: Owner | undefined; connector?: string | undefined; status?: Connection["status"] | undefined },
) {
  const rows = await listConnectionRows(db, {
    environmentId: input.environmentId,
    limit: input.limit,
    beforeId: decodeCursor(input.cursor),
    ownerType: input.owner?.type,
    ownerId: input.owner?.id,
    connector: input.connector,
    status: input.status,
  });
  return page(rows, input.limit);
}

export function providerHttpFor(def: ConnectorDef, baseUrl: string, cred: Credential, grantedScopes: string[]) {
  const authHeaders =
    cred.type === "oauth2" ? { authorization: `Bearer ${cred.access_token}` } : def.auth.kind !== "oauth2" ? def.auth.headers(cred.values) : {};
  return new ProviderHttp({ connector: def, baseUrl, authHeaders, grantedScopes, toolScopes: [], timeoutMs: 15_000 });
}

export function baseUrlFor(def: ConnectorDef, configured: string | null, cred: Credential): string {
  if (configured) return configured;
  if (cred.type !== "oauth2" && def.baseUrlFromCredential) return def.baseUrlFromCredential(cred.values);
  return def.baseUrl;
}

/**
 * Stores (or replaces, keeping the id) an owner's connection. Reconnecting a connection that
 * needed re-authentication brings it back to `active` in place.
 */
export async function upsertConnection(
  rt: Rt,
  input: { environment: Env; owner: Owner; connector: string; credential: Credential; grantedScopes: string[]; expiresAt: Date | null; accountLabel: string | null; sandbox?: boolean } & Caller,
) {
  return rt.db.transaction(async (tx) => {
    const existing = await findOwnedConnection(tx, input.environment.id, input.owner.type, input.owner.id, input.connector);
    const id = existing?.id ?? createId("connection");
    const refreshHash = input.credential.type === "oauth2" && input.credential.refresh_token ? sha256Hex(input.credential.refresh_token) : null;
    const values = {
      credential: sealCredential(rt, input.environment, id, input.credential),
      refreshTokenHash: refreshHash,
      status: "active" as const,
      grantedScopes: input.grantedScopes,
      expiresAt: input.expiresAt,
      accountLabel: input.accountLabel,
      refreshLeaseUntil: null,
      refreshFailedAt: null,
      // A real reconnect over a sandbox connection makes it a real one again.
      sandbox: input.sandbox ?? false,
    };
    let row: Connection;
    if (existing) {
      [row] = (await tx
        .update(connections)
        .set({ ...values, version: sql`${connections.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(connections.environmentId, input.environment.id), eq(connections.id, id)))
        .returning()) as [Connection];
    } else {
      [row] = (await tx
        .insert(connections)
        .values({ id, environmentId: input.environment.id, ownerType: input.owner.type, ownerId: input.owner.id, connector: input.connector, ...values })
        .returning()) as [Connection];
    }
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: existing ? "connection.reconnected" : "connection.created",
      target: { type: "connection", id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { connector: input.connector, owner_type: input.owner.type, owner_id: input.owner.id, account_label: input.accountLabel },
    });
    // A reconnect (credentials replaced in place) is reported as connection.created too, marked
    // reconnected: for a subscriber both mean "this connection works now".
    await emitEvent(tx, { environment: input.environment, type: "connection.created", data: { ...connectionEventData(row), reconnected: Boolean(existing) } });
    return { connection: row, created: !existing };
  });
}

/** Api-key and basic connectors: the form is validated by the connector's schema, then checked against the provider. */
export async function createFormConnection(
  rt: Rt,
  input: { environment: Env; owner: Owner; connector: string; values: Record<string, unknown> } & Caller,
) {
  const cfg = await effectiveConfig(rt.db, input.environment.id, input.connector);
  const def = cfg.connector;
  if (def.auth.kind === "oauth2") {
    throw new AppError({ code: "validation_error", message: `${def.name} connects through OAuth: use a link token (Link) instead of posting credentials.` });
  }
  if (!cfg.enabled) throw new AppError({ code: "forbidden", message: `${def.name} is disabled in this environment.` });
  const parsed = def.auth.form.safeParse(input.values);
  if (!parsed.success) {
    throw new AppError({
      code: "validation_error",
      message: `These ${def.name} credentials are not valid.`,
      issues: issuesFromZod(parsed.error.issues).map((i) => ({ ...i, path: i.path ? `credentials.${i.path}` : "credentials" })),
    });
  }
  const values = Object.fromEntries(Object.entries(parsed.data as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  const credential: Credential = { type: def.auth.kind, values };
  let accountLabel: string | null = null;
  if (def.accountLabel) {
    const http = providerHttpFor(def, baseUrlFor(def, cfg.baseUrl, credential), credential, []);
    try {
      accountLabel = await def.accountLabel({ http, connection: { id: "", grantedScopes: [], accountLabel: null }, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      if (err instanceof ProviderAuthError) {
        throw new AppError({ code: "validation_error", message: `${def.name} rejected these credentials.`, issues: [{ path: "credentials", message: "rejected by the provider" }] });
      }
      // The provider could not be asked now; store anyway, the first call will tell.
      log.warn("could not read account label", { connector: def.slug, code: err instanceof ToolError ? err.failure.code : "error" });
    }
  }
  return upsertConnection(rt, { ...input, credential, grantedScopes: [], expiresAt: null, accountLabel });
}

/** OAuth connections, from the Link flow's token exchange (and tests seeding one). */
export async function saveOAuthConnection(
  rt: Rt,
  input: {
    environment: Env;
    owner: Owner;
    connector: string;
    tokens: { access_token: string; refresh_token?: string | undefined; expires_in?: number | undefined; scope?: string | string[] | undefined; token_type?: string | undefined; extra?: Record<string, unknown> | undefined };
    requestedScopes?: string[];
    accountLabel?: string | null;
    /** Tokens from Latchkey's sandbox authorization server (lib/sandbox/hosted.ts); the caller checked the environment. */
    sandbox?: boolean;
  } & Caller,
) {
  const def = /^srv_[0-9a-z]+$/.test(input.connector) ? ({ name: input.connector, auth: { kind: "oauth2" } } as const) : requireConnector(input.connector);
  if (def.auth.kind !== "oauth2") throw new AppError({ code: "validation_error", message: `${def.name} is not an OAuth connector.` });
  const granted = input.tokens.scope !== undefined ? parseScopes(input.tokens.scope) : (input.requestedScopes ?? []);
  const credential: Credential = {
    type: "oauth2",
    access_token: input.tokens.access_token,
    ...(input.tokens.refresh_token ? { refresh_token: input.tokens.refresh_token } : {}),
    ...(input.tokens.token_type ? { token_type: input.tokens.token_type } : {}),
    ...(input.tokens.extra ? { extra: input.tokens.extra } : {}),
  };
  const expiresAt = typeof input.tokens.expires_in === "number" ? new Date(Date.now() + input.tokens.expires_in * 1000) : null;
  return upsertConnection(rt, { ...input, credential, grantedScopes: granted, expiresAt, accountLabel: input.accountLabel ?? null });
}

/** Why a connection was deleted, as connection.deleted events say it. */
export type DeleteCause = "connection_deleted" | "registered_user_deleted";

/** Revokes at the provider where it offers revocation (best effort), then deletes. Audited. */
export async function deleteConnection(rt: Rt, input: { environment: Env; id: string; cause?: DeleteCause } & Caller) {
  const conn = await getConnection(rt.db, input.environment.id, input.id);
  let revokedAtProvider = false;
  try {
    const cred = unsealCredential(rt, input.environment, conn);
    if (cred.type === "oauth2") {
      const cfg = await connectionConfig(rt.db, input.environment.id, conn);
      const secret = await oauthClientSecret(rt, input.environment, cfg).catch(() => null);
      revokedAtProvider = await revokeToken(cfg, secret, cred.refresh_token ?? cred.access_token, cred.refresh_token ? "refresh_token" : "access_token");
    }
  } catch (err) {
    log.warn("provider revocation skipped", { connection: conn.id, reason: (err as Error).name });
  }
  await rt.db.transaction(async (tx) => {
    await tx.delete(connections).where(and(eq(connections.environmentId, input.environment.id), eq(connections.id, conn.id)));
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "connection.deleted",
      target: { type: "connection", id: conn.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { connector: conn.connector, owner_type: conn.ownerType, owner_id: conn.ownerId, revoked_at_provider: revokedAtProvider, ...(input.via ? { via: input.via } : {}) },
    });
    await emitEvent(tx, {
      environment: input.environment,
      type: "connection.deleted",
      data: { ...connectionEventData(conn), revoked_at_provider: revokedAtProvider, cause: input.cause ?? "connection_deleted" },
    });
  });
  return { connection: conn, revokedAtProvider };
}

export async function deleteConnectionsOfOwner(rt: Rt, input: { environment: Env; owner: Owner; cause?: DeleteCause } & Caller) {
  const rows = await listConnectionsOfOwner(rt.db, input.environment.id, input.owner.type, [input.owner.id]);
  for (const r of rows) await deleteConnection(rt, { ...input, id: r.id });
  return rows.length;
}

/** RFC 6749 says a space-separated string; some providers send commas, or an array. */
export function parseScopes(scope: unknown): string[] {
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === "string" && s.length > 0);
  return typeof scope === "string" ? scope.split(/[ ,]+/).filter(Boolean) : [];
}

export const formValuesSchema = z.record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean()]));
