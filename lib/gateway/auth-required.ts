import { getConnector } from "@/lib/connectors/catalog";
import { McpPlainHttpError, type McpBackend } from "@/lib/mcp/types";

const NEEDS_USER = new Set(["authentication_required", "reauth_required"]);

/**
 * MCP URL 3 with an end user (personal token, IdP JWT): gateway clients expect a call that
 * needs the user to connect an account to fail as HTTP 401 McpAuthRequiredError naming where
 * to go (TrueFoundry's contract, DESIGN §5), not as a tool result. The inner backend has already
 * made the link and logged the call; this only changes how the answer travels. URLs 1 and 2
 * keep the tool result.
 */
export function authRequiredAsHttp401(backend: McpBackend, enabled: boolean): McpBackend {
  if (!enabled) return backend;
  return {
    ...backend,
    async callTool(name, args, ctx) {
      const result = await backend.callTool(name, args, ctx);
      const sc = result.structuredContent;
      if (!result.isError || !sc || !NEEDS_USER.has(sc.code as string) || typeof sc.connector !== "string" || typeof sc.link_url !== "string") return result;
      const slug = sc.connector;
      // A registered MCP server names itself (its key is its id).
      const display = typeof sc.connector_name === "string" ? sc.connector_name : (getConnector(slug)?.name ?? slug);
      const message =
        sc.code === "reauth_required"
          ? `${display} must be reconnected before ${name} can run: open authorization_urls.${slug}, then retry.`
          : `${display} is not connected for this user: open authorization_urls.${slug} to connect it, then retry.`;
      throw new McpPlainHttpError(
        401,
        { error: { type: "McpAuthRequiredError", code: sc.code, message }, authorization_urls: { [slug]: sc.link_url }, server_names: { [slug]: display }, message },
        // The gateway token itself was fine: a challenge without error="invalid_token".
        { "www-authenticate": 'Bearer realm="latchkey"' },
      );
    },
  };
}
