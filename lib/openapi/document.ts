import * as z from "zod";
import { errorStatus, type ErrorCode } from "@/lib/errors";
import type { Operation } from "@/lib/openapi/operation";
import { apiKeyOperations } from "@/lib/schemas/api-keys";
import { connectionOperations } from "@/lib/schemas/connections";
import { connectorOperations } from "@/lib/schemas/connectors";
import { registeredUserOperations } from "@/lib/schemas/registered-users";
import { ErrorSchema } from "@/lib/schemas/common";

/** Every documented operation. A route's operation that is missing here is missing from the docs. */
export const allOperations: Operation[] = [
  ...Object.values(apiKeyOperations),
  ...Object.values(registeredUserOperations),
  ...Object.values(connectionOperations),
  ...Object.values(connectorOperations),
];

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const out = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  delete out.$schema;
  return out;
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const js = toSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (js.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  }));
}

export function buildOpenApiDocument(serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of allOperations) {
    const responses: Record<string, unknown> = {
      [String(op.success.status)]: {
        description: op.success.description,
        ...(op.success.schema ? { content: { "application/json": { schema: toSchema(op.success.schema, "output") } } } : {}),
      },
    };
    const codes = new Set<ErrorCode>([...(op.errors ?? []), "internal_error"]);
    for (const code of codes) {
      const status = String(errorStatus[code]);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}, ${code}` : code,
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: op.auth === "api_key" ? [{ apiKey: [] }] : [],
      parameters: [...parametersOf(op.params, "path"), ...parametersOf(op.query, "query")],
      ...(op.body
        ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(op.body, "input") } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Latchkey API",
      version: "1",
      description:
        "Control plane of Latchkey. Authenticate with `Authorization: Bearer lk_live_…` or `lk_test_…`. Errors have the body `{ error: { code, message, request_id } }`.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "A Latchkey API key (lk_live_… / lk_test_…)." } },
      schemas: { Error: toSchema(ErrorSchema, "output") },
    },
    paths,
  };
}
