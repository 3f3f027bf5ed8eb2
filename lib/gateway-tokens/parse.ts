import { hashToken } from "@/lib/crypto/tokens";

/** Our own gateway tokens: prefix + 256 random bits in base62 (see generateToken). */
export const SERVICE_TOKEN_PREFIX = "lk_svc";
export const USER_TOKEN_PREFIX = "lk_pat";

const SERVICE_RE = /^lk_svc_[0-9A-Za-z]{43}$/;
const USER_RE = /^lk_pat_[0-9A-Za-z]{43}$/;
// A signed compact JWS: header.payload.signature, all base64url. An empty signature ("alg":"none")
// or an encrypted JWT (five parts) is not a credential we accept.
const JWT_RE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** IdP tokens with many claims run to a few KB; beyond this it is not a bearer token we take. */
export const MAX_BEARER_LENGTH = 8192;

export type GatewayCredential = { kind: "service"; hash: string } | { kind: "user"; hash: string } | { kind: "jwt"; token: string };

/**
 * The Authorization header of a `/mcp/{slug}` request → which kind of credential it holds,
 * decided by its shape alone (no database, no network). Null for anything else.
 */
export function parseGatewayAuthorization(authorization: string | null | undefined): GatewayCredential | null {
  if (!authorization || authorization.length > MAX_BEARER_LENGTH + 20) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  const raw = m?.[1];
  if (!raw || raw.length > MAX_BEARER_LENGTH) return null;
  if (SERVICE_RE.test(raw)) return { kind: "service", hash: hashToken(raw) };
  if (USER_RE.test(raw)) return { kind: "user", hash: hashToken(raw) };
  if (JWT_RE.test(raw)) return { kind: "jwt", token: raw };
  return null;
}

/** The part of a token shown in lists: the prefix and a few characters, never enough to use. */
export const displayPrefix = (token: string) => token.slice(0, token.indexOf("_", 3) + 5);
