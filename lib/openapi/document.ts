import * as z from "zod";
import { errorStatus, type ErrorCode } from "@/lib/errors";
import type { Operation } from "@/lib/openapi/operation";
import { agentOperations } from "@/lib/schemas/agents";
import { apiKeyOperations } from "@/lib/schemas/api-keys";
import { connectionOperations } from "@/lib/schemas/connections";
import { connectorOperations } from "@/lib/schemas/connectors";
import { environmentSettingsOperations } from "@/lib/schemas/environment-settings";
import { gatewayTokenOperations } from "@/lib/schemas/gateway-tokens";
import { magicLinkOperations } from "@/lib/schemas/magic-links";
import { mcpInstanceOperations } from "@/lib/schemas/mcp-instances";
import { registeredUserOperations } from "@/lib/schemas/registered-users";
import { mcpServerToolOperations } from "@/lib/schemas/mcp-server-tools";
import { mcpServerOperations } from "@/lib/schemas/mcp-servers";
import { securityRuleOperations } from "@/lib/schemas/security-rules";
import { toolCallOperations } from "@/lib/schemas/tool-calls";
import { alertOperations } from "@/lib/schemas/alerts";
import { auditOperations } from "@/lib/schemas/audit";
import { sandboxOperations } from "@/lib/schemas/sandbox";
import { toolPackOperations } from "@/lib/schemas/tool-packs";
import { webhookOperations } from "@/lib/schemas/webhooks";
import { ErrorSchema } from "@/lib/schemas/common";

/** Every documented operation. A route's operation that is missing here is missing from the docs. */
export const allOperations: Operation[] = [
  ...Object.values(apiKeyOperations),
  ...Object.values(registeredUserOperations),
  ...Object.values(connectionOperations),
  ...Object.values(connectorOperations),
  ...Object.values(toolPackOperations),
  ...Object.values(mcpInstanceOperations),
  ...Object.values(toolCallOperations),
  ...Object.values(gatewayTokenOperations),
  ...Object.values(environmentSettingsOperations),
  ...Object.values(webhookOperations),
  ...Object.values(magicLinkOperations),
  ...Object.values(mcpServerOperations),
  ...Object.values(agentOperations),
  ...Object.values(alertOperations),
  ...Object.values(auditOperations),
  ...Object.values(mcpServerToolOperations),
  ...Object.values(sandboxOperations),
  ...Object.values(securityRuleOperations),
];

type JsonSchema = Record<string, unknown>;

/**
 * zod puts schemas that carry a `.meta({ id })` into a local `$defs` and points at them with
 * `#/$defs/<id>`. Inside an OpenAPI document that pointer resolves against the document root,
 * where there is no `$defs`: so the named schemas are moved to `components.schemas` (shared by
 * every operation) and the pointers rewritten to match.
 */
function toSchema(schema: z.ZodType, io: "input" | "output", components: Record<string, JsonSchema>): JsonSchema {
  const out = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  delete out.$schema;
  const defs = (out.$defs ?? {}) as Record<string, JsonSchema>;
  delete out.$defs;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== "object") return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/") ? `#/components/schemas/${v.slice("#/$defs/".length)}` : rewrite(v),
      ]),
    );
  };
  for (const [id, def] of Object.entries(defs)) {
    const moved = rewrite(def) as JsonSchema;
    const existing = components[id];
    if (existing && JSON.stringify(existing) !== JSON.stringify(moved)) {
      throw new Error(`OpenAPI: two different schemas are named "${id}" (${io} side); give one another id`);
    }
    components[id] = moved;
  }
  return rewrite(out) as JsonSchema;
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query", components: Record<string, JsonSchema>) {
  if (!schema) return [];
  const js = toSchema(schema, "input", components) as { properties?: Record<string, JsonSchema>; required?: string[] };
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
  const schemas: Record<string, JsonSchema> = {};
  const errorRef = toSchema(ErrorSchema, "output", schemas);
  for (const op of allOperations) {
    const responses: Record<string, unknown> = {
      [String(op.success.status)]: {
        description: op.success.description,
        ...(op.success.schema ? { content: { "application/json": { schema: toSchema(op.success.schema, "output", schemas) } } } : {}),
      },
    };
    const codes = new Set<ErrorCode>([...(op.errors ?? []), "internal_error"]);
    for (const code of codes) {
      const status = String(errorStatus[code]);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}, ${code}` : code,
        content: { "application/json": { schema: errorRef } },
      };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: op.auth === "api_key" ? [{ apiKey: [] }] : [],
      parameters: [...parametersOf(op.params, "path", schemas), ...parametersOf(op.query, "query", schemas)],
      ...(op.body
        ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(op.body, "input", schemas) } } } }
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
      schemas,
    },
    paths,
  };
}
