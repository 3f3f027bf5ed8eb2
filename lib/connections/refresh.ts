import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { connections, type Connection, type Environment } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { connectionConfig, oauthClientSecret } from "@/lib/connectors/configs";
import { toolError } from "@/lib/connectors/errors";
import { sealCredential, unsealCredential, type Credential } from "@/lib/connections/credentials";
import { OAuthGrantError, tokenRequest } from "@/lib/connections/oauth-client";
import { sha256Hex } from "@/lib/crypto/tokens";
import { parseScopes } from "@/lib/connections/service";
import { log } from "@/lib/log";
import { raiseAlert } from "@/lib/alerts/raise";
import { tokenRefreshes } from "@/lib/metrics/app";
import { isServerKey, refreshServerToken } from "@/lib/mcp-servers/oauth";
import type { Runtime } from "@/lib/runtime";
import { connectionEventData } from "@/lib/webhooks/events";
import { emitEvent } from "@/lib/webhooks/outbox";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring">;

/** Refresh this long before expiry, so a call never starts with a token about to lapse. */
export const REFRESH_MARGIN_MS = 2 * 60 * 1000;
/** A refresh in flight holds the lease this long; a holder that dies frees it when it runs out. */
export const LEASE_MS = 30_000;
/** After a failed (non-grant) refresh, wait this long before hammering the provider again. */
export const FAILURE_COOLDOWN_MS = 15_000;
const WAIT_FOR_OTHERS_MS = 25_000;

/**
 * Due when less than the margin is left, the margin being at most a quarter of the token's
 * lifetime: a provider issuing 60-second tokens must not cause a refresh on every call.
 */
export function refreshDue(c: Pick<Connection, "expiresAt" | "updatedAt">, now = Date.now()): boolean {
  if (!c.expiresAt) return false;
  const expires = c.expiresAt.getTime();
  const lifetime = Math.max(0, expires - c.updatedAt.getTime());
  return expires - now < Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}
const due = (c: Pick<Connection, "expiresAt" | "updatedAt">) => refreshDue(c);

// One refresh per connection per process; across processes the lease decides.
const inflight = new Map<string, Promise<{ connection: Connection; credential: Credential }>>();

/**
 * Tokens a provider issued that we could not store yet (database down at the wrong moment).
 * The old refresh token may already be dead, so the next attempt stores these instead of
 * spending it again (F3): once the database is back, no re-authentication is needed.
 */
type Pending = { fromVersion: number; credential: Credential; expiresAt: Date | null; granted: string[]; rotated: boolean };
const pending = new Map<string, Pending>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function reread(rt: Rt, env: Env, id: string) {
  const [row] = await rt.db.select().from(connections).where(and(eq(connections.environmentId, env.id), eq(connections.id, id)));
  return row ?? null;
}

/**
 * The one transition to reauth_required: audited and announced (connection.reauth_required)
 * once, however many calls saw the failure. `reason` is an OAuth error code or our own word
 * for what the provider did; never anything it sent beyond that.
 */
export async function markReauthRequired(rt: Rt, env: Env, conn: Pick<Connection, "id" | "connector">, reason: string) {
  const marked = await rt.db.transaction(async (tx) => {
    const [changed] = await tx
      .update(connections)
      .set({ status: "reauth_required", refreshLeaseUntil: null, refreshFailedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(connections.environmentId, env.id), eq(connections.id, conn.id), eq(connections.status, "active")))
      .returning();
    // Only the transition is recorded: a connection is marked once, however many calls saw it.
    if (changed) {
      await recordAudit(tx, {
        organizationId: env.organizationId,
        environmentId: env.id,
        actor: { type: "system", id: "token-refresh" },
        action: "connection.reauth_required",
        target: { type: "connection", id: conn.id },
        metadata: { connector: conn.connector, reason },
      });
      await emitEvent(tx, { environment: env, type: "connection.reauth_required", data: { ...connectionEventData(changed), reason } });
    }
    return changed;
  });
  if (marked) {
    const ru = marked.ownerType === "registered_user" ? marked.ownerId : null;
    raiseAlert(rt, { environmentId: env.id, kind: "refresh_failed", registeredUserId: ru, dedupKey: `refresh_failed|${conn.id}`, details: { connection_id: conn.id, connector: conn.connector, reason: reason.slice(0, 60) } });
  }
}

