"use server";

import { authedAction } from "@/lib/actions/authed-action";
import { toEnvironmentSettingsOut, updateEnvironmentSettings } from "@/lib/environment-settings/service";
import { brandingSettingsFormSchema, embedSettingsFormSchema, idpSettingsFormSchema } from "@/lib/schemas/environment-settings";

/** Trusting an identity provider lets its tokens act as registered users: admins only. */
export const updateIdpSettingsAction = authedAction({ schema: idpSettingsFormSchema, minRole: "admin", revalidate: "/settings" }, async (input, ctx) =>
  toEnvironmentSettingsOut(
    ctx.environment.id,
    await updateEnvironmentSettings(ctx.rt.db, { environment: ctx.environment, patch: { idp: input.idp }, allowlist: ctx.rt.env.LATCHKEY_OUTBOUND_ALLOWLIST, actor: ctx.actor, requestId: ctx.requestId }),
  ),
);

/** What end users see on the Link page: admins only, like every setting facing end users. */
export const updateBrandingSettingsAction = authedAction({ schema: brandingSettingsFormSchema, minRole: "admin", revalidate: "/settings" }, async (input, ctx) =>
  toEnvironmentSettingsOut(
    ctx.environment.id,
    await updateEnvironmentSettings(ctx.rt.db, { environment: ctx.environment, patch: { branding: input.branding }, allowlist: ctx.rt.env.LATCHKEY_OUTBOUND_ALLOWLIST, actor: ctx.actor, requestId: ctx.requestId }),
  ),
);

/** Which sites may frame Link and hear its events: admins only, like the IdP. */
export const updateEmbedSettingsAction = authedAction({ schema: embedSettingsFormSchema, minRole: "admin", revalidate: "/settings" }, async (input, ctx) =>
  toEnvironmentSettingsOut(
    ctx.environment.id,
    await updateEnvironmentSettings(ctx.rt.db, { environment: ctx.environment, patch: { embed: input.embed }, allowlist: ctx.rt.env.LATCHKEY_OUTBOUND_ALLOWLIST, actor: ctx.actor, requestId: ctx.requestId }),
  ),
);
