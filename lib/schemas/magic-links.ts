import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";
import { magicLinkStatuses } from "@/lib/magic-links/status";

export const MAGIC_LINK_DEFAULT_TTL_SECONDS = 7 * 24 * 3600;
export const MAGIC_LINK_MAX_TTL_SECONDS = 30 * 24 * 3600;
export const MAGIC_LINK_MIN_TTL_SECONDS = 60;

export const createMagicLinkBodySchema = z.strictObject({
  registered_user_id: idParam("ru"),
  connectors: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(50)
    .refine((a) => new Set(a).size === a.length, "must not repeat a connector")
    .optional()
    .describe("Connector slugs the user is asked to connect. The link is `completed` (and opens nothing new) once each has an active connection. Omit for a link that lets the user manage all their connections until it expires."),
  expires_in: z
    .number()
    .int()
    .min(MAGIC_LINK_MIN_TTL_SECONDS)
    .max(MAGIC_LINK_MAX_TTL_SECONDS)
    .default(MAGIC_LINK_DEFAULT_TTL_SECONDS)
    .describe("Seconds until the link expires: 60 to 2592000 (30 days); default 604800 (7 days)."),
  send_email: z.boolean().default(false).describe("Email the link to the registered user's email address (SMTP_URL; without it, to the dashboard's outbox)."),
});

export const MagicLinkSchema = z
  .object({
    id: z.string(),
    object: z.literal("magic_link"),
    environment_id: z.string(),
    registered_user_id: z.string(),
    connectors: z.array(z.string()).nullable(),
    status: z.enum(magicLinkStatuses).describe("`active` (usable), `completed` (every requested connector is connected), `expired` or `revoked`."),
    pending_connectors: z.array(z.string()).describe("Requested connectors the user has no active connection for yet."),
    expires_at: isoDate,
    revoked_at: isoDate.nullable(),
    last_used_at: isoDate.nullable(),
    created_at: isoDate,
  })
  .meta({ id: "MagicLink" });
export type MagicLinkOut = z.infer<typeof MagicLinkSchema>;

export const EmailDeliverySchema = z
  .object({
    id: z.string().describe("The email's record (eml_…), listed in the dashboard's outbox."),
    status: z.enum(["sent", "failed", "outbox"]).describe("`outbox`: no SMTP server is configured, the email is kept in the dashboard's outbox instead."),
    error: z.string().optional().describe("Why the SMTP server did not accept it (status `failed`)."),
  })
  .meta({ id: "EmailDelivery" });

export const CreatedMagicLinkSchema = MagicLinkSchema.extend({
  url: z.string().describe("The magic link: a bearer secret, shown once. Hand it to the user (or let Latchkey email it)."),
  email: EmailDeliverySchema.nullable().describe("Null unless send_email was true."),
}).meta({ id: "CreatedMagicLink" });

export const magicLinkParamsSchema = z.object({ id: idParam("ml") });
export const listMagicLinksQuerySchema = paginationQuerySchema.extend({ registered_user_id: idParam("ru").optional() });

const tag = "Magic links";
export const magicLinkOperations = {
  create: defineOperation({
    method: "post",
    path: "/api/v1/magic-links",
    operationId: "createMagicLink",
    summary: "A link an end user opens in their own browser to connect and manage their accounts",
    description:
      "Returns the URL once. The token in it is 256 random bits, stored only as a hash; the link works until it expires, is revoked, or (when it asks for connectors) every requested connector is connected.",
    tag,
    auth: "api_key",
    body: createMagicLinkBodySchema,
    success: { status: 201, description: "The magic link with its URL (shown once) and, with send_email, the delivery result.", schema: CreatedMagicLinkSchema },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
  list: defineOperation({
    method: "get",
    path: "/api/v1/magic-links",
    operationId: "listMagicLinks",
    summary: "List magic links, newest first (never their URLs)",
    tag,
    auth: "api_key",
    query: listMagicLinksQuerySchema,
    success: { status: 200, description: "A page of magic links.", schema: pageSchema(MagicLinkSchema) },
    errors: ["invalid_api_key", "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/magic-links/{id}",
    operationId: "getMagicLink",
    summary: "Get a magic link and its status",
    tag,
    auth: "api_key",
    params: magicLinkParamsSchema,
    success: { status: 200, description: "The magic link.", schema: MagicLinkSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  revoke: defineOperation({
    method: "delete",
    path: "/api/v1/magic-links/{id}",
    operationId: "revokeMagicLink",
    summary: "Revoke a magic link: it and every page opened with it stop working at once",
    tag,
    auth: "api_key",
    params: magicLinkParamsSchema,
    success: { status: 200, description: "The revoked magic link (idempotent).", schema: MagicLinkSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
};

// ---- the end-user page's server actions (the magic-link session cookie is the credential)

export const endUserDisconnectSchema = z.strictObject({ connection_id: idParam("conn") });
export const endUserConnectSchema = z.strictObject({ connector: z.string().min(1).max(64).regex(/^[a-z0-9_]+$/).nullable() });
export const endUserSignOutSchema = z.strictObject({});
