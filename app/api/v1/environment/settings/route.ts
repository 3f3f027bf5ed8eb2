// GET   /api/v1/environment/settings – the caller's environment's settings
// PATCH /api/v1/environment/settings – replace or remove sections (idp, …)
import { getEnvironmentSettings, toEnvironmentSettingsOut, updateEnvironmentSettings } from "@/lib/environment-settings/service";
import { withApiKey } from "@/lib/http/with-api-key";
import { environmentSettingsOperations } from "@/lib/schemas/environment-settings";

export const GET = withApiKey(environmentSettingsOperations.get, async ({ ctx }) => toEnvironmentSettingsOut(ctx.environment.id, await getEnvironmentSettings(ctx.db, ctx.environment.id)));

export const PATCH = withApiKey(environmentSettingsOperations.update, async ({ ctx, body }) =>
  toEnvironmentSettingsOut(
    ctx.environment.id,
    await updateEnvironmentSettings(ctx.db, {
      environment: ctx.environment,
      patch: body,
      allowlist: ctx.rt.env.LATCHKEY_OUTBOUND_ALLOWLIST,
      actor: ctx.actor,
      requestId: ctx.requestId,
      ip: ctx.ip,
    }),
  ),
);
