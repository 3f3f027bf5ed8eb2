import "server-only";
import * as z from "zod";
import { getDashboardContext, type DashboardContext } from "@/lib/dashboard/context";
import { AppError } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { errorResponse } from "@/lib/http/respond";
import { getRuntime, type Runtime } from "@/lib/runtime";
import type { ExportFormat } from "@/lib/audit/export";

const q = z.object({
  format: z.enum(["csv", "json"]).default("csv"),
  env: z.union([z.literal("all"), z.string().regex(/^env_[0-9a-z]{22}$/)]).optional(),
  since: z.iso.date().optional().or(z.iso.datetime({ offset: true }).optional()),
  until: z.iso.date().optional().or(z.iso.datetime({ offset: true }).optional()),
});
export type DashboardExportQuery = z.output<typeof q>;

/**
 * The dashboard's download links: a GET route handler (a file download cannot be a server
 * action) that checks the session itself, like every page, and answers 401 without one.
 */
export function dashboardExport(fn: (args: { ctx: DashboardContext; rt: Runtime; query: DashboardExportQuery; format: ExportFormat }) => Promise<Response>) {
  return async (req: Request): Promise<Response> => {
    const requestId = createId("request");
    try {
      const ctx = await getDashboardContext();
      if (!ctx) throw new AppError({ code: "unauthorized", message: "Sign in to download exports." });
      const parsed = q.safeParse(Object.fromEntries(new URL(req.url).searchParams));
      if (!parsed.success) throw new AppError({ code: "validation_error", message: "Invalid export parameters." });
      return await fn({ ctx, rt: await getRuntime(), query: parsed.data, format: parsed.data.format });
    } catch (err) {
      return errorResponse(err, requestId);
    }
  };
}
