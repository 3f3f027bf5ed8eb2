import * as z from "zod";
import type { EffectiveConfig } from "@/lib/connectors/configs";
import type { ConnectorDef } from "@/lib/connectors/types";
import type { ConnectorOut } from "@/lib/schemas/connectors";

const schemaCache = new Map<string, Record<string, unknown>>();
export function toolInputJsonSchema(tool: ConnectorDef["tools"][number]): Record<string, unknown> {
  let s = schemaCache.get(tool.name);
  if (!s) {
    s = z.toJSONSchema(tool.input, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    delete s.$schema;
    schemaCache.set(tool.name, s);
  }
  return s;
}

export function toConnectorOut(def: ConnectorDef, enabled: boolean): ConnectorOut {
  return {
    slug: def.slug,
    object: "connector",
    name: def.name,
    description: def.description,
    icon_svg: def.icon,
    categories: def.categories,
    docs_url: def.docsUrl,
    auth:
      def.auth.kind === "oauth2"
        ? {
            kind: "oauth2",
            pkce: def.auth.pkce,
            default_scopes: [...new Set([...def.auth.baseScopes, ...def.tools.flatMap((t) => t.scopes)])],
            authorize_url: def.auth.authorizeUrl,
            token_url: def.auth.tokenUrl,
            revocation: Boolean(def.auth.revokeUrl),
          }
        : {
            kind: def.auth.kind,
            form_schema: (() => {
              const s = z.toJSONSchema(def.auth.form, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as Record<string, unknown>;
              delete s.$schema;
              return s;
            })(),
            secret_fields: def.auth.secretFields,
          },
    base_url: def.baseUrl,
    enabled,
    tools: def.tools.map((t) => ({ name: t.name, description: t.description, input_schema: toolInputJsonSchema(t), annotations: t.annotations, scopes: t.scopes })),
  };
}

export function toConnectorConfigOut(environmentId: string, cfg: EffectiveConfig) {
  return {
    connector: cfg.connector.slug,
    object: "connector_config" as const,
    environment_id: environmentId,
    enabled: cfg.enabled,
    oauth_client_id: cfg.oauthClientId,
    oauth_client_secret_set: Boolean(cfg.oauthClientSecretId),
    scopes: cfg.scopes,
    base_url: cfg.baseUrl,
    oauth_authorize_url: cfg.row?.oauthAuthorizeUrl ?? null,
    oauth_token_url: cfg.row?.oauthTokenUrl ?? null,
    oauth_revoke_url: cfg.row?.oauthRevokeUrl ?? null,
    updated_at: cfg.row?.updatedAt.toISOString() ?? null,
  };
}

