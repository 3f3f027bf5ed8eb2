import type { Environment } from "@/db/schema";
import { getConnection, saveOAuthConnection, upsertConnection, type Caller, type Owner } from "@/lib/connections/service";
import type { Credential } from "@/lib/connections/credentials";
import { recordAudit } from "@/lib/audit/record";
import { AppError } from "@/lib/errors";
import type { Runtime } from "@/lib/runtime";
import { assertSandboxAllowed, injectFault, sandboxFormValues, oauthFor, requireSandboxConnector, resetSandbox, type SandboxFaultMode } from "@/lib/sandbox/hosted";

type Env = Pick<Environment, "id" | "organizationId" | "kind">;
type Rt = Pick<Runtime, "db" | "keyring">;

/**
 * Connects an owner to a connector's sandbox ("Sandbox account"), without a browser: an OAuth
 * connector gets tokens from the environment's sandbox authorization server (every scope its
 * tools need), a form connector placeholder values the sandbox accepts. Test environments only.
 */
export async function createSandboxConnection(rt: Rt, input: { environment: Env; owner: Owner; connector: string } & Caller) {
  assertSandboxAllowed(input.environment);
  const def = requireSandboxConnector(input.connector);
  const accountLabel = `${def.name} sandbox`;
  if (def.auth.kind === "oauth2") {
    const scopes = [...new Set([...def.auth.baseScopes, ...def.tools.flatMap((t) => t.scopes)])];
    const tokens = oauthFor(input.environment.id, def.slug).grant(scopes.join(def.auth.scopeSeparator));
    return saveOAuthConnection(rt, { ...input, tokens, requestedScopes: scopes, accountLabel, sandbox: true });
  }
  const fields = Object.keys((def.auth.form as unknown as { shape: Record<string, unknown> }).shape);
  const values = sandboxFormValues(input.environment.id, fields);
  const credential: Credential = { type: def.auth.kind, values };
  return upsertConnection(rt, { ...input, credential, grantedScopes: [], expiresAt: null, accountLabel, sandbox: true });
}

/** Faults for a sandbox connection: the next `count` calls answer with this provider error. */
export async function injectSandboxFault(
  rt: Rt,
  input: { environment: Env; connectionId: string; mode: SandboxFaultMode; count: number; retryAfter?: number | undefined; delayMs?: number | undefined } & Caller,
) {
  assertSandboxAllowed(input.environment);
  const conn = await getConnection(rt.db, input.environment.id, input.connectionId);
  if (!conn.sandbox) throw new AppError({ code: "conflict", message: "This is not a sandbox connection: faults can be injected into sandbox connections only." });
  const fault = injectFault(input.environment.id, conn, input);
  await recordAudit(rt.db, {
    organizationId: input.environment.organizationId,
    environmentId: input.environment.id,
    actor: input.actor,
    action: "sandbox.fault_injected",
    target: { type: "connection", id: conn.id },
    requestId: input.requestId ?? null,
    ip: input.ip ?? null,
    metadata: { mode: fault.mode, count: fault.remaining },
  });
  return { connection: conn, fault };
}

export async function resetSandboxData(rt: Rt, input: { environment: Env; connector?: string | undefined } & Caller) {
  assertSandboxAllowed(input.environment);
  if (input.connector) requireSandboxConnector(input.connector);
  const connectors = resetSandbox(input.environment.id, input.connector);
  await recordAudit(rt.db, {
    organizationId: input.environment.organizationId,
    environmentId: input.environment.id,
    actor: input.actor,
    action: "sandbox.reset",
    target: { type: "environment", id: input.environment.id },
    requestId: input.requestId ?? null,
    ip: input.ip ?? null,
    metadata: { connectors },
  });
  return connectors;
}
