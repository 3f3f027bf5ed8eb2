"use server";

import { cookies } from "next/headers";
import { authedAction } from "@/lib/actions/authed-action";
import { envCookie } from "@/lib/dashboard/context";
import { AppError } from "@/lib/errors";
import { createOrganization, createTestEnvironment, listEnvironments, listMembershipsOfUser } from "@/lib/orgs/organizations";
import { createEnvironmentSchema, createOrganizationSchema, switchEnvironmentSchema } from "@/lib/schemas/dashboard";

export const switchEnvironment = authedAction({ schema: switchEnvironmentSchema, minRole: "viewer" }, async (input, ctx) => {
  // The environment must belong to an organization this user is a member of.
  for (const m of await listMembershipsOfUser(ctx.rt.db, ctx.user.id)) {
    const env = (await listEnvironments(ctx.rt.db, m.organizationId)).find((e) => e.id === input.environmentId);
    if (env) {
      const c = await envCookie();
      (await cookies()).set(c.name, env.id, c.options);
      return { environmentId: env.id, kind: env.kind };
    }
  }
  throw new AppError({ code: "not_found", message: "Environment not found." });
});

export const createOrganizationAction = authedAction({ schema: createOrganizationSchema, minRole: "viewer" }, async (input, ctx) => {
  const org = await createOrganization(ctx.rt.db, { name: input.name, ownerUserId: ctx.user.id, actor: ctx.actor, requestId: ctx.requestId });
  const prod = org.environments.find((e) => e.kind === "production")!;
  const c = await envCookie();
  (await cookies()).set(c.name, prod.id, c.options);
  return { organizationId: org.id };
});

export const createEnvironmentAction = authedAction(
  { schema: createEnvironmentSchema, minRole: "admin", revalidate: "/settings" },
  async (input, ctx) => {
    if (ctx.environments.some((e) => e.name.toLowerCase() === input.name.toLowerCase())) {
      throw new AppError({ code: "conflict", message: `An environment named "${input.name}" already exists.`, issues: [{ path: "name", message: "already taken" }] });
    }
    const id = await createTestEnvironment(ctx.rt.db, { organizationId: ctx.organization.id, name: input.name, actor: ctx.actor, requestId: ctx.requestId });
    return { environmentId: id };
  },
);
