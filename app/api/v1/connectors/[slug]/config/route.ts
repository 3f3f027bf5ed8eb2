// GET   /api/v1/connectors/{slug}/config – this environment's settings for the connector
// PATCH /api/v1/connectors/{slug}/config – enable/disable, BYO OAuth app, scopes, base URL
import { withApiKey } from "@/lib/http/with-api-key";
import { effectiveConfig, updateConnectorConfig } from "@/lib/connectors/configs";
import { toConnectorConfigOut } from "@/lib/connectors/present";
import { connectorOperations } from "@/lib/schemas/connectors";

export const GET = withApiKey(connectorOperations.getConfig, async ({ ctx, params }) =>
  toConnectorConfigOut(ctx.environment.id, await effectiveConfig(ctx.db, ctx.environment.id, params.slug)),
);

export const PATCH = withApiKey(connectorOperations.updateConfig, async ({ ctx, params, body }) => {
  const cfg = await updateConnectorConfig(ctx.rt, {
    environment: ctx.environment,
    slug: params.slug,
    patch: {
      enabled: body.enabled,
      oauthClientId: body.oauth_client_id,
      oauthClientSecret: body.oauth_client_secret,
      scopes: body.scopes,
      baseUrl: body.base_url,
      oauthAuthorizeUrl: body.oauth_authorize_url,
      oauthTokenUrl: body.oauth_token_url,
      oauthRevokeUrl: body.oauth_revoke_url,
    },
    actor: ctx.actor,
    requestId: ctx.requestId,
  });
  return toConnectorConfigOut(ctx.environment.id, cfg);
});
