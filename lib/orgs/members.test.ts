import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { memberships, users } from "@/db/schema";
import { createTestDb } from "@/db/test-db";
import { verifyAuditLog } from "@/lib/audit/verify";
import { verifyPassword } from "@/lib/crypto/password";
import { AppError } from "@/lib/errors";
import {
  acceptInvitation,
  changeMemberRole,
  createInvitation,
  findOpenInvitation,
  listMembers,
  listPendingInvitations,
  removeMember,
  revokeInvitation,
} from "@/lib/orgs/members";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";

let handle: DbHandle;
let n = 0;
const system = { type: "system" as const, id: "test" };

/** A fresh organization with one owner, so tests do not share membership state. */
async function newOrg() {
  n++;
  const ownerId = await createUser(handle.db, { email: `owner${n}@example.com`, actor: system });
  const org = await createOrganization(handle.db, { name: `Org ${n}`, ownerUserId: ownerId, actor: system });
  const owner = { actor: { type: "user" as const, id: ownerId }, actorRole: "owner" as const };
  return { orgId: org.id, ownerId, owner };
}

async function roleOf(orgId: string, userId: string) {
  const [m] = await handle.db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.organizationId, orgId), eq(memberships.userId, userId)));
  return m?.role ?? null;
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as AppError,
  );

beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(async () => {
  await handle?.close();
});

describe("members: an organization always keeps an owner", () => {
  it("the last owner cannot be demoted or removed (conflict)", async () => {
    const { orgId, ownerId, owner } = await newOrg();
    expect((await errorOf(changeMemberRole(handle.db, { organizationId: orgId, userId: ownerId, role: "admin", ...owner }))).code).toBe("conflict");
    expect((await errorOf(removeMember(handle.db, { organizationId: orgId, userId: ownerId, ...owner }))).code).toBe("conflict");
    expect(await roleOf(orgId, ownerId)).toBe("owner");
  });

  it("with a second owner, one of them can step down; then the other is the last and is protected", async () => {
    const { orgId, ownerId, owner } = await newOrg();
    const second = await createUser(handle.db, { email: `second${n}@example.com`, actor: system });
    await handle.db.insert(memberships).values({ organizationId: orgId, userId: second, role: "admin" });
    await changeMemberRole(handle.db, { organizationId: orgId, userId: second, role: "owner", ...owner });
    await changeMemberRole(handle.db, { organizationId: orgId, userId: ownerId, role: "developer", ...owner });
    expect(await roleOf(orgId, ownerId)).toBe("developer");
    const secondOwner = { actor: { type: "user" as const, id: second }, actorRole: "owner" as const };
    expect((await errorOf(removeMember(handle.db, { organizationId: orgId, userId: second, ...secondOwner }))).code).toBe("conflict");
    await removeMember(handle.db, { organizationId: orgId, userId: ownerId, ...secondOwner });
    expect(await roleOf(orgId, ownerId)).toBeNull();
  });

  it("only an owner can grant or take away the owner role", async () => {
    const { orgId, ownerId } = await newOrg();
    const admin = await createUser(handle.db, { email: `admin${n}@example.com`, actor: system });
    await handle.db.insert(memberships).values({ organizationId: orgId, userId: admin, role: "admin" });
    const asAdmin = { actor: { type: "user" as const, id: admin }, actorRole: "admin" as const };
    expect((await errorOf(changeMemberRole(handle.db, { organizationId: orgId, userId: admin, role: "owner", ...asAdmin }))).code).toBe("forbidden");
    expect((await errorOf(changeMemberRole(handle.db, { organizationId: orgId, userId: ownerId, role: "viewer", ...asAdmin }))).code).toBe("forbidden");
    expect((await errorOf(removeMember(handle.db, { organizationId: orgId, userId: ownerId, ...asAdmin }))).code).toBe("forbidden");
    expect((await errorOf(createInvitation(handle.db, { organizationId: orgId, email: "x@example.com", role: "owner", ...asAdmin }))).code).toBe("forbidden");
    expect(await roleOf(orgId, ownerId)).toBe("owner");
    expect(await roleOf(orgId, admin)).toBe("admin");
  });

  it("a member of another organization is not found", async () => {
    const a = await newOrg();
    const b = await newOrg();
    expect((await errorOf(removeMember(handle.db, { organizationId: a.orgId, userId: b.ownerId, ...a.owner }))).code).toBe("not_found");
  });
});

