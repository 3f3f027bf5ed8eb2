"use server";

import { publicAction } from "@/lib/actions/authed-action";
import { acceptInvitation } from "@/lib/orgs/members";
import { acceptInvitationSchema } from "@/lib/schemas/dashboard";

// No session exists yet: the invitation token is the credential, consumed atomically.
export const acceptInvitationAction = publicAction(
  { schema: acceptInvitationSchema, rateLimit: { bucket: "invite-accept", limit: 20, windowSeconds: 300 } },
  async (input, ctx) => {
    const r = await acceptInvitation(ctx.rt.db, { token: input.token, password: input.password, name: input.name ?? null });
    return { email: r.email };
  },
);
