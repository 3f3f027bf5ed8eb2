import type { DbOrTx } from "@/db/client";
import { environmentWithOrganization } from "@/db/queries/link";
import { getEnvironmentSettings } from "@/lib/environment-settings/service";
import type { EnvironmentSettings } from "@/lib/schemas/environment-settings";

export type LinkBranding = { name: string; logoUrl: string | null; accentColor: string };

export const DEFAULT_ACCENT = "#4f46e5";

/**
 * What the hosted Link page shows as "who is asking": the environment's branding settings
 * (name, logo, accent colour), else the organization's name and the default accent. The one
 * place that reads them; values are re-checked here because they reach markup.
 */
export async function linkBranding(db: DbOrTx, environmentId: string, settings?: EnvironmentSettings): Promise<LinkBranding> {
  const [env, read] = await Promise.all([environmentWithOrganization(db, environmentId), settings ? null : getEnvironmentSettings(db, environmentId)]);
  const b = (settings ?? read!.settings).branding;
  return { name: b?.name ?? env?.organizationName ?? "Latchkey", logoUrl: safeLogoUrl(b?.logo_url), accentColor: safeAccent(b?.accent_color) };
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
