"use server";

import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { updateConnectorConfig } from "@/lib/connectors/configs";
import { updateConnectorConfigBodySchema } from "@/lib/schemas/connectors";

export const updateConnectorConfigAction = authedAction(
  { schema: updateConnectorConfigBodySchema.extend({ slug: z.string().min(1).max(64) }), minRole: "developer", revalidate: "/connectors" },
  async (input, ctx) => {
    await updateConnectorConfig(ctx.rt, {
      environment: ctx.environment,
      slug: input.slug,
      patch: {
        enabled: input.enabled,
        oauthClientId: input.oauth_client_id,
        oauthClientSecret: input.oauth_client_secret,
        scopes: input.scopes,
        baseUrl: input.base_url,
      },
      actor: ctx.actor,
      requestId: ctx.requestId,
    });
    return null;
  },
);
