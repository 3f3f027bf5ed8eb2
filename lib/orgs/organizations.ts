import { and, asc, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { environments, memberships, organizations, type Environment, type Role } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { createId } from "@/lib/ids";

/** A new organization always comes with its production environment and one test environment. */
export async function createOrganization(
  db: DbOrTx,
  input: { name: string; ownerUserId: string; actor: Actor; requestId?: string | null },
) {
  return db.transaction(async (tx) => {
    const orgId = createId("organization");
    await tx.insert(organizations).values({ id: orgId, name: input.name });
    const envs = [
      { id: createId("environment"), organizationId: orgId, name: "Production", kind: "production" as const },
      { id: createId("environment"), organizationId: orgId, name: "Test", kind: "test" as const },
    ];
    await tx.insert(environments).values(envs);
    await tx.insert(memberships).values({ organizationId: orgId, userId: input.ownerUserId, role: "owner" });
    await recordAudit(tx, {
      organizationId: orgId,
      actor: input.actor,
      action: "organization.created",
      target: { type: "organization", id: orgId },
      requestId: input.requestId ?? null,
      metadata: { name: input.name, environments: envs.map((e) => ({ id: e.id, kind: e.kind })) },
    });
    await recordAudit(tx, {
      organizationId: orgId,
      actor: input.actor,
      action: "member.added",
      target: { type: "user", id: input.ownerUserId },
      requestId: input.requestId ?? null,
      metadata: { role: "owner" },
    });
    return { id: orgId, environments: envs };
  });
}

export async function listEnvironments(db: DbOrTx, organizationId: string): Promise<Environment[]> {
  return db
    .select()
    .from(environments)
    .where(eq(environments.organizationId, organizationId))
    .orderBy(asc(environments.kind), asc(environments.createdAt));
}

export async function getEnvironment(db: DbOrTx, organizationId: string, environmentId: string) {
  const [env] = await db
    .select()
    .from(environments)
    .where(and(eq(environments.organizationId, organizationId), eq(environments.id, environmentId)));
  return env ?? null;
}

export async function createTestEnvironment(
  db: DbOrTx,
  input: { organizationId: string; name: string; actor: Actor; requestId?: string | null },
) {
  return db.transaction(async (tx) => {
    const id = createId("environment");
    await tx.insert(environments).values({ id, organizationId: input.organizationId, name: input.name, kind: "test" });
    await recordAudit(tx, {
      organizationId: input.organizationId,
      environmentId: id,
      actor: input.actor,
      action: "environment.created",
      target: { type: "environment", id },
      requestId: input.requestId ?? null,
      metadata: { name: input.name, kind: "test" },
    });
    return id;
  });
}

export type MembershipWithOrg = { organizationId: string; organizationName: string; role: Role };

export async function listMembershipsOfUser(db: DbOrTx, userId: string): Promise<MembershipWithOrg[]> {
  return db
    .select({ organizationId: organizations.id, organizationName: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.createdAt));
}