/**
 * Returns a usable credential for the connection, refreshing the OAuth access token when it
 * is due (or when `force`, after the provider said 401 to `rejectedAccessToken`).
 *
 * Single-flight across replicas without holding a transaction or lock during the provider
 * call: a short UPDATE takes a lease (which also proves the database is writable before the
 * refresh token is spent), the token endpoint is called, and the result is written with a
 * compare-and-swap on the row version. Everyone else waits and re-reads. A rotated refresh
 * token is never dropped: the new one is stored, or the old one kept when none came back.
 */
export async function freshCredential(
  rt: Rt,
  env: Env,
  conn: Connection,
  opts: { force?: boolean; rejectedAccessToken?: string } = {},
): Promise<{ connection: Connection; credential: Credential }> {
  const credential = unsealCredential(rt, env, conn);
  if (credential.type !== "oauth2") return { connection: conn, credential };
  if (!opts.force && !due(conn)) return { connection: conn, credential };
  const key = `${env.id}:${conn.id}`;
  const running = inflight.get(key);
  if (running) return running;
  const p = refreshLoop(rt, env, conn, opts).finally(() => inflight.delete(key));
  inflight.set(key, p);
  return p;
}

async function refreshLoop(rt: Rt, env: Env, start: Connection, opts: { force?: boolean; rejectedAccessToken?: string }) {
  const deadline = Date.now() + WAIT_FOR_OTHERS_MS;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const row = await reread(rt, env, start.id);
    if (!row) throw toolError("authentication_required", "The connection was deleted.");
    if (row.status !== "active") throw toolError("reauth_required", "The connection needs the user to reconnect.");
    const cred = unsealCredential(rt, env, row);
    if (cred.type !== "oauth2") return { connection: row, credential: cred };
    // Someone else refreshed since we looked: use their token.
    const replaced = opts.force ? cred.access_token !== opts.rejectedAccessToken : row.version !== start.version || !due(row);
    if (replaced && !due(row)) return { connection: row, credential: cred };
    if (!cred.refresh_token) {
      if (opts.force) {
        await markReauthRequired(rt, env, row, "no_refresh_token");
        throw toolError("reauth_required", "The provider rejected the token and there is no refresh token: the user must reconnect.");
      }
      return { connection: row, credential: cred };
    }
    if (row.refreshFailedAt && Date.now() - row.refreshFailedAt.getTime() < FAILURE_COOLDOWN_MS && attempt === 0 && !opts.force) {
      throw toolError("upstream_error", "Refreshing this connection's token failed moments ago; retry shortly.", { retry_after: Math.ceil(FAILURE_COOLDOWN_MS / 1000) });
    }
    // Tokens we already hold for exactly this version: store them, never spend the old refresh token again.
    const held = pending.get(`${env.id}:${row.id}`);
    if (held && held.fromVersion === row.version) return await persist(rt, env, row, held);
    const [leased] = await rt.db
      .update(connections)
      .set({ refreshLeaseUntil: sql`now() + make_interval(secs => ${LEASE_MS / 1000})` })
      .where(
        and(
          eq(connections.environmentId, env.id),
          eq(connections.id, row.id),
          eq(connections.version, row.version),
          or(isNull(connections.refreshLeaseUntil), lt(connections.refreshLeaseUntil, sql`now()`)),
        ),
      )
      .returning({ id: connections.id });
    if (!leased) {
      await sleep(40 + Math.random() * 80);
      continue;
    }
    return await refreshWithLease(rt, env, row, cred);
  }
  throw toolError("upstream_timeout", "Waited too long for another refresh of this connection to finish.");
}

