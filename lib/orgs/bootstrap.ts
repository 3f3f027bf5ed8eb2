import { randomBytes } from "node:crypto";
import type { Db } from "@/db/client";
import { organizations } from "@/db/schema";
import { base62 } from "@/lib/crypto/tokens";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser, findUserByEmail } from "@/lib/orgs/users";

export const DEFAULT_ADMIN_EMAIL = "admin@latchkey.local";

export type BootstrapResult = {
  organizationId: string;
  environments: { id: string; kind: string }[];
  adminEmail: string;
  /** Present only when we generated it: printed once, never stored in clear. */
  generatedPassword?: string;
};

/**
 * First start on an empty database: an organization with its production and test
 * environments and a first admin. Does nothing once any organization exists.
 */
export async function bootstrap(
  db: Db,
  opts: { orgName: string; adminEmail?: string | undefined; adminPassword?: string | undefined },
): Promise<BootstrapResult | null> {
  const [existing] = await db.select({ id: organizations.id }).from(organizations).limit(1);
  if (existing) return null;
  const actor = { type: "system" as const, id: "bootstrap" };
  const adminEmail = opts.adminEmail ?? DEFAULT_ADMIN_EMAIL;
  const generatedPassword = opts.adminPassword ? undefined : base62(randomBytes(15), 21);
  const password = opts.adminPassword ?? generatedPassword!;
  const userId = (await findUserByEmail(db, adminEmail))?.id ?? (await createUser(db, { email: adminEmail, name: "Admin", password, actor }));
  const org = await createOrganization(db, { name: opts.orgName, ownerUserId: userId, actor });
  return {
    organizationId: org.id,
    environments: org.environments.map((e) => ({ id: e.id, kind: e.kind })),
    adminEmail,
    ...(generatedPassword ? { generatedPassword } : {}),
  };
}
