import * as z from "zod";
import { defineOperation } from "@/lib/openapi/operation";
import { isoDate } from "@/lib/schemas/common";

export const exportQuerySchema = z
  .object({
    format: z.enum(["csv", "json"]).default("json").describe("`csv` (RFC 4180, formula-like cells prefixed with `'`) or `json` (an array)."),
    since: isoDate.optional().describe("Rows at or after this time."),
    until: isoDate.optional().describe("Rows before this time."),
  })
  .refine((q) => !q.since || !q.until || new Date(q.since) < new Date(q.until), { message: "since must be before until", path: ["until"] });

export const auditOperations = {
  export: defineOperation({
    method: "get",
    path: "/api/v1/audit-logs/export",
    operationId: "exportAuditLog",
    summary: "Download the environment's audit log (CSV or JSON, oldest first, streamed)",
    description: "Each row carries `prev_hash` and `row_hash` of the hash chain, so an export can be checked offline.",
    tag: "Audit log",
    auth: "api_key",
    query: exportQuerySchema,
    success: { status: 200, description: "The rows, as `text/csv` or an `application/json` array, sent as an attachment." },
    errors: ["invalid_api_key", "environment_mismatch", "validation_error"],
  }),
};
