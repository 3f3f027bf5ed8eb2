import { ProviderHttp } from "@/lib/connectors/http";
import { ToolError, type ToolFailure } from "@/lib/connectors/errors";
import type { ConnectorDef } from "@/lib/connectors/types";
import { serveSandbox } from "@/lib/sandbox/serve";
import type { SandboxBackend, SandboxRequest } from "@/lib/sandbox/types";

/**
 * Runs a connector's real tool code against one of its sandbox backends on loopback: the
 * base URL is the only thing that differs from production. Used by the contract tests.
 */
export type ContractHarness = {
  url: string;
  /** Every request the backend received, in order (documented request shape in). */
  requests: SandboxRequest[];
  last(): SandboxRequest;
  call(tool: string, args: Record<string, unknown>, opts?: { credential?: Record<string, string>; grantedScopes?: string[] }): Promise<unknown>;
  /** Calls a tool expecting a failure; returns the ToolFailure (or throws if it succeeded). */
  fail(tool: string, args: Record<string, unknown>, opts?: { credential?: Record<string, string>; grantedScopes?: string[] }): Promise<ToolFailure | { code: "provider_unauthorized" }>;
  close(): Promise<void>;
};

export function authHeadersFor(def: ConnectorDef, credential: Record<string, string>): Record<string, string> {
  if (def.auth.kind === "oauth2") return { authorization: `Bearer ${credential.access_token ?? ""}` };
  return def.auth.headers(credential);
}

export async function contractHarness(def: ConnectorDef, backend: SandboxBackend, defaultCredential: Record<string, string>): Promise<ContractHarness> {
  const served = await serveSandbox(backend);
  const run = async (tool: string, args: Record<string, unknown>, opts: { credential?: Record<string, string>; grantedScopes?: string[] } = {}) => {
    const t = def.tools.find((x) => x.name === tool);
    if (!t) throw new Error(`no tool ${tool} in ${def.slug}`);
    const parsed = t.input.parse(args);
    const http = new ProviderHttp({
      connector: def,
      baseUrl: served.url,
      authHeaders: authHeadersFor(def, opts.credential ?? defaultCredential),
      grantedScopes: opts.grantedScopes ?? t.scopes,
      toolScopes: t.scopes,
      timeoutMs: 5000,
    });
    return t.handler(parsed, { http, connection: { id: "conn_test", grantedScopes: opts.grantedScopes ?? t.scopes, accountLabel: null }, signal: new AbortController().signal });
  };
  return {
    url: served.url,
    requests: served.requests,
    last: () => served.requests[served.requests.length - 1]!,
    call: run,
    fail: async (tool, args, opts) => {
      try {
        await run(tool, args, opts);
      } catch (e) {
        if (e instanceof ToolError) return e.failure;
        if ((e as Error).name === "ProviderAuthError") return { code: "provider_unauthorized" as const };
        throw e;
      }
      throw new Error(`${tool} succeeded but a failure was expected`);
    },
    close: served.close,
  };
}
