import * as z from "zod";
import { alertKinds, alertSeverities, alertStatuses } from "@/db/schema";
import { paginationQuerySchema, pageSchema } from "@/lib/http/pagination";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam, isoDate } from "@/lib/schemas/common";

const tag = "Alerts";
const auth = ["invalid_api_key", "environment_mismatch"] as const;

export const AlertSchema = z
  .object({
    id: z.string(),
    object: z.literal("alert"),
    environment_id: z.string(),
    kind: z.enum(alertKinds),
    severity: z.enum(alertSeverities),
    rule_id: z.string().nullable(),
    tool_pack_id: z.string().nullable(),
    registered_user_id: z.string().nullable(),
    tool: z.string().nullable(),
    field_path: z.string().nullable(),
    excerpt: z.string().nullable().describe("What matched, masked: never the value itself."),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe("Reason codes and ids of the event (e.g. `source`, `reason`, `host`)."),
    count: z.number().int().describe("Events folded into this alert within its window."),
    status: z.enum(alertStatuses),
    first_seen: isoDate,
    last_seen: isoDate,
    acknowledged_at: isoDate.nullable(),
    resolved_at: isoDate.nullable(),
  })
  .meta({ id: "Alert" });

export const listAlertsQuerySchema = paginationQuerySchema.extend({
  kind: z.enum(alertKinds).optional(),
  status: z.enum(alertStatuses).optional(),
  tool_pack_id: idParam("tp").optional(),
  registered_user_id: idParam("ru").optional(),
  since: isoDate.optional().describe("Only alerts seen at or after this time (last_seen)."),
});

export const alertParamsSchema = z.object({ id: idParam("alrt") });

export const alertStatsQuerySchema = z.object({
  bucket: z.enum(["hour", "day"]).default("hour"),
  since: isoDate.optional().describe("Start of the range; default 24 hours ago (hour) or 30 days ago (day)."),
});

export const AlertStatsSchema = z
  .object({
    object: z.literal("alert_stats"),
    bucket: z.enum(["hour", "day"]),
    since: isoDate,
    data: z.array(
      z.object({
        start: isoDate,
        alerts: z.number().int().describe("Alert rows whose window starts in this bucket."),
        events: z.number().int().describe("Events folded into them."),
        by_kind: z.record(z.string(), z.number().int()),
      }),
    ),
  })
  .meta({ id: "AlertStats" });

export const alertOperations = {
  list: defineOperation({
    method: "get",
    path: "/api/v1/alerts",
    operationId: "listAlerts",
    summary: "Security alerts of the environment, newest first",
    tag,
    auth: "api_key",
    query: listAlertsQuerySchema,
    success: { status: 200, description: "A page of alerts.", schema: pageSchema(AlertSchema) },
    errors: [...auth, "validation_error"],
  }),
  stats: defineOperation({
    method: "get",
    path: "/api/v1/alerts/stats",
    operationId: "alertStats",
    summary: "Alert counts over time, per hour or day",
    tag,
    auth: "api_key",
    query: alertStatsQuerySchema,
    success: { status: 200, description: "Counts per bucket (buckets without alerts are left out).", schema: AlertStatsSchema },
    errors: [...auth, "validation_error"],
  }),
  get: defineOperation({
    method: "get",
    path: "/api/v1/alerts/{id}",
    operationId: "getAlert",
    summary: "One alert",
    tag,
    auth: "api_key",
    params: alertParamsSchema,
    success: { status: 200, description: "The alert.", schema: AlertSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  acknowledge: defineOperation({
    method: "post",
    path: "/api/v1/alerts/{id}/acknowledge",
    operationId: "acknowledgeAlert",
    summary: "Mark an open alert as seen (audited; a no-op when it is not open)",
    tag,
    auth: "api_key",
    params: alertParamsSchema,
    success: { status: 200, description: "The alert.", schema: AlertSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
  resolve: defineOperation({
    method: "post",
    path: "/api/v1/alerts/{id}/resolve",
    operationId: "resolveAlert",
    summary: "Close an alert (audited). It opens again if the same event recurs within its window.",
    tag,
    auth: "api_key",
    params: alertParamsSchema,
    success: { status: 200, description: "The alert.", schema: AlertSchema },
    errors: [...auth, "not_found", "validation_error"],
  }),
};
