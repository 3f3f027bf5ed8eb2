"use server";

import { authedAction } from "@/lib/actions/authed-action";
import { changeMemberRole, createInvitation, removeMember, revokeInvitation } from "@/lib/orgs/members";
import { changeRoleSchema, inviteMemberSchema, removeMemberSchema, revokeInvitationSchema } from "@/lib/schemas/dashboard";

const caller = (ctx: { actor: { type: "user"; id: string }; role: import("@/db/schema").Role; requestId: string }) => ({
  actor: ctx.actor,
  actorRole: ctx.role,
  requestId: ctx.requestId,
});

export const inviteMemberAction = authedAction({ schema: inviteMemberSchema, minRole: "admin", revalidate: "/members" }, async (input, ctx) => {
  const inv = await createInvitation(ctx.rt.db, { organizationId: ctx.organization.id, email: input.email, role: input.role, ...caller(ctx) });
  return { id: inv.id, path: `/invite/${inv.token}`, expiresAt: inv.expiresAt.toISOString() };
});

export const changeRoleAction = authedAction({ schema: changeRoleSchema, minRole: "admin", revalidate: "/members" }, async (input, ctx) => {
  await changeMemberRole(ctx.rt.db, { organizationId: ctx.organization.id, userId: input.userId, role: input.role, ...caller(ctx) });
  return null;
});

export const removeMemberAction = authedAction({ schema: removeMemberSchema, minRole: "admin", revalidate: "/members" }, async (input, ctx) => {
  await removeMember(ctx.rt.db, { organizationId: ctx.organization.id, userId: input.userId, ...caller(ctx) });
  return null;
});

export const revokeInvitationAction = authedAction({ schema: revokeInvitationSchema, minRole: "admin", revalidate: "/members" }, async (input, ctx) => {
  await revokeInvitation(ctx.rt.db, { organizationId: ctx.organization.id, id: input.id, ...caller(ctx) });
  return null;
});
