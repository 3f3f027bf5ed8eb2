import type { Connection, ConnectorConfig, RegisteredUser, SecurityRuleRow, ToolPack } from "@/db/schema";
import { getConnector } from "@/lib/connectors/catalog";
import { effectiveConfigFrom } from "@/lib/connectors/configs";
import type { HotCache } from "@/lib/gateway/hot-cache";
import { environmentRulesFrom } from "@/lib/security-rules/service";

export type CallPreload = { rules: SecurityRuleRow[]; configs: ConnectorConfig[]; connections: Connection[] };

/**
 * Fills the entries a pack's first tools/call reads (security rules, connector settings, the
 * user's connection per connector) from rows loaded with the principal in one statement, under
 * the same keys and shapes their own loaders use (lib/security/enforce.ts, lib/connectors/execute.ts).
 */
export function primeCallCache(
  cache: HotCache,
  since: number,
  input: { environment: { id: string }; pack: Pick<ToolPack, "entries">; user: Pick<RegisteredUser, "id" | "sharedCredentialGroup">; preload: CallPreload },
) {
  const env = input.environment.id;
  const { rules, configs, connections } = input.preload;
  cache.prime(`secrules:${env}`, environmentRulesFrom(rules), env, since);
  const group = input.user.sharedCredentialGroup;
  const slugs = new Set(input.pack.entries.flatMap((e) => ("connector" in e ? [e.connector] : [])));
  for (const slug of slugs) {
    if (!getConnector(slug)) continue;
    cache.prime(`cfg:${env}:${slug}`, effectiveConfigFrom(slug, configs.find((c) => c.connector === slug) ?? null), env, since);
    // The resolution order of resolveConnectionRow: the user's own, then their group's, then the environment's.
    const owned = (type: Connection["ownerType"], id?: string) => connections.find((c) => c.connector === slug && c.ownerType === type && (id === undefined || c.ownerId === id));
    const row = owned("registered_user", input.user.id) ?? (group ? owned("group", group) : undefined) ?? owned("environment") ?? null;
    cache.prime(`conn:${env}:${slug}:${input.user.id}:${group ?? "-"}`, { row }, env, since);
  }
}
