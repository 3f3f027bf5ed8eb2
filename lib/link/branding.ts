import type { DbOrTx } from "@/db/client";
import { environmentWithOrganization } from "@/db/queries/link";

export type LinkBranding = { name: string; logoUrl: string | null; accentColor: string };

export const DEFAULT_ACCENT = "#4f46e5";

/**
 * What the hosted Link page shows as "who is asking": today the organization's name and the
 * default accent. Environment settings (name, logo, accent) will take precedence once they
 * exist; this is the one place to read them.
 */
export async function linkBranding(db: DbOrTx, environmentId: string): Promise<LinkBranding> {
  const env = await environmentWithOrganization(db, environmentId);
  return { name: env?.organizationName ?? "Latchkey", logoUrl: null, accentColor: DEFAULT_ACCENT };
}

/** Only a #rgb / #rrggbb colour reaches a style attribute; anything else falls back to the default. */
export function safeAccent(value: string | null | undefined): string {
  return value && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(value) ? value : DEFAULT_ACCENT;
}

/** Logos are shown only from https (or a data: image), never from a scheme that could run script. */
export function safeLogoUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  if (/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(value)) return value;
  try {
    return new URL(value).protocol === "https:" ? value : null;
  } catch {
    return null;
  }
}
