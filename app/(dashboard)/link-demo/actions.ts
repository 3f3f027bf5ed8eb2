"use server";

import { headers } from "next/headers";
import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { createLinkToken } from "@/lib/link-tokens/service";
import { ensureRegisteredUser, getRegisteredUser } from "@/lib/registered-users/service";

const schema = z.union([
  z.strictObject({ registered_user_id: z.string().trim().min(1).max(100) }),
  z.strictObject({ origin_user_id: z.string().trim().min(1).max(255) }),
]);

/**
 * A link token for the demo, as an app's backend would mint one: for a registered user of the
 * current environment (picked, or found/created by its origin_user_id), all connectors.
 */
export const mintDemoLinkTokenAction = authedAction({ schema, minRole: "developer" }, async (input, ctx) => {
  const user =
    "registered_user_id" in input
      ? await getRegisteredUser(ctx.rt.db, ctx.environment.id, input.registered_user_id)
      : (await ensureRegisteredUser(ctx.rt.db, { environment: ctx.environment, originUserId: input.origin_user_id, actor: ctx.actor, requestId: ctx.requestId })).user;
  const t = await createLinkToken(ctx.rt.db, {
    environment: ctx.environment,
    registeredUserId: user.id,
    baseUrl: publicBaseUrl(ctx.rt, await headers()),
    actor: ctx.actor,
    requestId: ctx.requestId,
  });
  return { link_token: t.link_token, expires_at: t.expires_at, registered_user_id: user.id, origin_user_id: user.originUserId };
});
