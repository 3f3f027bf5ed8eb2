import type { Environment, RegisteredUser } from "@/db/schema";
import { findEnvironmentsTrustingIssuer } from "@/db/queries/environment-settings";
import { findGatewayTokenByHash, findUserTokenByHash, touchGatewayToken, touchUserToken } from "@/db/queries/gateway-tokens";
import { findRegisteredUserByOrigin } from "@/db/queries/registered-users";
import { findToolPackBySlug } from "@/db/queries/tool-packs";
import { readSettings } from "@/lib/environment-settings/service";
import { AppError } from "@/lib/errors";
import type { ResolvedMcp } from "@/lib/gateway/serve";
import { idpVerifier, unverifiedExpiry, unverifiedIssuer, type IdpVerifier } from "@/lib/gateway-tokens/idp";
import { CACHE_TTL_MS, type HotCache } from "@/lib/gateway/hot-cache";
import { sha256Hex } from "@/lib/crypto/tokens";
import { parseGatewayAuthorization } from "@/lib/gateway-tokens/parse";
import { tokenStatus } from "@/lib/gateway-tokens/service";
import { log } from "@/lib/log";
import { raiseAlert } from "@/lib/alerts/raise";
import { noteAuthFailure } from "@/lib/alerts/security-events";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import type { Runtime } from "@/lib/runtime";
import type { IdpSettings } from "@/lib/schemas/environment-settings";
import { slugSchema } from "@/lib/schemas/tool-packs";

// One message for every token failure, so the answer says nothing about which check failed.
const unauthorized = (message = "The gateway token is missing, malformed, expired, revoked or unknown.") => new AppError({ code: "unauthorized", message });
/** Environments that may trust one issuer; each costs a verification, so there is a ceiling. */
const MAX_TRUSTING_ENVIRONMENTS = 10;

type Caller = { environmentHeader: string | null; requestId: string; ip: string | null };
type Identity = { environment: Environment; registeredUser: RegisteredUser | null; principal: ResolvedMcp["principal"] };

/**
 * MCP URL 3: `/mcp/{tool_pack_slug}` with `Authorization: Bearer <gateway token>`, where the
 * token is a service token (shared connections only), a registered user's personal token, or a
 * JWT from the environment's identity provider. The token decides the environment; the slug is
 * then looked up there only, so a token never reaches another environment's packs.
 */
