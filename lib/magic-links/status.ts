import type { MagicLink } from "@/db/schema";

export const magicLinkStatuses = ["active", "completed", "expired", "revoked"] as const;
export type MagicLinkStatus = (typeof magicLinkStatuses)[number];

/**
 * Computed on every read rather than stored, so it can never disagree with the connections:
 * a link that asked for connectors is `completed` while the user has an active connection for
 * each of them (it opens nothing new then); one that asked for none stays `active` until it
 * expires or is revoked. Revocation wins over everything; completion is reported even after
 * expiry, since it is what the caller wants to know.
 */
export function magicLinkStatus(
  link: Pick<MagicLink, "revokedAt" | "expiresAt" | "connectors">,
  activeConnectors: ReadonlySet<string>,
  now: Date = new Date(),
): MagicLinkStatus {
  if (link.revokedAt) return "revoked";
  if (link.connectors && link.connectors.length > 0 && link.connectors.every((c) => activeConnectors.has(c))) return "completed";
  if (link.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

/** Requested connectors the user has no active connection for yet. */
export function pendingConnectors(link: Pick<MagicLink, "connectors">, activeConnectors: ReadonlySet<string>): string[] {
  return (link.connectors ?? []).filter((c) => !activeConnectors.has(c));
}
