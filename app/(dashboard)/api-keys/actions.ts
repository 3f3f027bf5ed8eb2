"use server";

import { authedAction } from "@/lib/actions/authed-action";
import { createApiKey, revokeApiKey, toApiKeyOut } from "@/lib/api-keys/service";
import { createApiKeyFormSchema, revokeApiKeyFormSchema } from "@/lib/schemas/dashboard";

export const createApiKeyAction = authedAction(
  { schema: createApiKeyFormSchema, minRole: "developer", revalidate: "/api-keys" },
  async (input, ctx) => {
    const { key, secret } = await createApiKey(ctx.rt.db, { environment: ctx.environment, name: input.name, actor: ctx.actor, requestId: ctx.requestId });
    return { ...toApiKeyOut(key), secret };
  },
);

export const revokeApiKeyAction = authedAction(
  { schema: revokeApiKeyFormSchema, minRole: "developer", revalidate: "/api-keys" },
  async (input, ctx) => toApiKeyOut(await revokeApiKey(ctx.rt.db, { environment: ctx.environment, id: input.id, actor: ctx.actor, requestId: ctx.requestId })),
);
