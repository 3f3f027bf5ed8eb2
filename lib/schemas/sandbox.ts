import * as z from "zod";
import { defineOperation } from "@/lib/openapi/operation";
import { idParam } from "@/lib/schemas/common";
import { ConnectionSchema, connectionParamsSchema } from "@/lib/schemas/connections";
import { sandboxFaultModes } from "@/lib/sandbox/hosted";

export const createSandboxConnectionBodySchema = z.strictObject({
  registered_user_id: idParam("ru"),
  connector: z.string().min(1).max(64).describe("Connector slug, e.g. github."),
});

export const injectFaultBodySchema = z.strictObject({
  mode: z.enum(sandboxFaultModes).describe("expired_token: 401; missing_scope: 403; rate_limited: 429 with Retry-After; server_error: 500; slow: answers after delay_ms."),
  count: z.number().int().min(1).max(100).default(1).describe("How many of the connection's next provider calls answer this way."),
  retry_after: z.number().int().min(0).max(3600).optional().describe("rate_limited: the Retry-After seconds (default 30)."),
  delay_ms: z.number().int().min(0).max(120_000).optional().describe("slow: how long the sandbox waits before answering (default 35000, beyond the call timeout)."),
});

export const resetSandboxBodySchema = z.strictObject({
  connector: z.string().min(1).max(64).optional().describe("Only this connector's sandbox; default all."),
});

export const SandboxFaultSchema = z
  .object({
    object: z.literal("sandbox_fault"),
    connection_id: z.string(),
    mode: z.enum(sandboxFaultModes),
    remaining: z.number().int(),
    retry_after: z.number().int(),
    delay_ms: z.number().int(),
  })
  .meta({ id: "SandboxFault" });

export const SandboxResetSchema = z.object({ object: z.literal("sandbox_reset"), connectors: z.array(z.string()) }).meta({ id: "SandboxReset" });

const tag = "Sandbox";
export const sandboxOperations = {
  createConnection: defineOperation({
    method: "post",
    path: "/api/v1/sandbox/connections",
    operationId: "createSandboxConnection",
    summary: "Connect a registered user to a connector's sandbox (test environments only)",
    description: "The connection calls Latchkey's simulated provider at /sandbox/{environment}/{connector}, seeded with sample data. A production environment refuses with sandbox_not_allowed.",
    tag,
    auth: "api_key",
    body: createSandboxConnectionBodySchema,
    success: { status: 201, description: "The sandbox connection (200 when it replaced the user's connection to this connector).", schema: ConnectionSchema },
    errors: ["invalid_api_key", "not_found", "validation_error", "sandbox_not_allowed"],
  }),
  injectFault: defineOperation({
    method: "post",
    path: "/api/v1/sandbox/connections/{id}/faults",
    operationId: "injectSandboxFault",
    summary: "Make a sandbox connection's next provider calls fail (401, 403, 429, 500, slow)",
    tag,
    auth: "api_key",
    params: connectionParamsSchema,
    body: injectFaultBodySchema,
    success: { status: 200, description: "The pending fault.", schema: SandboxFaultSchema },
    errors: ["invalid_api_key", "not_found", "validation_error", "conflict", "sandbox_not_allowed"],
  }),
  reset: defineOperation({
    method: "post",
    path: "/api/v1/sandbox/reset",
    operationId: "resetSandbox",
    summary: "Reset the environment's sandbox providers to their sample data",
    tag,
    auth: "api_key",
    body: resetSandboxBodySchema,
    success: { status: 200, description: "The connectors reset.", schema: SandboxResetSchema },
    errors: ["invalid_api_key", "not_found", "validation_error", "sandbox_not_allowed"],
  }),
};
