// GET /api/v1/connectors/{slug} – one connector with its tools and their JSON Schemas
import { withApiKey } from "@/lib/http/with-api-key";
import { effectiveConfig } from "@/lib/connectors/configs";
import { toConnectorOut } from "@/lib/connectors/present";
import { connectorOperations } from "@/lib/schemas/connectors";

export const GET = withApiKey(connectorOperations.get, async ({ ctx, params }) => {
  const cfg = await effectiveConfig(ctx.db, ctx.environment.id, params.slug);
  return toConnectorOut(cfg.connector, cfg.enabled);
});
