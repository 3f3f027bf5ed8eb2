import "server-only";
import * as z from "zod";
import { revalidatePath } from "next/cache";
import type { Role } from "@/db/schema";
import { getDashboardContext, hasRole, type DashboardContext } from "@/lib/dashboard/context";
import { AppError, isAppError, issuesFromZod, type FieldIssue } from "@/lib/errors";
import { createId } from "@/lib/ids";
import { log, withLogContext } from "@/lib/log";
import { withAlertContext } from "@/lib/alerts/context";
import { getRuntime, type Runtime } from "@/lib/runtime";

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; issues?: FieldIssue[] } };

export type ActionContext = DashboardContext & { rt: Runtime; actor: { type: "user"; id: string }; requestId: string };

/**
 * Every server action goes through here: session, role, zod, then the service (whose queries
 * carry the environment id). Errors come back as data; unknown ones are logged and hidden.
 */
export function authedAction<S extends z.ZodType, T>(
  opts: { schema: S; minRole: Role; revalidate?: string },
  fn: (input: z.output<S>, ctx: ActionContext) => Promise<T>,
) {
  return async (input: z.input<S>): Promise<ActionResult<T>> => {
    const requestId = createId("request");
    try {
      const ctx = await getDashboardContext();
      if (!ctx) throw new AppError({ code: "unauthorized", message: "Your session has ended. Sign in again." });
      if (!hasRole(ctx.role, opts.minRole)) {
        throw new AppError({ code: "forbidden", message: `This needs the ${opts.minRole} role or higher; you are ${ctx.role}.` });
      }
      const parsed = opts.schema.safeParse(input);
      if (!parsed.success) {
        throw new AppError({ code: "validation_error", message: "Please check the highlighted fields.", issues: issuesFromZod(parsed.error.issues) });
      }
      const rt = await getRuntime();
      let data: T;
      try {
        data = await withLogContext(requestId, () => withAlertContext({ environmentId: ctx.environment.id }, () => fn(parsed.data, { ...ctx, rt, actor: { type: "user", id: ctx.user.id }, requestId })));
      } finally {
        // This replica sees its own writes at once; others learn by notification (DESIGN §8).
        rt.cache.invalidateEnvironment(ctx.environment.id);
      }
      if (opts.revalidate) revalidatePath(opts.revalidate);
      return { ok: true, data };
    } catch (err) {
      if (isAppError(err)) {
        return { ok: false, error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
      }
      log.error("server action failed", { requestId, err });
      return { ok: false, error: { code: "internal_error", message: `Something went wrong on our side (request ${requestId}).` } };
    }
  };
}

/**
 * For the few actions that have no session by nature (accepting an invitation): zod and a
 * per-address rate limit, nothing else. Kept beside authedAction so the exception is visible.
 */
export function publicAction<S extends z.ZodType, T>(
  opts: { schema: S; rateLimit: { bucket: string; limit: number; windowSeconds: number } },
  fn: (input: z.output<S>, ctx: { rt: Runtime; requestId: string }) => Promise<T>,
) {
  return async (input: z.input<S>): Promise<ActionResult<T>> => {
    const requestId = createId("request");
    try {
      const rt = await getRuntime();
      const { headers } = await import("next/headers");
      const h = await headers();
      const ip = rt.env.LATCHKEY_TRUST_PROXY_HOPS > 0 ? (h.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).at(-rt.env.LATCHKEY_TRUST_PROXY_HOPS) ?? "?" : "direct";
      const { hitRateLimit } = await import("@/lib/rate-limit/fixed-window");
      const limit = await hitRateLimit(rt.db, `${opts.rateLimit.bucket}:${ip}`, opts.rateLimit.limit, opts.rateLimit.windowSeconds);
      if (!limit.allowed) throw new AppError({ code: "rate_limited", message: "Too many attempts. Wait a minute and try again.", retryAfter: limit.retryAfter });
      const parsed = opts.schema.safeParse(input);
      if (!parsed.success) {
        throw new AppError({ code: "validation_error", message: "Please check the highlighted fields.", issues: issuesFromZod(parsed.error.issues) });
      }
      return { ok: true, data: await fn(parsed.data, { rt, requestId }) };
    } catch (err) {
      if (isAppError(err)) {
        return { ok: false, error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
      }
      log.error("public action failed", { requestId, err });
      return { ok: false, error: { code: "internal_error", message: `Something went wrong on our side (request ${requestId}).` } };
    }
  };
}