export async function resolveGatewayRequest(
  rt: Pick<Runtime, "db"> & { cache?: HotCache },
  input: { authorization: string | null; slug: string } & Caller,
  verifier: IdpVerifier = idpVerifier(),
): Promise<ResolvedMcp> {
  const cred = parseGatewayAuthorization(input.authorization);
  if (!cred) throw unauthorized();
  const slugOk = slugSchema.safeParse(input.slug).success;
  // DESIGN §8: a warm call reads nothing from the database; the cache drops an environment's
  // entries on any change there (revocations included), on every replica.
  const cached = <T>(key: string, load: () => Promise<T | null>, envOf: (v: T) => string, ttlMs?: number) =>
    rt.cache
      ? rt.cache.get(key, async () => {
          const v = await load();
          return v ? { value: v, env: envOf(v) } : null;
        }, ttlMs)
      : load();
  const touch = (key: string) => rt.cache?.shouldTouch(key) ?? true;
  let who: Identity;
  if (cred.kind === "service") {
    const row = await cached(`gwt:${cred.hash}`, () => findGatewayTokenByHash(rt.db, cred.hash), (r) => r.environment.id);
    if (row && tokenStatus(row.token) !== "active") noteAuthFailure(rt, { environmentId: row.environment.id, source: `gateway_token:${row.token.id}`, ip: input.ip });
    if (!row || tokenStatus(row.token) !== "active") throw unauthorized();
    if (touch(`gwt:${row.token.id}`)) touchGatewayToken(rt.db, row.environment.id, row.token.id).catch((err) => log.warn("could not record token use", { err }));
    who = { environment: row.environment, registeredUser: null, principal: { type: "gateway_token", id: row.token.id } };
  } else if (cred.kind === "user") {
    const row = await cached(`ut:${cred.hash}`, () => findUserTokenByHash(rt.db, cred.hash), (r) => r.environment.id);
    if (row && tokenStatus(row.token) !== "active") noteAuthFailure(rt, { environmentId: row.environment.id, source: `user_token:${row.token.id}`, ip: input.ip });
    if (!row || tokenStatus(row.token) !== "active") throw unauthorized();
    if (touch(`ut:${row.token.id}`)) touchUserToken(rt.db, row.environment.id, row.token.id).catch((err) => log.warn("could not record token use", { err }));
    who = { environment: row.environment, registeredUser: row.user, principal: { type: "user_token", id: row.token.id } };
  } else {
    // A verified JWT is remembered until it expires (or its environment changes): the signature
    // check is the most expensive step of a call.
    const exp = unverifiedExpiry(cred.token);
    const ttl = exp ? exp * 1000 - Date.now() : 0;
    who = ttl > 0
      ? (await cached(`jwt:${sha256Hex(cred.token)}`, () => resolveIdpToken(rt, cred.token, input, slugOk, verifier), (w) => w.environment.id, Math.min(ttl, CACHE_TTL_MS)))!
      : await resolveIdpToken(rt, cred.token, input, slugOk, verifier);
  }
  if (input.environmentHeader && input.environmentHeader !== who.environment.id) {
    const source = `${who.principal.type}:${who.principal.id}`;
    raiseAlert(rt, { environmentId: who.environment.id, kind: "environment_mismatch", dedupKey: `environment_mismatch|${source}`, details: { source, header_mismatch: true } });
    throw new AppError({ code: "environment_mismatch", message: "This gateway token belongs to a different environment than the one requested." });
  }
  const envId = who.environment.id;
  const pack = slugOk ? await cached(`packslug:${envId}:${input.slug}`, () => findToolPackBySlug(rt.db, envId, input.slug), () => envId) : null;
  if (!pack) throw new AppError({ code: "not_found", message: "Tool pack not found." });
  return { environment: who.environment, pack, registeredUser: who.registeredUser, principal: who.principal, authRequiredAsHttp: who.registeredUser !== null };
}

/**
 * A JWT names its issuer, not an environment: the environments whose IdP settings name that
 * issuer are tried (usually one), and the token must verify against one of them. When several
 * accept it (production and test trusting one IdP with one audience), the pack slug, then the
 * Latchkey-Environment header, must single one out.
 */
async function resolveIdpToken(rt: Pick<Runtime, "db">, token: string, input: { slug: string } & Caller, slugOk: boolean, verifier: IdpVerifier): Promise<Identity> {
  const iss = unverifiedIssuer(token);
  if (!iss) throw unauthorized();
  let candidates = await findEnvironmentsTrustingIssuer(rt.db, iss, MAX_TRUSTING_ENVIRONMENTS);
  if (input.environmentHeader) candidates = candidates.filter((c) => c.environment.id === input.environmentHeader);
  let verified: { environment: Environment; idp: IdpSettings; userIdentifier: string }[] = [];
  for (const c of candidates) {
    const idp = readSettings(c.settings, c.environment.id).idp;
    if (!idp) continue;
    const ok = await verifier.verify(token, idp);
    if (ok) verified.push({ environment: c.environment, idp, userIdentifier: ok.userIdentifier });
  }
  if (verified.length > 1 && slugOk) {
    const withPack = [];
    for (const v of verified) if (await findToolPackBySlug(rt.db, v.environment.id, input.slug)) withPack.push(v);
    if (withPack.length > 0) verified = withPack;
  }
  if (verified.length === 0) throw unauthorized();
  if (verified.length > 1) throw unauthorized("Several environments accept this token; send Latchkey-Environment to choose one.");
  const { environment, idp, userIdentifier } = verified[0]!;
  let user = await findRegisteredUserByOrigin(rt.db, environment.id, userIdentifier);
  if (!user) {
    if (!idp.auto_create_users) throw unauthorized("The token's user is not a registered user of this environment.");
    user = (
      await ensureRegisteredUser(rt.db, {
        environment,
        originUserId: userIdentifier,
        actor: { type: "system", id: "idp" },
        requestId: input.requestId,
        ip: input.ip,
      })
    ).user;
  }
  return { environment, registeredUser: user, principal: { type: "idp", id: user.id } };
}
