import type { Environment, RegisteredUser, ToolPack } from "@/db/schema";
import { executeConnectorTool } from "@/lib/connectors/execute";
import { toolInputJsonSchema } from "@/lib/connectors/present";
import { createLinkToken } from "@/lib/link-tokens/service";
import { McpHttpError, type McpBackend, type McpCallResult, type McpTool } from "@/lib/mcp/types";
import type { Runtime } from "@/lib/runtime";
import { resolvePackTools, type PackTool } from "@/lib/tool-packs/service";
import type { HotCache } from "@/lib/gateway/hot-cache";
import type { Actor } from "@/lib/audit/record";
import { toolCallLog } from "@/lib/tool-calls/log";

export const AUTHENTICATE_META = "authenticate_meta";
/** JSON-RPC error code of unauthorized_tool (implementation-defined server error range). */
export const UNAUTHORIZED_TOOL_RPC = -32003;

type Env = Pick<Environment, "id" | "organizationId">;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type PackIndex = { tools: PackTool[]; byName: Map<string, PackTool>; packConnectors: string[]; listed?: McpTool[] };
// Keyed by the entries array itself: a cached pack row is indexed once, an edited pack is a new row.
const indexes = new WeakMap<object, PackIndex>();

function packIndex(entries: ToolPack["entries"]): PackIndex {
  let ix = indexes.get(entries);
  if (!ix) {
    const tools = resolvePackTools(entries);
    ix = { tools, byName: new Map(tools.map((t) => [t.tool.name, t])), packConnectors: [...new Set(tools.map((t) => t.connector.slug))] };
    indexes.set(entries, ix);
  }
  return ix;
}

/**
 * A tool pack served to one registered user (or, with none, on shared connections only):
 * lists the pack's tools plus `authenticate_meta`, refuses tools outside the pack (HTTP 403
 * unauthorized_tool), and turns tool failures into results an agent can act on — with a
 * link token when the user must connect or reconnect.
 */
