import * as z from "zod";

export const idParam = (prefix: string) =>
  z
    .string()
    .max(64)
    .regex(new RegExp(`^${prefix}_[0-9a-z]{22}$`), `must be an id starting with ${prefix}_`);

export const isoDate = z.iso.datetime({ offset: true });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe("Stable machine-readable code."),
      message: z.string().describe("Human-readable explanation."),
      request_id: z.string().optional(),
      issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
    }),
  })
  .meta({ id: "Error" });
