import * as z from "zod";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

const groupSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:@-]+$/, "letters, digits and . _ : @ - only");

const metadataSchema = z
  .record(z.string().max(100), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "metadata must be at most 16 KB of JSON")
  .describe("Your own key/value data, returned as given.");

export const createRegisteredUserBodySchema = z.strictObject({
  origin_user_id: z.string().trim().min(1).max(255).describe("Your product's id for this user. Creating twice returns the same registered user."),
  email: z.email().max(320).optional(),
  shared_credential_group: groupSchema.optional().describe("Group (e.g. your customer's org id) whose shared connections serve this user."),
  metadata: metadataSchema.optional(),
});

export const updateRegisteredUserBodySchema = z.strictObject({
  email: z.email().max(320).nullable().optional(),
  shared_credential_group: groupSchema.nullable().optional(),
  metadata: metadataSchema.optional(),
});

export const listRegisteredUsersQuerySchema = paginationQuerySchema.extend({
  shared_credential_group: groupSchema.optional(),
  search: z.string().trim().min(1).max(255).optional().describe("Prefix of origin_user_id or email."),
});

export const registeredUserParamsSchema = z.object({ id: idParam("ru") });

export const RegisteredUserSchema = z
  .object({
    id: z.string(),
    object: z.literal("registered_user"),
    environment_id: z.string(),
    origin_user_id: z.string(),
    email: z.string().nullable(),
    shared_credential_group: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: isoDate,
    updated_at: isoDate,
  })
  .meta({ id: "RegisteredUser" });
export type RegisteredUserOut = z.infer<typeof RegisteredUserSchema>;

const tag = "Registered users";
export const registeredUserOperations = {
  create: defineOperation({
    method: "post",
    path: "/api/v1/registered-users",
    operationId: "createRegisteredUser",
    summary: "Create a registered user, or return the existing one with this origin_user_id",
    description: "Idempotent on origin_user_id: 201 when created, 200 with the same user when it already exists.",
    tag,
    auth: "api_key",
    body: createRegisteredUserBodySchema,
    success: { status: 201, description: "Created (200 when it already existed).", schema: RegisteredUserSchema },
    errors: ["invalid_api_key", "validation_error", "rate_limited"],
  }),
  list: defineOperation({
    method: "get",
    path: "/api/v1/registered-users",
    operationId: "listRegisteredUsers",
    summary: "List registered users, newest first",
    tag,
    auth: "api_key",
    query: listRegisteredUsersQuerySchema,
    success: { status: 200, description: "A page of registered users.", schema: pageSchema(RegisteredUserSchema) },
    errors: ["invalid_api_key", "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/registered-users/{id}",
    operationId: "getRegisteredUser",
    summary: "Get a registered user",
    tag,
    auth: "api_key",
    params: registeredUserParamsSchema,
    success: { status: 200, description: "The registered user.", schema: RegisteredUserSchema },
    errors: ["invalid_api_key", "not_found"],
  }),
  update: defineOperation({
    method: "patch",
    path: "/api/v1/registered-users/{id}",
    operationId: "updateRegisteredUser",
    summary: "Update email, group or metadata",
    tag,
    auth: "api_key",
    params: registeredUserParamsSchema,
    body: updateRegisteredUserBodySchema,
    success: { status: 200, description: "The updated registered user.", schema: RegisteredUserSchema },
    errors: ["invalid_api_key", "not_found", "validation_error"],
  }),
  delete: defineOperation({
    method: "delete",
    path: "/api/v1/registered-users/{id}",
    operationId: "deleteRegisteredUser",
    summary: "Delete a registered user and revoke and remove their connections",
    tag,
    auth: "api_key",
    params: registeredUserParamsSchema,
    success: { status: 200, description: "Deleted.", schema: z.object({ id: z.string(), object: z.literal("registered_user"), deleted: z.literal(true), connections_removed: z.number().int() }) },
    errors: ["invalid_api_key", "not_found"],
  }),
};
