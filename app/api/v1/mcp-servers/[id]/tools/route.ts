// GET /api/v1/mcp-servers/{id}/tools – the tools seen on the server, with their approval state
import { withApiKey } from "@/lib/http/with-api-key";
import { listServerTools, toServerToolOut } from "@/lib/mcp-servers/tools";
import { mcpServerToolOperations } from "@/lib/schemas/mcp-server-tools";

export const GET = withApiKey(mcpServerToolOperations.list, async ({ ctx, params }) => ({ data: (await listServerTools(ctx.db, ctx.environment.id, params.id)).map(toServerToolOut) }));
