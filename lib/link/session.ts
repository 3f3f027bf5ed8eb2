import type { DbOrTx } from "@/db/client";
import type { LinkSession } from "@/db/schema";
import {
  consumeLinkToken,
  endLinkSession,
  environmentWithOrganization,
  findLinkSessionBySecret,
  insertLinkSession,
  sessionRedeemedToken,
  userConnections,
} from "@/db/queries/link";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { connectors as catalog } from "@/lib/connectors/catalog";
import { listConnectorConfigRows } from "@/lib/connectors/configs";
import { generateToken, hashToken } from "@/lib/crypto/tokens";
import { AppError } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { getEnvironmentSettings } from "@/lib/environment-settings/service";
import { isAllowedOrigin } from "@/lib/link/events";
import { linkBranding, safeAccent, safeLogoUrl } from "@/lib/link/branding";
import { formFields } from "@/lib/link/forms";
import { serverLinkView } from "@/lib/link/servers";
import { sessionServers } from "@/lib/mcp-servers/oauth";
import { hitRateLimit } from "@/lib/rate-limit/fixed-window";
import type { Runtime } from "@/lib/runtime";
import { isAllowedRedirectUrl, type LinkConnectorView, type LinkSessionView } from "@/lib/schemas/link";

export const LINK_SESSION_TTL_MS = 30 * 60 * 1000;
/** Redemptions per client address per minute: a token has 256 bits, this only keeps scanners slow and cheap. */
export const LINK_REDEEM_LIMIT_PER_MINUTE = 30;

/** Connection attempts (OAuth starts, form submissions) per Link session per minute: plenty for a person, little for a script. */
export const LINK_ATTEMPTS_PER_MINUTE = 20;

type Rt = Pick<Runtime, "db" | "keyring">;
export type Caller = { ip?: string | null; requestId?: string | null };

/**
 * Unknown, expired and someone else's used tokens get this one answer, byte for byte, so the
 * page cannot be used to learn whether a token ever existed or was used.
 */
export const linkTokenExpired = () => new AppError({ code: "link_token_expired", message: "This link has expired or is no longer valid. Ask for a new link." });
/** Only for the browser that redeemed the token itself and has since finished: it already knows. */
export const linkTokenUsed = () => new AppError({ code: "link_token_used", message: "This link was already used. Ask for a new link to connect another account." });
export const linkSessionRequired = () => new AppError({ code: "unauthorized", message: "This Link session has ended or was never opened. Open your link again." });

export const endUserActor = (s: Pick<LinkSession, "registeredUserId">): Actor => ({ type: "end_user", id: s.registeredUserId });

const isOpen = (s: LinkSession, now = Date.now()) => !s.endedAt && s.expiresAt.getTime() > now;

export async function environmentOf(db: DbOrTx, environmentId: string) {
  const env = await environmentWithOrganization(db, environmentId);
  if (!env) throw linkSessionRequired();
  return env;
}

/**
 * Redeems a link token: consumed atomically (used_at set by one conditional UPDATE, in the
 * same transaction as the session it opens), then a link session whose secret goes to the
 * browser as a cookie. The browser that redeemed a token may present it again (a reload of
 * the original URL) and gets its session back instead of an error.
 */