export function packBackend(
  rt: Pick<Runtime, "db" | "keyring"> & { cache?: HotCache },
  ctx: { environment: Env; pack: Pick<ToolPack, "id" | "name" | "slug" | "entries">; registeredUser: Pick<RegisteredUser, "id" | "sharedCredentialGroup"> | null; baseUrl: string; actor: Actor },
): McpBackend {
  const ix = packIndex(ctx.pack.entries);
  const { tools, byName, packConnectors } = ix;

  const link = async (connectors: string[]) =>
    ctx.registeredUser
      ? createLinkToken(rt.db, { environment: ctx.environment, registeredUserId: ctx.registeredUser.id, connectors, baseUrl: ctx.baseUrl, actor: ctx.actor })
      : null;

  const listTools = async (): Promise<McpTool[]> => {
    ix.listed ??= tools.map(({ tool }) => ({
      name: tool.name,
      ...(tool.annotations.title ? { title: tool.annotations.title } : {}),
      description: tool.description,
      inputSchema: toolInputJsonSchema(tool),
      annotations: tool.annotations,
    }));
    const out = [...ix.listed];
    if (ctx.registeredUser && packConnectors.length) {
      out.push({
        name: AUTHENTICATE_META,
        title: "Connect an account",
        description: `Get a link the user opens to connect an account this agent needs (${packConnectors.join(", ")}). Use it when a tool answers authentication_required, or before first use.`,
        inputSchema: { type: "object", properties: { connector: { type: "string", enum: packConnectors, description: "Which connector; all of the pack's when omitted." } }, additionalProperties: false },
        annotations: { readOnlyHint: true, openWorldHint: false },
      });
    }
    return out;
  };

  const logRow = (tool: string, t0: number, signal: AbortSignal, outcome: { status: "ok" | "error" | "unauthorized"; errorCode?: string | null; connector?: string | null; connectionId?: string | null }) =>
    toolCallLog(() => rt.db).record({
      environmentId: ctx.environment.id,
      principalType: ctx.actor.type,
      principalId: ctx.actor.id,
      toolPackId: ctx.pack.id,
      registeredUserId: ctx.registeredUser?.id ?? null,
      tool: tool.slice(0, 200),
      connector: outcome.connector ?? null,
      connectionId: outcome.connectionId ?? null,
      status: outcome.status,
      errorCode: outcome.errorCode ?? null,
      latencyMs: Math.round(performance.now() - t0),
    }, signal);

  const callTool = async (name: string, args: Record<string, unknown>, call: { signal: AbortSignal }): Promise<McpCallResult> => {
    const t0 = performance.now();
    try {
      const result = await dispatch(name, args, call);
      const sc = result.structuredContent as { code?: unknown; connector?: unknown } | undefined;
      logRow(name, t0, call.signal, {
        status: result.isError ? "error" : "ok",
        errorCode: result.isError && typeof sc?.code === "string" ? sc.code : null,
        connector: byName.get(name)?.connector.slug ?? null,
        connectionId: lastConnection.get(call.signal) ?? null,
      });
      return result;
    } catch (err) {
      logRow(name, t0, call.signal, { status: err instanceof McpHttpError && err.status === 403 ? "unauthorized" : "error", errorCode: err instanceof McpHttpError ? String(err.rpc.data?.code ?? err.rpc.code) : "internal_error" });
      throw err;
    }
  };

  // The connection a call used, for the log row (keyed by the call's own signal).
  const lastConnection = new WeakMap<AbortSignal, string>();

  const dispatch = async (name: string, args: Record<string, unknown>, call: { signal: AbortSignal }): Promise<McpCallResult> => {
    if (name === AUTHENTICATE_META && ctx.registeredUser) {
      const wanted = typeof args.connector === "string" ? args.connector : undefined;
      if (wanted !== undefined && !packConnectors.includes(wanted)) {
        const structured = { code: "invalid_arguments", message: `"${wanted}" is not a connector of this tool pack; choose one of ${packConnectors.join(", ")}.` };
        return { isError: true, content: [{ type: "text", text: structured.message }], structuredContent: structured };
      }
      const l = (await link(wanted ? [wanted] : packConnectors))!;
      const structured = { link_token: l.link_token, link_url: l.url, expires_at: l.expires_at, connectors: wanted ? [wanted] : packConnectors };
      return { content: [{ type: "text", text: `Ask the user to open ${l.url} to connect ${structured.connectors.join(", ")}. The link works once, for 30 minutes.` }], structuredContent: structured };
    }
    if (!byName.has(name)) {
      throw new McpHttpError(403, { code: UNAUTHORIZED_TOOL_RPC, message: `The tool "${name}" is not in the tool pack "${ctx.pack.slug}".`, data: { code: "unauthorized_tool", tool: name } });
    }
    const r = await executeConnectorTool(rt, { environment: ctx.environment, registeredUser: ctx.registeredUser, tool: name, args, signal: call.signal, actor: ctx.actor });
    if (r.connectionId) lastConnection.set(call.signal, r.connectionId);
    if (r.ok) {
      return { content: [{ type: "text", text: JSON.stringify(r.data) }], structuredContent: isPlainObject(r.data) ? r.data : { result: r.data } };
    }
    const structured: Record<string, unknown> = { ...r.error };
    let hint = "";
    if ((r.error.code === "authentication_required" || r.error.code === "reauth_required") && r.error.connector) {
      const l = await link([r.error.connector]);
      if (l) {
        structured.link_token = l.link_token;
        structured.link_url = l.url;
        hint = ` Ask the user to open ${l.url} to ${r.error.code === "reauth_required" ? "reconnect" : "connect"} the account.`;
      }
    }
    return { isError: true, content: [{ type: "text", text: `${r.error.message}${hint}` }], structuredContent: structured };
  };

  return {
    serverInfo: { name: "latchkey", title: `Latchkey · ${ctx.pack.name}`, version: "0.1.0" },
    instructions: `Tools of the "${ctx.pack.name}" tool pack, called with the user's own connected accounts.`,
    listTools,
    callTool,
  };
}
