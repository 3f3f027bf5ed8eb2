// GET /api/v1/connectors – the catalog: every connector with its auth kind and tools
import { withApiKey } from "@/lib/http/with-api-key";
import { connectors } from "@/lib/connectors/catalog";
import { listConnectorConfigRows } from "@/lib/connectors/configs";
import { toConnectorOut } from "@/lib/connectors/present";
import { connectorOperations } from "@/lib/schemas/connectors";

export const GET = withApiKey(connectorOperations.list, async ({ ctx }) => {
  const disabled = new Set((await listConnectorConfigRows(ctx.db, ctx.environment.id)).filter((r) => !r.enabled).map((r) => r.connector));
  return { data: connectors.map((c) => toConnectorOut(c, !disabled.has(c.slug))) };
});
