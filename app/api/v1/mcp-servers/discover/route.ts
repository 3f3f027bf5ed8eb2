// POST /api/v1/mcp-servers/discover – how a server wants to be authenticated; stores nothing
import { withApiKey } from "@/lib/http/with-api-key";
import { discover } from "@/lib/mcp-servers/service";
import { mcpServerOperations } from "@/lib/schemas/mcp-servers";

export const POST = withApiKey(mcpServerOperations.discover, async ({ ctx, body }) => discover(ctx.rt, body.url));