export async function redeemLinkToken(
  rt: Rt,
  input: { token: string; cookieSecret: string | null; embedOrigin?: string | null } & Caller,
): Promise<{ session: LinkSession; secret: string | null }> {
  const tokenHash = hashToken(input.token);
  const opened = await rt.db.transaction(async (tx) => {
    const token = await consumeLinkToken(tx, tokenHash);
    if (!token) return null;
    const env = await environmentOf(tx, token.environmentId);
    // Embedded by a page of another origin: that origin must be one this environment lists.
    // Thrown inside the transaction, so the token is not spent by a page that may not use it.
    if (input.embedOrigin) await requireEmbedOrigin(tx, env.id, input.embedOrigin);
    const { token: secret, hash } = generateToken("lk_lsess");
    const session = await insertLinkSession(tx, {
      id: createId("linkSession"),
      environmentId: token.environmentId,
      registeredUserId: token.registeredUserId,
      linkTokenId: token.id,
      secretHash: hash,
      connectors: token.connectors ?? null,
      redirectUrl: token.redirectUrl ?? null,
      expiresAt: new Date(Date.now() + LINK_SESSION_TTL_MS),
    });
    await recordAudit(tx, {
      organizationId: env.organizationId,
      environmentId: env.id,
      actor: endUserActor(session),
      action: "link_token.redeemed",
      target: { type: "link_token", id: token.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { link_session_id: session.id, registered_user_id: session.registeredUserId, connectors: session.connectors },
    });
    return { session, secret };
  });
  if (opened) return opened;
  if (input.cookieSecret) {
    const mine = await findLinkSessionBySecret(rt.db, hashToken(input.cookieSecret));
    if (mine && (await sessionRedeemedToken(rt.db, mine.environmentId, mine, tokenHash))) {
      if (input.embedOrigin) await requireEmbedOrigin(rt.db, mine.environmentId, input.embedOrigin);
      if (isOpen(mine)) return { session: mine, secret: null };
      throw linkTokenUsed();
    }
  }
  throw linkTokenExpired();
}

/** The origins the environment lets embed Link and receive its events (settings, `embed` section). */
export async function embedOriginsOf(db: DbOrTx, environmentId: string): Promise<string[]> {
  return (await getEnvironmentSettings(db, environmentId)).settings.embed?.allowed_origins ?? [];
}

async function requireEmbedOrigin(db: DbOrTx, environmentId: string, origin: string) {
  if (!isAllowedOrigin(origin, await embedOriginsOf(db, environmentId))) {
    throw new AppError({ code: "forbidden", message: "This page may not embed the Link page. Add its origin to the environment's allowed embedding origins." });
  }
}

export async function limitPerSession(rt: Rt, bucket: string, session: Pick<LinkSession, "id" | "environmentId">) {
  const limit = await hitRateLimit(rt.db, `${bucket}:${session.environmentId}:${session.id}`, LINK_ATTEMPTS_PER_MINUTE, 60);
  if (!limit.allowed) throw new AppError({ code: "rate_limited", message: "Too many attempts. Wait a minute and try again.", retryAfter: limit.retryAfter });
}

/** The open session the cookie names, or 401. */
export async function requireLinkSession(rt: Rt, cookieSecret: string | null): Promise<LinkSession> {
  if (!cookieSecret) throw linkSessionRequired();
  const s = await findLinkSessionBySecret(rt.db, hashToken(cookieSecret));
  if (!s || !isOpen(s)) throw linkSessionRequired();
  return s;
}

/** Connectors this session may connect: the token's list (or the whole catalog), minus those the environment disabled. */
export async function sessionConnectors(db: DbOrTx, session: Pick<LinkSession, "environmentId" | "connectors">) {
  const rows = await listConnectorConfigRows(db, session.environmentId);
  const bySlug = new Map(rows.map((r) => [r.connector, r]));
  const wanted = session.connectors ? new Set(session.connectors) : null;
  return catalog
    .filter((def) => (!wanted || wanted.has(def.slug)) && (bySlug.get(def.slug)?.enabled ?? true))
    .map((def) => {
      const row = bySlug.get(def.slug) ?? null;
      // An OAuth connector needs the environment's OAuth app before anyone can connect it.
      const available = def.auth.kind !== "oauth2" || Boolean(row?.oauthClientId);
      return { def, available };
    });
}

export async function requireAllowedConnector(db: DbOrTx, session: Pick<LinkSession, "environmentId" | "connectors">, slug: string, opts: { sandbox?: boolean } = {}) {
  const found = (await sessionConnectors(db, session)).find((c) => c.def.slug === slug);
  if (!found) throw new AppError({ code: "forbidden", message: "This link does not cover that account." });
  // A sandbox account needs no OAuth app of the team's: the sandbox authorization server is built in.
  if (!found.available && !opts.sandbox) throw new AppError({ code: "conflict", message: `${found.def.name} is not set up for connecting yet. Ask the app's team to configure it.` });
  return found.def;
}

export async function linkSessionView(rt: Rt, session: LinkSession): Promise<LinkSessionView> {
  // One read of the settings row serves both the branding and the embedding origins.
  const { settings } = await getEnvironmentSettings(rt.db, session.environmentId);
  const embedOrigins = settings.embed?.allowed_origins ?? [];
  const [env, branding, conns, allowed, servers] = await Promise.all([
    environmentOf(rt.db, session.environmentId),
    linkBranding(rt.db, session.environmentId, settings),
    userConnections(rt.db, session.environmentId, session.registeredUserId),
    sessionConnectors(rt.db, session),
    sessionServers(rt.db, session),
  ]);
  const byConnector = new Map(conns.map((c) => [c.connector, c]));
  const connectors = allowed.map(({ def, available }): LinkConnectorView => {
    const c = byConnector.get(def.slug);
    return {
      slug: def.slug,
      name: def.name,
      description: def.description,
      icon_svg: def.icon,
      auth_kind: def.auth.kind,
      connection_id: c?.id ?? null,
      status: c?.status === "active" ? "connected" : c?.status === "reauth_required" ? "reauth_required" : "not_connected",
      account_label: c?.status === "active" ? c.accountLabel : null,
      available,
      fields: formFields(def),
    };
  });
  // Registered MCP servers whose users each connect (per-user authorization code) sit beside the connectors.
  for (const srv of servers) connectors.push(serverLinkView(srv, byConnector.get(srv.id)));
  return {
    object: "link_session",
    expires_at: session.expiresAt.toISOString(),
    environment_kind: env.kind,
    branding: { name: branding.name, logo_url: safeLogoUrl(branding.logoUrl), accent_color: safeAccent(branding.accentColor) },
    redirect_url: session.redirectUrl,
    allowed_origins: embedOrigins,
    connectors,
  };
}

/** The user is done (or gave up): the cookie stops working; a `done` returns where to send them. */
export async function finishLinkSession(rt: Rt, input: { session: LinkSession; outcome: "done" | "exit" } & Caller): Promise<{ redirect_url: string | null }> {
  const env = await environmentOf(rt.db, input.session.environmentId);
  await rt.db.transaction(async (tx) => {
    const ended = await endLinkSession(tx, env.id, input.session.id, input.outcome);
    if (!ended) return;
    await recordAudit(tx, {
      organizationId: env.organizationId,
      environmentId: env.id,
      actor: endUserActor(input.session),
      action: "link_session.ended",
      target: { type: "link_session", id: input.session.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { outcome: input.outcome },
    });
  });
  // Checked again on the way out: a URL stored under an older, looser rule is not followed.
  const target = input.outcome === "done" ? input.session.redirectUrl : null;
  return { redirect_url: target && isAllowedRedirectUrl(target) ? target : null };
}
