// GET /oauth/client-metadata.json – Latchkey's Client ID Metadata Document (MCP 2025-11-25): its URL is the client_id Latchkey presents to authorization servers that accept CIMD
import { getEnv } from "@/lib/env";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { withPublic } from "@/lib/http/with-api-key";
import { clientMetadataDocument } from "@/lib/mcp-servers/oauth";
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export const GET = withPublic(async ({ req }) => {
  const rt = await getRuntime();
  // Authorization servers cache it (HTTP caching semantics); an hour keeps a changed name or redirect URI from lingering.
  return new Response(JSON.stringify(clientMetadataDocument(publicBaseUrl(rt, req.headers), getEnv().LATCHKEY_CLIENT_METADATA_URL)), { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=3600" } });
});
