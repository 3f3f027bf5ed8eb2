"use server";

import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { verifyAuditLog } from "@/lib/audit/verify";

/** The CLI's verify-audit-log from the dashboard: walks the whole chain (it is one chain for the installation). */
export const verifyAuditLogAction = authedAction({ schema: z.object({}), minRole: "admin" }, async (_input, ctx) => {
  const r = await verifyAuditLog(ctx.rt.db);
  return r.ok ? { ok: true as const, rows: r.rows } : { ok: false as const, rows: r.rows, seq: r.broken.seq, reason: r.broken.reason, message: r.message };
});
