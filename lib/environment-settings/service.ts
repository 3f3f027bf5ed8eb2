import type { DbOrTx } from "@/db/client";
import type { Environment } from "@/db/schema";
import { findEnvironmentSettingsRow, lockEnvironmentSettingsRow, writeEnvironmentSettingsRow } from "@/db/queries/environment-settings";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { validationError } from "@/lib/errors";
import { log } from "@/lib/log";
import { checkOutboundUrl, OutboundError } from "@/lib/net/outbound-guard";
import { sections, type EnvironmentSettings, type EnvironmentSettingsOut } from "@/lib/schemas/environment-settings";

type Env = Pick<Environment, "id" | "organizationId">;
export type Caller = { actor: Actor; requestId?: string | null; ip?: string | null };
type SectionKey = keyof typeof sections;
export type SettingsPatch = { [K in SectionKey]?: EnvironmentSettings[K] | null };

/**
 * The known sections of a stored document, each validated on its own: one that no longer
 * validates (written by another version, edited by hand) reads as absent, so for the IdP
 * section that means JWTs are refused rather than verified against half a configuration.
 */
export function readSettings(raw: unknown, environmentId?: string): EnvironmentSettings {
  const out: Record<string, unknown> = {};
  if (!raw || typeof raw !== "object") return out;
  for (const [key, schema] of Object.entries(sections)) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    const parsed = schema.safeParse(value);
    if (parsed.success) out[key] = parsed.data;
    else log.warn("ignoring an invalid environment settings section", { environmentId, section: key });
  }
  return out as EnvironmentSettings;
}

export async function getEnvironmentSettings(db: DbOrTx, environmentId: string) {
  const row = await findEnvironmentSettingsRow(db, environmentId);
  return { settings: readSettings(row?.settings, environmentId), updatedAt: row?.updatedAt ?? null };
}

export function toEnvironmentSettingsOut(environmentId: string, s: { settings: EnvironmentSettings; updatedAt: Date | null }): EnvironmentSettingsOut {
  return {
    object: "environment_settings",
    environment_id: environmentId,
    idp: s.settings.idp ?? null,
    branding: s.settings.branding ?? null,
    embed: s.settings.embed ?? null,
    updated_at: s.updatedAt?.toISOString() ?? null,
  };
}

/** What can be checked beyond the schema: the JWKS URL must be one the outbound guard will fetch. */
function checkPatch(patch: SettingsPatch, allowlist: readonly string[]) {
  if (patch.idp) {
    try {
      checkOutboundUrl(patch.idp.jwks_url, allowlist);
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      throw validationError([{ path: "idp.jwks_url", message: `not fetchable: ${err.message}` }]);
    }
  }
}

/**
 * Each section in the patch replaces that section (null removes it); sections not in the patch,
 * including ones this version does not know, are kept as stored. Audited in the same
 * transaction.
 */
export async function updateEnvironmentSettings(db: DbOrTx, input: { environment: Env; patch: SettingsPatch; allowlist: readonly string[] } & Caller) {
  checkPatch(input.patch, input.allowlist);
  const changed = (Object.keys(input.patch) as SectionKey[]).filter((k) => input.patch[k] !== undefined);
  return db.transaction(async (tx) => {
    const row = await lockEnvironmentSettingsRow(tx, input.environment.id);
    if (changed.length === 0) return { settings: readSettings(row.settings, input.environment.id), updatedAt: row.updatedAt };
    const next: Record<string, unknown> = { ...row.settings };
    for (const key of changed) {
      const value = input.patch[key];
      if (value === null) delete next[key];
      else next[key] = value;
    }
    const written = await writeEnvironmentSettingsRow(tx, input.environment.id, next);
    const settings = readSettings(written.settings, input.environment.id);
    await recordAudit(tx, {
      organizationId: input.environment.organizationId,
      environmentId: input.environment.id,
      actor: input.actor,
      action: "environment_settings.updated",
      target: { type: "environment", id: input.environment.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      // The settings hold no secrets (issuer, key URL, audience): the new values are the record.
      metadata: { sections: changed, after: Object.fromEntries(changed.map((k) => [k, settings[k] ?? null])) },
    });
    return { settings, updatedAt: written.updatedAt };
  });
}