async function refreshWithLease(rt: Rt, env: Env, row: Connection, cred: Extract<Credential, { type: "oauth2" }>) {
  // A connection to a registered MCP server refreshes at that server's AS (with its `resource`).
  const server = isServerKey(row.connector);
  const cfg = server ? null : await connectionConfig(rt.db, env.id, row);
  let name = cfg?.connector.name ?? "MCP server";
  const release = (failed: boolean) =>
    rt.db
      .update(connections)
      .set({ refreshLeaseUntil: null, ...(failed ? { refreshFailedAt: sql`now()` } : {}) })
      .where(and(eq(connections.environmentId, env.id), eq(connections.id, row.id), eq(connections.version, row.version)));
  let tokens;
  try {
    if (cfg) {
      const secret = await oauthClientSecret(rt, env, cfg);
      tokens = await tokenRequest(cfg, secret, { grant_type: "refresh_token", refresh_token: cred.refresh_token! });
    } else {
      const r = await refreshServerToken(rt, env, row.connector, cred.refresh_token!);
      tokens = r.tokens;
      name = r.name;
    }
  } catch (err) {
    if (err instanceof OAuthGrantError) {
      // Lost a race we could not see? Re-read before declaring the connection broken.
      const now = await reread(rt, env, row.id);
      if (now && now.version !== row.version && now.status === "active") return { connection: now, credential: unsealCredential(rt, env, now) };
      tokenRefreshes.inc({ result: "refused" });
      await markReauthRequired(rt, env, row, err.error);
      throw toolError("reauth_required", "The provider refused to refresh the token: the user must reconnect.");
    }
    tokenRefreshes.inc({ result: "error" });
    await release(true).catch(() => {});
    log.warn("token refresh failed", { connection: row.id, connector: row.connector, err });
    throw toolError("upstream_error", `Could not refresh the ${name} token right now.`, { retry_after: Math.ceil(FAILURE_COOLDOWN_MS / 1000) });
  }
  const next: Credential = {
    ...cred,
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token ?? cred.refresh_token,
    ...(tokens.token_type ? { token_type: tokens.token_type } : {}),
  };
  tokenRefreshes.inc({ result: "ok" });
  const expiresAt = typeof tokens.expires_in === "number" ? new Date(Date.now() + tokens.expires_in * 1000) : null;
  const granted = tokens.scope !== undefined ? parseScopes(tokens.scope) : row.grantedScopes;
  return persist(rt, env, row, { fromVersion: row.version, credential: next, expiresAt, granted, rotated: Boolean(tokens.refresh_token && tokens.refresh_token !== cred.refresh_token) });
}

/** Writes refreshed tokens with a compare-and-swap on the version; retries, then keeps them in memory. */
async function persist(rt: Rt, env: Env, row: Connection, p: Pending) {
  const key = `${env.id}:${row.id}`;
  const next = p.credential as Extract<Credential, { type: "oauth2" }>;
  for (let i = 0; ; i++) {
    try {
      const saved = await rt.db.transaction(async (tx) => {
        const [out] = await tx
          .update(connections)
          .set({
            credential: sealCredential(rt, env, row.id, next),
            refreshTokenHash: sha256Hex(next.refresh_token!),
            expiresAt: p.expiresAt,
            grantedScopes: p.granted,
            version: sql`${connections.version} + 1`,
            refreshLeaseUntil: null,
            refreshFailedAt: null,
            lastRefreshedAt: sql`now()`,
            updatedAt: sql`now()`,
          })
          .where(and(eq(connections.environmentId, env.id), eq(connections.id, row.id), eq(connections.version, p.fromVersion)))
          .returning();
        if (!out) throw new Error("refresh compare-and-swap lost");
        await recordAudit(tx, {
          organizationId: env.organizationId,
          environmentId: env.id,
          actor: { type: "system", id: "token-refresh" },
          action: "connection.refreshed",
          target: { type: "connection", id: row.id },
          metadata: { connector: row.connector, rotated_refresh_token: p.rotated },
        });
        return { connection: out, credential: next as Credential };
      });
      pending.delete(key);
      return saved;
    } catch (err) {
      if ((err as Error).message === "refresh compare-and-swap lost") {
        pending.delete(key);
        log.error("refreshed token lost a compare-and-swap", { connection: row.id });
        throw toolError("upstream_error", "The refreshed token could not be stored; retry shortly.");
      }
      if (i >= 3) {
        pending.set(key, p);
        log.error("could not store a refreshed token; kept in memory until the database accepts it", { connection: row.id, err });
        throw toolError("upstream_error", "The refreshed token could not be stored yet; retry shortly.", { retry_after: 5 });
      }
      await sleep(150 * 2 ** i);
    }
  }
}