describe("invitations: single-use tokens", () => {
  it("accepting creates the member with the invited role and consumes the token; a second accept fails", async () => {
    const { orgId, owner } = await newOrg();
    const inv = await createInvitation(handle.db, { organizationId: orgId, email: " New.Person@Example.com ", role: "developer", ...owner });
    expect(inv.token).toMatch(/^lk_inv_/);
    expect((await listPendingInvitations(handle.db, orgId)).map((i) => i.email)).toEqual(["new.person@example.com"]);
    // Only the hash is stored.
    const stored = await handle.rows(sql`select * from invitations where id = ${inv.id}`);
    expect(JSON.stringify(stored)).not.toContain(inv.token);

    const res = await acceptInvitation(handle.db, { token: inv.token, password: "a long enough password", name: "New" });
    expect(res).toMatchObject({ email: "new.person@example.com", organizationId: orgId });
    expect(await roleOf(orgId, res.userId)).toBe("developer");
    const [u] = await handle.db.select().from(users).where(eq(users.id, res.userId));
    expect(await verifyPassword("a long enough password", u!.passwordHash)).toBe(true);

    const again = await errorOf(acceptInvitation(handle.db, { token: inv.token, password: "another password!" }));
    expect(again.code).toBe("not_found");
    expect(await findOpenInvitation(handle.db, inv.token)).toBeNull();
    expect(await listPendingInvitations(handle.db, orgId)).toEqual([]);
  });

  it("20 parallel accepts of the same token: exactly one succeeds", async () => {
    const { orgId, owner } = await newOrg();
    const inv = await createInvitation(handle.db, { organizationId: orgId, email: `race${n}@example.com`, role: "viewer", ...owner });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => acceptInvitation(handle.db, { token: inv.token, password: `password-number-${i}` })),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(19);
    for (const f of failed) expect((f.reason as AppError).code).toBe("not_found");

    const members = await listMembers(handle.db, orgId);
    expect(members.filter((m) => m.email === `race${n}@example.com`)).toHaveLength(1);
    const accepted = await handle.rows<{ n: number }>(
      sql`select count(*)::int as n from audit_log where action = 'invitation.accepted' and target_id = ${inv.id}`,
    );
    expect(Number(accepted[0]!.n)).toBe(1);
  });

  it("an existing user must prove their password to accept", async () => {
    const { orgId, owner } = await newOrg();
    const email = `existing${n}@example.com`;
    const userId = await createUser(handle.db, { email, password: "the right password", actor: system });
    const inv = await createInvitation(handle.db, { organizationId: orgId, email, role: "admin", ...owner });
    const wrong = await errorOf(acceptInvitation(handle.db, { token: inv.token, password: "the wrong password" }));
    expect(wrong.code).toBe("validation_error");
    expect(await roleOf(orgId, userId)).toBeNull();
    expect((await acceptInvitation(handle.db, { token: inv.token, password: "the right password" })).userId).toBe(userId);
    expect(await roleOf(orgId, userId)).toBe("admin");
  });

  it("a revoked invitation or an unknown token cannot be accepted; a current member cannot be invited", async () => {
    const { orgId, ownerId, owner } = await newOrg();
    const inv = await createInvitation(handle.db, { organizationId: orgId, email: `revoked${n}@example.com`, role: "viewer", ...owner });
    await revokeInvitation(handle.db, { organizationId: orgId, id: inv.id, ...owner });
    expect((await errorOf(acceptInvitation(handle.db, { token: inv.token, password: "whatever pw 123" }))).code).toBe("not_found");
    expect((await errorOf(acceptInvitation(handle.db, { token: "lk_inv_doesnotexist", password: "whatever pw 123" }))).code).toBe("not_found");
    const [owner1] = await handle.db.select({ email: users.email }).from(users).where(eq(users.id, ownerId));
    expect((await errorOf(createInvitation(handle.db, { organizationId: orgId, email: owner1!.email, role: "viewer", ...owner }))).code).toBe("conflict");
  });

  it("everything above left a verifiable audit chain", async () => {
    expect(await verifyAuditLog(handle.db)).toMatchObject({ ok: true });
  });
});
