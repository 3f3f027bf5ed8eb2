import type { McpServer } from "@/db/schema";
import type { LinkConnectorView } from "@/lib/schemas/link";

/** A neutral plug glyph: a registered server brings no icon of its own that Link could trust. */
const SERVER_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><path d="M9 2v6M15 2v6M6 8h12v4a6 6 0 0 1-12 0zM12 18v4"/></svg>';

/** How Link shows a registered MCP server the user connects with OAuth, keyed by the server id. */
export function serverLinkView(server: Pick<McpServer, "id" | "name" | "url" | "clientId">, conn: { id: string; status: string; accountLabel: string | null } | undefined): LinkConnectorView {
  return {
    slug: server.id,
    name: server.name,
    description: `MCP server at ${new URL(server.url).host}`,
    icon_svg: SERVER_ICON,
    auth_kind: "oauth2",
    connection_id: conn?.id ?? null,
    status: conn?.status === "active" ? "connected" : conn?.status === "reauth_required" ? "reauth_required" : "not_connected",
    account_label: conn?.status === "active" ? conn.accountLabel : null,
    available: Boolean(server.clientId),
    fields: [],
  };
}
