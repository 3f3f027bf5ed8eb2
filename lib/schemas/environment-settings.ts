import * as z from "zod";
import { defineOperation } from "@/lib/openapi/operation";
import { isoDate } from "@/lib/schemas/common";
import { isValidEmbedOrigin } from "@/lib/link/events";

/**
 * Per-environment settings: one JSON document, one section per concern. Each section has its
 * own schema and is validated on its own, so adding one (say `branding`) means adding a key to
 * `sections` below and nothing else; a section that fails validation when read is treated as
 * absent without taking the others down.
 */

export const idpSettingsSchema = z.strictObject({
  issuer: z.string().trim().min(1).max(2000).describe("The `iss` of your identity provider's tokens, exactly as it appears in them."),
  jwks_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .describe("Where the IdP publishes its signing keys (JWKS). https; fetched through the outbound guard."),
  audience: z
    .union([z.string().trim().min(1).max(500), z.array(z.string().trim().min(1).max(500)).min(1).max(10)])
    .describe("The `aud` the token must carry (one of them, when a list)."),
  user_claim: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]{1,100}$/, "a claim name")
    .default("sub")
    .describe("The claim whose value is the registered user's origin_user_id."),
  auto_create_users: z.boolean().default(false).describe("Create the registered user on first use when the claim names an unknown one; otherwise such a token gets 401."),
});
export type IdpSettings = z.output<typeof idpSettingsSchema>;

/** What the hosted Link page (and magic-link emails) show as "who is asking". */
export const brandingSettingsSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional().describe("Shown to end users instead of the organization's name."),
  logo_url: z
    .string()
    .max(100_000)
    .refine((v) => /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(v) || (URL.canParse(v) && new URL(v).protocol === "https:"), "an https URL or a data:image/(png|jpeg|gif|webp);base64 URL")
    .optional()
    .describe("Logo shown on the Link page: an https URL, or a small data:image URL."),
  accent_color: z
    .string()
    .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "a #rgb or #rrggbb colour")
    .optional()
    .describe("Colour of buttons and highlights on the Link page."),
});
export type BrandingSettings = z.output<typeof brandingSettingsSchema>;

export const MAX_EMBED_ORIGINS = 20;

export const embedSettingsSchema = z.strictObject({
  allowed_origins: z
    .array(
      z
        .string()
        .max(300)
        .refine(isValidEmbedOrigin, { message: "must be an exact origin: https://host[:port] (or http on localhost / 127.0.0.1 / [::1]), no path, no trailing slash, no wildcard" }),
    )
    .max(MAX_EMBED_ORIGINS)
    .refine((a) => new Set(a).size === a.length, { message: "lists an origin twice" })
    .describe("Origins of your pages that may frame the Link page and receive its events (postMessage). Exact origins, https or loopback http."),
});
export type EmbedSettings = z.output<typeof embedSettingsSchema>;

/** Every section of the document, by key. */
export const sections = { idp: idpSettingsSchema, branding: brandingSettingsSchema, embed: embedSettingsSchema } as const;
export type EnvironmentSettings = { [K in keyof typeof sections]?: z.output<(typeof sections)[K]> };

/** PATCH: each section given replaces that section; null removes it; sections not given stay. */
export const updateEnvironmentSettingsBodySchema = z.strictObject({
  idp: idpSettingsSchema.nullable().optional().describe("Identity provider whose JWTs may call /mcp/{tool_pack_slug} as a registered user; null removes it."),
  branding: brandingSettingsSchema.nullable().optional().describe("Name, logo and accent colour end users see on the Link page; null removes it."),
  embed: embedSettingsSchema.nullable().optional().describe("Where the Link page may be embedded (iframe, popup events); null removes it, and Link is then framed by Latchkey itself only."),
});

/** The dashboard's branding form. */
export const brandingSettingsFormSchema = z.object({ branding: brandingSettingsSchema.nullable() });

/** The dashboard's IdP form: the whole section, or null to remove it. */
export const idpSettingsFormSchema = z.object({ idp: idpSettingsSchema.nullable() });

/** The dashboard's embedding form. */
export const embedSettingsFormSchema = z.object({ embed: embedSettingsSchema.nullable() });

export const EnvironmentSettingsSchema = z
  .object({
    object: z.literal("environment_settings"),
    environment_id: z.string(),
    idp: idpSettingsSchema.nullable(),
    branding: brandingSettingsSchema.nullable(),
    embed: embedSettingsSchema.nullable(),
    updated_at: isoDate.nullable(),
  })
  .meta({ id: "EnvironmentSettings" });
export type EnvironmentSettingsOut = z.infer<typeof EnvironmentSettingsSchema>;

const tag = "Environment";
export const environmentSettingsOperations = {
  get: defineOperation({
    method: "get",
    path: "/api/v1/environment/settings",
    operationId: "getEnvironmentSettings",
    summary: "The settings of the key's environment",
    tag,
    auth: "api_key",
    success: { status: 200, description: "The settings.", schema: EnvironmentSettingsSchema },
    errors: ["invalid_api_key"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/environment/settings",
    operationId: "updateEnvironmentSettings",
    summary: "Change sections of the environment's settings",
    description: "Each section in the body replaces that section (null removes it); the others are left as they are.",
    tag,
    auth: "api_key",
    body: updateEnvironmentSettingsBodySchema,
    success: { status: 200, description: "The settings after the change.", schema: EnvironmentSettingsSchema },
    errors: ["invalid_api_key", "validation_error"],
  }),
};
