import * as z from "zod";
import { roles } from "@/db/schema";
import { apiKeyNameSchema } from "@/lib/schemas/api-keys";
import { idParam } from "@/lib/schemas/common";

/** Forms and server actions of the dashboard share these with the services. */
export const switchEnvironmentSchema = z.object({ environmentId: idParam("env") });

export const createApiKeyFormSchema = z.object({ name: apiKeyNameSchema });
export const revokeApiKeyFormSchema = z.object({ id: idParam("key") });

export const inviteMemberSchema = z.object({
  email: z.email("Enter a valid email address").max(320),
  role: z.enum(roles),
});
export const changeRoleSchema = z.object({ userId: idParam("usr"), role: z.enum(roles) });
export const removeMemberSchema = z.object({ userId: idParam("usr") });
export const revokeInvitationSchema = z.object({ id: idParam("inv") });

export const passwordSchema = z.string().min(12, "At least 12 characters").max(200, "At most 200 characters");
export const acceptInvitationSchema = z.object({
  token: z.string().min(10).max(200),
  name: z.string().trim().max(100).optional(),
  password: passwordSchema,
});

export const createOrganizationSchema = z.object({ name: z.string().trim().min(1, "Name is required").max(100) });
export const createEnvironmentSchema = z.object({ name: z.string().trim().min(1, "Name is required").max(50) });

export const auditFilterSchema = z.object({
  env: z.union([idParam("env"), z.literal("all")]).optional(),
  action: z.string().max(100).regex(/^[a-z_.]*$/).optional(),
  actor: z.string().max(200).optional(),
  before: z.coerce.number().int().positive().optional(),
});
