import { generateToken, hashToken, safeEqual } from "@/lib/crypto/tokens";

/**
 * Magic-link tokens and the session ids they open are bearer secrets of ours (DESIGN §7):
 * prefixed, 256 bits of randomness (43 base62 characters), stored only as SHA-256. The token
 * is not signed: it is an unguessable random value checked by hash lookup, which no key
 * compromise can forge, and revocation is a column on its row.
 */
export const MAGIC_TOKEN_PREFIX = "lk_magic";
export const MAGIC_SESSION_PREFIX = "lk_mls";

const MAGIC_TOKEN_RE = /^lk_magic_[0-9A-Za-z]{43}$/;
const MAGIC_SESSION_RE = /^lk_mls_[0-9A-Za-z]{43}$/;

export const generateMagicToken = () => generateToken(MAGIC_TOKEN_PREFIX);
export const generateSessionToken = () => generateToken(MAGIC_SESSION_PREFIX);

/** The hash to look up, or null for anything that is not shaped like a token (never reaches the database). */
export function magicTokenHash(raw: unknown): string | null {
  return typeof raw === "string" && raw.length < 100 && MAGIC_TOKEN_RE.test(raw) ? hashToken(raw) : null;
}

export function sessionTokenHash(raw: unknown): string | null {
  return typeof raw === "string" && raw.length < 100 && MAGIC_SESSION_RE.test(raw) ? hashToken(raw) : null;
}

/**
 * The row came from a unique-index lookup by this hash; comparing again in constant time keeps
 * the decision independent of how the index compared (and of a future lookup that is not exact).
 */
export const sameHash = (stored: string, presented: string) => safeEqual(stored, presented);

/** The page URL. The token travels in the fragment: browsers never send it to a server, a log or a Referer. */
export const magicLinkUrl = (baseUrl: string, token: string) => `${baseUrl.replace(/\/$/, "")}/m#token=${token}`;
