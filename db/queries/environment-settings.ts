import { eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { environments, environmentSettings } from "@/db/schema";

export async function findEnvironmentSettingsRow(db: DbOrTx, environmentId: string) {
  const [row] = await db.select().from(environmentSettings).where(eq(environmentSettings.environmentId, environmentId));
  return row ?? null;
}

/** Locks the row (creating it empty first) so concurrent section updates do not lose each other. */
export async function lockEnvironmentSettingsRow(db: DbOrTx, environmentId: string) {
  await db.insert(environmentSettings).values({ environmentId, settings: {} }).onConflictDoNothing();
  const [row] = await db.select().from(environmentSettings).where(eq(environmentSettings.environmentId, environmentId)).for("update");
  return row!;
}

export async function writeEnvironmentSettingsRow(db: DbOrTx, environmentId: string, settings: Record<string, unknown>) {
  const [row] = await db
    .update(environmentSettings)
    .set({ settings, updatedAt: sql`now()` })
    .where(eq(environmentSettings.environmentId, environmentId))
    .returning();
  return row!;
}

/**
 * The environments whose IdP settings name this issuer (through the expression index). This is
 * how a JWT, which names its issuer but not an environment, finds where it may be verified; it
 * is an authentication lookup, like an API key's by hash, so it is not scoped to one environment.
 */
export async function findEnvironmentsTrustingIssuer(db: DbOrTx, issuer: string, limit: number) {
  return db
    .select({ environment: environments, settings: environmentSettings.settings })
    .from(environmentSettings)
    .innerJoin(environments, eq(environments.id, environmentSettings.environmentId))
    .where(sql`(${environmentSettings.settings} -> 'idp' ->> 'issuer') = ${issuer}`)
    .limit(limit);
}

/**
 * Whether any environment lets this origin embed the Link page. The page's CSP is a response
 * header written before the link token (in the fragment) is redeemed, so it can only ask
 * "may this origin frame Link at all"; the environment's own list is checked at redemption.
 */
export async function anyEnvironmentAllowsEmbedOrigin(db: DbOrTx, origin: string): Promise<boolean> {
  const [row] = await db
    .select({ id: environmentSettings.environmentId })
    .from(environmentSettings)
    .where(sql`${environmentSettings.settings} @> ${JSON.stringify({ embed: { allowed_origins: [origin] } })}::jsonb`)
    .limit(1);
  return Boolean(row);
}
