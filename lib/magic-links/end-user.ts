import { findConnection, listConnectionsOfOwner } from "@/db/queries/connections";
import { lastToolCallPerConnection } from "@/db/queries/tool-calls";
import { getConnector } from "@/lib/connectors/catalog";
import { accountNamer, isServerKey } from "@/lib/mcp-servers/oauth";
import { deleteConnection } from "@/lib/connections/service";
import { AppError, notFound } from "@/lib/errors";
import { createLinkToken } from "@/lib/link-tokens/service";
import { brandName, type MagicSession } from "@/lib/magic-links/service";
import { magicLinkStatus } from "@/lib/magic-links/status";
import type { Runtime } from "@/lib/runtime";

type Rt = Pick<Runtime, "db" | "keyring">;

export type EndUserConnection = {
  id: string;
  connector: string;
  connectorName: string;
  accountLabel: string | null;
  status: "active" | "reauth_required" | "revoked";
  connectedAt: Date;
  lastUse: { toolPackName: string | null; at: Date } | null;
};

export type EndUserView = {
  brand: string;
  userEmail: string | null;
  /** What the link asked for, each with where the user stands. Empty when it asked for nothing in particular. */
  requested: { connector: string; connectorName: string; state: "connected" | "reauth_required" | "not_connected" }[];
  connections: EndUserConnection[];
  /** A link that asked for nothing in particular may connect any connector. */
  canConnectAny: boolean;
  completed: boolean;
  linkExpiresAt: Date;
};

const endUserActor = (s: MagicSession) => ({ type: "end_user" as const, id: s.user.id });

/** Everything the page shows: the user's own connections, and which pack last used each and when. */
export async function endUserView(db: Runtime["db"], s: MagicSession): Promise<EndUserView> {
  const envId = s.environment.id;
  const owned = await listConnectionsOfOwner(db, envId, "registered_user", [s.user.id]);
  const connectorName = (await accountNamer(db, envId, [...owned.map((r) => r.connector), ...(s.link.connectors ?? [])])).name;
  const rows = owned.sort((a, b) => connectorName(a.connector).localeCompare(connectorName(b.connector)));
  const lastUse = await lastToolCallPerConnection(
    db,
    envId,
    rows.map((r) => r.id),
  );
  const byConnector = new Map(rows.map((r) => [r.connector, r]));
  const requested = (s.link.connectors ?? []).map((c) => {
    const conn = byConnector.get(c);
    const state = !conn ? ("not_connected" as const) : conn.status === "active" ? ("connected" as const) : ("reauth_required" as const);
    return { connector: c, connectorName: connectorName(c), state };
  });
  const active = new Set(rows.filter((r) => r.status === "active").map((r) => r.connector));
  return {
    brand: brandName(s.organizationName, s.environment),
    userEmail: s.user.email,
    requested,
    connections: rows.map((r) => {
      const u = lastUse.get(r.id);
      return {
        id: r.id,
        connector: r.connector,
        connectorName: connectorName(r.connector),
        accountLabel: r.accountLabel,
        status: r.status,
        connectedAt: r.createdAt,
        lastUse: u ? { toolPackName: u.toolPackName, at: u.at } : null,
      };
    }),
    canConnectAny: !s.link.connectors?.length,
    completed: magicLinkStatus(s.link, active) === "completed",
    linkExpiresAt: s.link.expiresAt,
  };
}

/**
 * Disconnect, as the end user: only one of their own connections (anything else is "not
 * found", whoever owns it). Revoked at the provider where possible, deleted, and audited with
 * the user as actor and the magic link it came through.
 */
export async function disconnectForEndUser(rt: Rt, s: MagicSession, connectionId: string, caller: { requestId?: string | null; ip?: string | null }) {
  const conn = await findConnection(rt.db, s.environment.id, connectionId);
  if (!conn || conn.ownerType !== "registered_user" || conn.ownerId !== s.user.id) throw notFound("Connection");
  const connectorName = (await accountNamer(rt.db, s.environment.id, [conn.connector])).name;
  const r = await deleteConnection(rt, { environment: s.environment, id: conn.id, actor: endUserActor(s), requestId: caller.requestId ?? null, ip: caller.ip ?? null, via: s.link.id });
  return { connector: conn.connector, connectorName: connectorName(conn.connector), revokedAtProvider: r.revokedAtProvider };
}

/**
 * Connect or reconnect, as the end user: a fresh Link token for this user, and the Link URL to
 * send the browser to (Link comes back here when done). A link that asked for specific
 * connectors allows those, plus reconnecting any connection the user already has.
 */
export async function connectUrlForEndUser(db: Runtime["db"], s: MagicSession, input: { connector: string | null; baseUrl: string; requestId?: string | null }) {
  if (input.connector !== null) {
    // A registered MCP server connected per user is named by its id; Link checks it is one.
    if (!getConnector(input.connector) && !isServerKey(input.connector)) throw notFound("Connector");
    const asked = s.link.connectors ?? null;
    if (asked && !asked.includes(input.connector)) {
      const own = (await listConnectionsOfOwner(db, s.environment.id, "registered_user", [s.user.id])).some((c) => c.connector === input.connector);
      if (!own) throw new AppError({ code: "forbidden", message: "This link does not cover that account." });
    }
  } else if (s.link.connectors?.length) {
    throw new AppError({ code: "forbidden", message: "This link does not cover other accounts." });
  }
  const base = input.baseUrl.replace(/\/$/, "");
  const t = await createLinkToken(db, {
    environment: s.environment,
    registeredUserId: s.user.id,
    connectors: input.connector ? [input.connector] : null,
    redirectUrl: `${base}/m`,
    baseUrl: base,
    actor: endUserActor(s),
    requestId: input.requestId ?? null,
  });
  return { url: t.url };
}
