import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type JWTVerifyGetKey } from "jose";
import { log } from "@/lib/log";
import { guardedFetch, OutboundError, type OutboundFetch } from "@/lib/net/outbound-guard";
import type { IdpSettings } from "@/lib/schemas/environment-settings";

/**
 * Verifies a JWT from a team's own identity provider (DESIGN §2, gateway tokens): signature
 * against the IdP's JWKS, issuer, audience, expiry. Asymmetric algorithms only: with HS256 the
 * "key" would be something we publish or the IdP shares, and "none" is no signature at all.
 */
export const IDP_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** Seconds of clock skew tolerated on exp/nbf/iat. */
export const IDP_CLOCK_TOLERANCE = 5;
const JWKS_MAX_BYTES = 256 * 1024;
const JWKS_TIMEOUT_MS = 5_000;
const MAX_JWKS_SETS = 200;

/** The `iss` of a JWT, read without verifying it: only to find which settings to verify with. */
export function unverifiedIssuer(token: string): string | null {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" && iss.length > 0 && iss.length <= 2000 ? iss : null;
  } catch {
    return null;
  }
}

/** The `exp` of a JWT (seconds), read without verifying it: only to bound how long a verification is remembered. */
export function unverifiedExpiry(token: string): number | null {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

/** The claim's value as an origin_user_id: a non-empty string (or an integer), at most 255 characters. */
export function userIdentifierOf(payload: Record<string, unknown>, claim: string): string | null {
  const v = payload[claim];
  const s = typeof v === "string" ? v.trim() : typeof v === "number" && Number.isSafeInteger(v) ? String(v) : null;
  return s && s.length <= 255 ? s : null;
}

export type IdpVerifier = { verify(token: string, idp: IdpSettings): Promise<{ userIdentifier: string } | null> };

/**
 * One verifier per process. Key sets are cached per JWKS URL by jose (10 minutes, refetched on
 * an unknown `kid` at most every 30 s), and every fetch goes through the outbound guard.
 */
export function createIdpVerifier(fetchImpl: OutboundFetch): IdpVerifier {
  const sets = new Map<string, JWTVerifyGetKey>();
  const keysFor = (url: string) => {
    let set = sets.get(url);
    if (!set) {
      if (sets.size >= MAX_JWKS_SETS) sets.delete(sets.keys().next().value!);
      set = createRemoteJWKSet(new URL(url), {
        timeoutDuration: JWKS_TIMEOUT_MS,
        [customFetch]: (u, init) => fetchImpl(u, { headers: init.headers, signal: init.signal, maxBytes: JWKS_MAX_BYTES, timeoutMs: JWKS_TIMEOUT_MS }),
      });
      sets.set(url, set);
    }
    return set;
  };
  return {
    async verify(token, idp) {
      try {
        const { payload } = await jwtVerify(token, keysFor(idp.jwks_url), {
          issuer: idp.issuer,
          audience: idp.audience,
          algorithms: IDP_ALGORITHMS,
          clockTolerance: IDP_CLOCK_TOLERANCE,
          // A JWT without an expiry would be a credential that never ends.
          requiredClaims: ["exp"],
        });
        const userIdentifier = userIdentifierOf(payload, idp.user_claim);
        return userIdentifier ? { userIdentifier } : null;
      } catch (err) {
        // A refused or failed JWKS fetch is the operator's to fix; a bad token is the caller's.
        if (err instanceof OutboundError) log.warn("could not fetch the IdP's JWKS", { jwks_url: idp.jwks_url, reason: err.code });
        return null;
      }
    },
  };
}

let shared: IdpVerifier | undefined;
export const idpVerifier = (): IdpVerifier => (shared ??= createIdpVerifier(guardedFetch));
