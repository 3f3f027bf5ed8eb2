import { createHmac, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type http from "node:http";
import type { DbOrTx } from "@/db/client";
import { environments } from "@/db/schema";
import { getConnector } from "@/lib/connectors/catalog";
import type { EffectiveConfig } from "@/lib/connectors/configs";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { sandboxFactories } from "@/lib/sandbox/index";
import { SandboxOAuthServer } from "@/lib/sandbox/oauth";
import { bearer, json } from "@/lib/sandbox/router";
import { readSandboxRequest, writeSandboxResponse } from "@/lib/sandbox/serve";
import type { SandboxBackend, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// The sandbox providers Latchkey serves itself, at /sandbox/{environment}/{connector}/…, for
// the connections flagged `sandbox` (test environments only). Each (environment, connector)
// has its own backend, seeded with sample data, and its own OAuth authorization server at
// …/oauth/{authorize,token,revoke}. A connection's API base is …/c/{connection}, so faults can
// be injected for one connection without touching its code.
//
// State lives in this process's memory (one map per process, shared by the Next bundle and the
// server entry through globalThis): a restart or a second replica starts from the seed. Tokens
// a restarted server does not know are accepted (and their refresh tokens adopted) so sandbox
// connections survive restarts.

export const SANDBOX_CLIENT_ID = "latchkey-sandbox";
export const sandboxFaultModes = ["expired_token", "missing_scope", "rate_limited", "server_error", "slow"] as const;
export type SandboxFaultMode = (typeof sandboxFaultModes)[number];
export type SandboxFault = { mode: SandboxFaultMode; remaining: number; retryAfter: number; delayMs: number };

type Store = {
  origin: string | null;
  secret: string | null;
  backends: Map<string, SandboxBackend>;
  oauth: Map<string, SandboxOAuthServer>;
  faults: Map<string, SandboxFault>;
  envKinds: Map<string, string | null>;
};
const KEY = Symbol.for("latchkey.sandbox.hosted.v1");
const holder = globalThis as unknown as { [KEY]?: Store };
const store = (): Store => (holder[KEY] ??= { origin: null, secret: null, backends: new Map(), oauth: new Map(), faults: new Map(), envKinds: new Map() });

/** Set at startup (lib/runtime.ts) from AUTH_SECRET: what sandbox credentials are derived from. */
export function setSandboxSecret(secret: string) {
  store().secret = secret;
}

/**
 * Every credential the sandbox of an environment accepts carries this tag (HMAC of the
 * environment id under the server's secret): knowing an environment id is not enough to use,
 * or change, its sandbox data. A credential of another environment is refused.
 */
export function sandboxTag(environmentId: string): string {
  const s = store();
  s.secret ??= randomBytes(32).toString("base64url");
  return createHmac("sha256", s.secret).update(`latchkey-sandbox-v1:${environmentId}`).digest("base64url").replace(/[-_]/g, "").slice(0, 16);
}

/** Placeholder form values (api-key and basic connectors) the environment's sandbox accepts. */
export function sandboxFormValues(environmentId: string, fields: string[]): Record<string, string> {
  const tag = `sbx_${sandboxTag(environmentId)}`;
  return Object.fromEntries(
    fields.map((k) => [
      k,
      /url|site/.test(k) ? "https://sandbox.latchkey.local" : /email/.test(k) ? "sandbox@latchkey.local" : k === "secret_key" ? `sk_test_${tag}_key` : `${tag}_${k}`,
    ]),
  );
}

function carriesTag(req: SandboxRequest, environmentId: string): boolean {
  const auth = req.headers.authorization ?? "";
  const tag = `sbx_${sandboxTag(environmentId)}_`;
  if (auth.includes(tag)) return true;
  const basic = /^Basic\s+(\S+)$/i.exec(auth);
  return Boolean(basic && Buffer.from(basic[1]!, "base64").toString("utf8").includes(tag));
}

/** Connectors that have a sandbox backend (all built-in ones). */
export const sandboxConnectors = () => Object.keys(sandboxFactories);

/** Provider paths only: `/sandbox` itself is the dashboard's Sandbox page (Next). */
export const isSandboxPath = (url: string | undefined) => Boolean(url?.startsWith("/sandbox/"));

/** Set by the server once it listens: where the app reaches itself (the API and token calls are server to server). */
export function setSandboxOrigin(origin: string) {
  store().origin = origin.replace(/\/$/, "");
}

export function sandboxOrigin(): string {
  const s = store();
  if (s.origin) return s.origin;
  const env = getEnv();
  const host = ["0.0.0.0", "::", ""].includes(env.HOST) ? "127.0.0.1" : env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST;
  return `http://${host}:${env.PORT}`;
}

export const sandboxRoot = (environmentId: string, connector: string, origin = sandboxOrigin()) => `${origin}/sandbox/${environmentId}/${connector}`;
export const sandboxApiBase = (environmentId: string, connector: string, connectionId: string) => `${sandboxRoot(environmentId, connector)}/c/${connectionId}`;

/**
 * A connector's settings pointed at the sandbox: base URL and OAuth endpoints. `publicOrigin` is
 * for the authorization URL a browser opens (the Link page), the rest is server to server.
 */
export function sandboxConfig(cfg: EffectiveConfig, environmentId: string, opts: { connectionId?: string; publicOrigin?: string } = {}): EffectiveConfig {
  const slug = cfg.connector.slug;
  const root = sandboxRoot(environmentId, slug);
  return {
    ...cfg,
    enabled: true,
    baseUrl: opts.connectionId ? sandboxApiBase(environmentId, slug, opts.connectionId) : root,
    scopes: null,
    oauthClientId: SANDBOX_CLIENT_ID,
    oauthClientSecretId: null,
    oauthAuthorizeUrl: `${sandboxRoot(environmentId, slug, opts.publicOrigin?.replace(/\/$/, ""))}/oauth/authorize`,
    oauthTokenUrl: `${root}/oauth/token`,
    oauthRevokeUrl: `${root}/oauth/revoke`,
  };
}

/** Sandbox connections exist only in test environments. */
export function assertSandboxAllowed(environment: { kind: string }) {
  if (environment.kind !== "test") {
    throw new AppError({
      code: "sandbox_not_allowed",
      message: "Sandbox connections exist only in test environments: this is a production environment. Use an API key of the test environment.",
    });
  }
}

export function requireSandboxConnector(slug: string) {
  if (!sandboxFactories[slug] || !getConnector(slug)) throw new AppError({ code: "not_found", message: `There is no sandbox for connector "${slug}".` });
  return getConnector(slug)!;
}

export function backendFor(environmentId: string, slug: string): SandboxBackend {
  const s = store();
  const key = `${environmentId}:${slug}`;
  let b = s.backends.get(key);
  if (!b) s.backends.set(key, (b = sandboxFactories[slug]!()));
  return b;
}

export function oauthFor(environmentId: string, slug: string): SandboxOAuthServer {
  const s = store();
  const key = `${environmentId}:${slug}`;
  let o = s.oauth.get(key);
  if (!o) {
    const base = `/sandbox/${environmentId}/${slug}/oauth`;
    const name = getConnector(slug)?.name ?? slug;
    o = new SandboxOAuthServer(
      { provider: `${name} (sandbox)`, paths: { authorize: `${base}/authorize`, token: `${base}/token` }, tokenPrefix: { access: `sbx_${sandboxTag(environmentId)}_at_`, refresh: `sbx_${sandboxTag(environmentId)}_rt_` } },
      { consent: true, clients: { [SANDBOX_CLIENT_ID]: {} }, adoptUnknownRefreshTokens: true },
    );
    s.oauth.set(key, o);
  }
  return o;
}

/** Back to the seeded sample data (one connector or all), and no pending faults. */
export function resetSandbox(environmentId: string, slug?: string): string[] {
  const s = store();
  const slugs = slug ? [slug] : sandboxConnectors();
  for (const c of slugs) s.backends.get(`${environmentId}:${c}`)?.reset();
  for (const key of [...s.faults.keys()]) if (key.startsWith(`${environmentId}:`) && (!slug || key.endsWith(`:${slug}`))) s.faults.delete(key);
  return slugs;
}

/** The next `count` API calls of one sandbox connection answer with this provider error. */
export function injectFault(environmentId: string, connection: { id: string; connector: string }, fault: { mode: SandboxFaultMode; count: number; retryAfter?: number | undefined; delayMs?: number | undefined }) {
  const f: SandboxFault = { mode: fault.mode, remaining: fault.count, retryAfter: fault.retryAfter ?? 30, delayMs: fault.delayMs ?? 35_000 };
  store().faults.set(`${environmentId}:${connection.id}:${connection.connector}`, f);
  return f;
}

export function pendingFault(environmentId: string, connection: { id: string; connector: string }): SandboxFault | null {
  const f = store().faults.get(`${environmentId}:${connection.id}:${connection.connector}`);
  return f && f.remaining > 0 ? f : null;
}

function takeFault(environmentId: string, connectionId: string, slug: string): SandboxFault | null {
  const key = `${environmentId}:${connectionId}:${slug}`;
  const f = store().faults.get(key);
  if (!f || f.remaining <= 0) return null;
  f.remaining--;
  if (f.remaining <= 0) store().faults.delete(key);
  return f;
}

/** The provider's own way of saying each fault (Slack answers HTTP 200 with `ok: false`). */
function faultResponse(slug: string, f: SandboxFault): SandboxResponse {
  const slack = slug === "slack";
  switch (f.mode) {
    case "expired_token":
      return slack ? json(200, { ok: false, error: "token_expired" }) : json(401, { message: "Bad credentials: the access token expired", error: { code: 401, message: "The access token expired", status: "UNAUTHENTICATED" } });
    case "missing_scope":
      return slack
        ? json(200, { ok: false, error: "missing_scope", needed: "channels:read", provided: "" })
        : json(403, { message: "Resource not accessible by integration: the token lacks a required scope" }, { "x-oauth-scopes": "", "x-accepted-oauth-scopes": "repo" });
    case "rate_limited":
      return json(429, slack ? { ok: false, error: "ratelimited" } : { message: "API rate limit exceeded" }, { "retry-after": String(f.retryAfter) });
    case "server_error":
      return json(500, slack ? { ok: false, error: "internal_error" } : { message: "Internal Server Error" });
    case "slow":
      return json(200, null);
  }
}

const unauthorized = (slug: string): SandboxResponse => (slug === "slack" ? json(200, { ok: false, error: "invalid_auth" }) : json(401, { message: "Bad credentials" }));

/** An environment's kind ("production" | "test"), or null when there is no such environment. */
export type EnvironmentKindOf = (environmentId: string) => Promise<string | null>;

export const environmentKindFrom = (db: DbOrTx): EnvironmentKindOf => (id) => environmentKind(db, id);

async function environmentKind(db: DbOrTx, id: string): Promise<string | null> {
  const s = store();
  if (s.envKinds.has(id)) return s.envKinds.get(id)!;
  const [row] = await db.select({ kind: environments.kind }).from(environments).where(eq(environments.id, id));
  const kind = row?.kind ?? null;
  // Environment kinds never change; unknown ids are not remembered (they may be created later).
  if (kind) s.envKinds.set(id, kind);
  return kind;
}

const PATH = /^\/sandbox\/([A-Za-z0-9_]+)\/([a-z_]+)(\/.*)?$/;

/** Answers one request below /sandbox/. */
export async function handleSandbox(kindOf: EnvironmentKindOf, req: SandboxRequest, sleep: (ms: number, signal?: AbortSignal) => Promise<void> = delay): Promise<SandboxResponse> {
  const m = PATH.exec(req.path);
  if (!m) return json(404, { error: { code: "not_found", message: "Sandbox paths are /sandbox/{environment_id}/{connector}/…" } });
  const [, envId, slug, rest = "/"] = m as unknown as [string, string, string, string | undefined];
  if (!sandboxFactories[slug]) return json(404, { error: { code: "not_found", message: `There is no sandbox for connector "${slug}".` } });
  const kind = await kindOf(envId);
  if (kind === null) return json(404, { error: { code: "not_found", message: "No such environment." } });
  if (kind !== "test") return json(403, { error: { code: "sandbox_not_allowed", message: "Sandbox providers serve test environments only: this is a production environment." } });

  const oauth = oauthFor(envId, slug);
  if (rest.startsWith("/oauth/")) {
    if (rest === "/oauth/revoke" && req.method === "POST") {
      const token = (req.body as Record<string, string> | undefined)?.token ?? "";
      oauth.revoke(token);
      return json(200, slug === "slack" ? { ok: true, revoked: true } : {});
    }
    return oauth.handle({ ...req, path: req.path }) ?? json(404, { error: "not_found" });
  }
  let path = rest;
  const conn = /^\/c\/([A-Za-z0-9_]+)(\/.*)?$/.exec(rest);
  if (conn) {
    path = conn[2] ?? "/";
    const fault = takeFault(envId, conn[1]!, slug);
    if (fault?.mode === "slow") await sleep(fault.delayMs);
    else if (fault) return faultResponse(slug, fault);
  }
  const token = bearer(req);
  if (!carriesTag(req, envId) || (token && oauth.rejects(token))) return unauthorized(slug);
  return backendFor(envId, slug).handle({ ...req, path });
}

function delay(ms: number) {
  return new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());
}

/** The server entry's mount (scripts/server.ts): Node request in, sandbox answer out. */
export async function serveHostedSandbox(db: DbOrTx, req: http.IncomingMessage, res: http.ServerResponse) {
  try {
    const r = await readSandboxRequest(req);
    const out = await handleSandbox(environmentKindFrom(db), r, (ms) => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      // A caller that gave up (timeout) does not keep the timer alive.
      res.once("close", () => { clearTimeout(t); resolve(); });
    }));
    if (res.destroyed || res.writableEnded) return;
    writeSandboxResponse(res, { ...out, headers: { "cache-control": "no-store", "x-latchkey-sandbox": "1", ...(out.headers ?? {}) } });
  } catch {
    if (!res.headersSent) writeSandboxResponse(res, { status: 500, body: { message: "sandbox failure" } });
    else res.end();
  }
}
