import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

// ---------------------------------------------------------------- dashboard members

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash"),
  createdAt: createdAt(),
  lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
});
export type User = typeof users.$inferSelect;

/**
 * One row per dashboard sign-in. The session cookie (a JWT) names its row, so signing out,
 * changing the password or the absolute lifetime ending revokes it server-side.
 */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("dashboard_sessions_user_idx").on(t.userId)],
);

export const roles = ["owner", "admin", "developer", "viewer"] as const;
export type Role = (typeof roles)[number];

export const organizations = pgTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});
export type Organization = typeof organizations.$inferSelect;

export const memberships = pgTable(
  "memberships",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: roles }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);
export type Membership = typeof memberships.$inferSelect;

export const invitations = pgTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: roles }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    invitedBy: text("invited_by").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("invitations_org_idx").on(t.organizationId)],
);
export type Invitation = typeof invitations.$inferSelect;

// ---------------------------------------------------------------- environments

export const environmentKinds = ["production", "test"] as const;
export type EnvironmentKind = (typeof environmentKinds)[number];

export const environments = pgTable(
  "environments",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind", { enum: environmentKinds }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("environments_org_name_idx").on(t.organizationId, t.name),
    // One production environment per organization; any number of test ones.
    uniqueIndex("environments_one_production_idx").on(t.organizationId).where(sql`kind = 'production'`),
  ],
);
export type Environment = typeof environments.$inferSelect;

// ---------------------------------------------------------------- API keys

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    mode: text("mode", { enum: ["live", "test"] }).notNull(),
    /** First characters of the key, for recognising it in lists. Not secret. */
    displayPrefix: text("display_prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_keys_secret_hash_idx").on(t.secretHash), index("api_keys_env_idx").on(t.environmentId, t.id)],
);
export type ApiKey = typeof apiKeys.$inferSelect;

// ---------------------------------------------------------------- secrets (encrypted)

export const secrets = pgTable(
  "secrets",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** keyring ciphertext, `v1:<kid>:…` */
    value: text("value").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("secrets_env_name_idx").on(t.environmentId, t.name)],
);
export type Secret = typeof secrets.$inferSelect;

export const encryptionKeys = pgTable("encryption_keys", {
  kid: text("kid").primaryKey(),
  fingerprint: text("fingerprint").notNull(),
  createdAt: createdAt(),
  retiredAt: timestamp("retired_at", { withTimezone: true }),
});

// ---------------------------------------------------------------- audit log (append-only, hash-chained)

export const auditLog = pgTable(
  "audit_log",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    id: text("id").notNull().unique(),
    organizationId: text("organization_id"),
    environmentId: text("environment_id"),
    actorType: text("actor_type", { enum: ["user", "api_key", "system", "cli", "end_user"] }).notNull(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    requestId: text("request_id"),
    ip: text("ip"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /** ISO string as hashed: kept as text so the chain verifies bit for bit. */
    createdAt: text("created_at").notNull(),
    prevHash: text("prev_hash").notNull(),
    rowHash: text("row_hash").notNull(),
  },
  (t) => [
    index("audit_log_org_seq_idx").on(t.organizationId, t.seq),
    index("audit_log_env_seq_idx").on(t.environmentId, t.seq),
  ],
);
export type AuditRow = typeof auditLog.$inferSelect;

/** The chain's head, locked while appending so rows get consecutive seq numbers. */
export const auditChainHead = pgTable("audit_chain_head", {
  id: integer("id").primaryKey(),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
  lastHash: text("last_hash").notNull(),
});

// ---------------------------------------------------------------- rate limits (shared across replicas)

export const rateLimits = pgTable(
  "rate_limits",
  {
    bucket: text("bucket").notNull(),
    windowStart: bigint("window_start", { mode: "number" }).notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.windowStart] })],
);

// ---------------------------------------------------------------- registered users (end users of a product)

export const registeredUsers = pgTable(
  "registered_users",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** The product's own user id; unique per environment. */
    originUserId: text("origin_user_id").notNull(),
    email: text("email"),
    sharedCredentialGroup: text("shared_credential_group"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("registered_users_env_origin_idx").on(t.environmentId, t.originUserId),
    index("registered_users_env_id_idx").on(t.environmentId, t.id),
    index("registered_users_env_group_idx").on(t.environmentId, t.sharedCredentialGroup),
  ],
);
export type RegisteredUser = typeof registeredUsers.$inferSelect;

// ---------------------------------------------------------------- connector configs (per environment)

export const connectorConfigs = pgTable(
  "connector_configs",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    connector: text("connector").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** BYO OAuth app. The client secret lives in `secrets`, referenced by id. */
    oauthClientId: text("oauth_client_id"),
    oauthClientSecretId: text("oauth_client_secret_id"),
    scopes: jsonb("scopes").$type<string[]>(),
    baseUrl: text("base_url"),
    /** Overrides of the connector's OAuth endpoints (self-hosted providers, sandbox, tests). */
    oauthAuthorizeUrl: text("oauth_authorize_url"),
    oauthTokenUrl: text("oauth_token_url"),
    oauthRevokeUrl: text("oauth_revoke_url"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("connector_configs_env_connector_idx").on(t.environmentId, t.connector)],
);
export type ConnectorConfig = typeof connectorConfigs.$inferSelect;

// ---------------------------------------------------------------- connections (encrypted credentials)

export const connectionStatuses = ["active", "reauth_required", "revoked"] as const;
export type ConnectionStatus = (typeof connectionStatuses)[number];
export const connectionOwnerTypes = ["registered_user", "group", "environment"] as const;

export const connections = pgTable(
  "connections",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    ownerType: text("owner_type", { enum: connectionOwnerTypes }).notNull(),
    /** ru_… for a registered user, the group name for a group, the environment id for shared. */
    ownerId: text("owner_id").notNull(),
    connector: text("connector").notNull(),
    status: text("status", { enum: connectionStatuses }).notNull().default("active"),
    /** keyring ciphertext of the credential JSON */
    credential: text("credential").notNull(),
    /** SHA-256 of the current refresh token: the compare-and-swap guard of a refresh. */
    refreshTokenHash: text("refresh_token_hash"),
    grantedScopes: jsonb("granted_scopes").$type<string[]>().notNull().default([]),
    accountLabel: text("account_label"),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    lastRefreshedAt: timestamp("last_refreshed_at", { withTimezone: true }),
    /** A refresh in flight elsewhere holds this lease; it expires if its holder dies. */
    refreshLeaseUntil: timestamp("refresh_lease_until", { withTimezone: true }),
    refreshFailedAt: timestamp("refresh_failed_at", { withTimezone: true }),
    /** A sandbox connection: its provider is Latchkey's own simulated one (lib/sandbox/hosted.ts). Test environments only. */
    sandbox: boolean("sandbox").notNull().default(false),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("connections_owner_connector_idx").on(t.environmentId, t.ownerType, t.ownerId, t.connector),
    index("connections_env_id_idx").on(t.environmentId, t.id),
  ],
);
export type Connection = typeof connections.$inferSelect;

// ---------------------------------------------------------------- tool packs and MCP instances

/** Stored form of a pack's security settings (camelCase; the REST API shows snake_case). */
export type ToolPackSecurity = {
  reversibleRedaction: boolean;
  /** Hours a reversible placeholder stays restorable after its value was last seen. */
  retentionHours: number;
  /** Placeholder kinds restored (EMAIL, PHONE by default); never secrets. */
  reversibleKinds: string[];
  overrides: { ruleId: string; enabled?: boolean; action?: "log" | "redact" | "block"; allowUnredactedForTools?: string[] }[];
};
/** A pack entry names a built-in connector or a registered MCP server (by slug). */
/** `namespace: false` passes a server's tool names through unchanged (at most one such entry per pack, so names cannot collide). */
export type ToolPackEntry = { connector: string; tools: string[] | "*" } | { server: string; tools: string[] | "*"; namespace?: boolean };
export type ConnectorEntry = Extract<ToolPackEntry, { connector: string }>;
export type ServerEntry = Extract<ToolPackEntry, { server: string }>;
export const isServerEntry = (e: ToolPackEntry): e is ServerEntry => "server" in e;

export const toolPacks = pgTable(
  "tool_packs",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    description: text("description"),
    entries: jsonb("entries").$type<ToolPackEntry[]>().notNull().default([]),
    /** Security gateway settings of the pack: overrides of the environment's rules, reversible redaction. */
    security: jsonb("security").$type<ToolPackSecurity>(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("tool_packs_env_slug_idx").on(t.environmentId, t.slug), index("tool_packs_env_id_idx").on(t.environmentId, t.id)],
);
export type ToolPack = typeof toolPacks.$inferSelect;

export const mcpInstances = pgTable(
  "mcp_instances",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    toolPackId: text("tool_pack_id")
      .notNull()
      .references(() => toolPacks.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    /** SHA-256 of the URL token: lookup. */
    tokenHash: text("token_hash").notNull(),
    /** The token under the keyring, so `ensure` can return the same URL again. */
    tokenSealed: text("token_sealed").notNull(),
    createdAt: createdAt(),
    rotatedAt: timestamp("rotated_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("mcp_instances_token_idx").on(t.tokenHash),
    // One live instance per (pack, user); revoked ones stay for the record.
    uniqueIndex("mcp_instances_live_idx").on(t.environmentId, t.toolPackId, t.registeredUserId).where(sql`revoked_at is null`),
  ],
);
export type McpInstance = typeof mcpInstances.$inferSelect;

/** Legacy-era MCP sessions ended by DELETE (ids are self-verifying; only endings are stored). */
export const mcpTerminatedSessions = pgTable("mcp_terminated_sessions", {
  sessionHash: text("session_hash").primaryKey(),
  terminatedAt: createdAt(),
});

// ---------------------------------------------------------------- link tokens (end users connect accounts)

export const linkTokens = pgTable(
  "link_tokens",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    connectors: jsonb("connectors").$type<string[] | null>(),
    redirectUrl: text("redirect_url"),
    tokenHash: text("token_hash").notNull().unique(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("link_tokens_env_user_idx").on(t.environmentId, t.registeredUserId)],
);
export type LinkToken = typeof linkTokens.$inferSelect;

/**
 * A browser's Link session, opened by redeeming a link token. The browser holds the secret in
 * an HttpOnly cookie; only its hash is stored. Scoped to one registered user, one environment
 * and the link token's connectors.
 */
export const linkSessions = pgTable(
  "link_sessions",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    linkTokenId: text("link_token_id")
      .notNull()
      .references(() => linkTokens.id, { onDelete: "cascade" }),
    secretHash: text("secret_hash").notNull(),
    connectors: jsonb("connectors").$type<string[] | null>(),
    redirectUrl: text("redirect_url"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** Finished (`done`) or abandoned (`exit`) by the user: the cookie no longer opens anything. */
    endedAt: timestamp("ended_at", { withTimezone: true }),
    endReason: text("end_reason", { enum: ["done", "exit"] }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("link_sessions_secret_idx").on(t.secretHash), uniqueIndex("link_sessions_token_idx").on(t.linkTokenId), index("link_sessions_env_user_idx").on(t.environmentId, t.registeredUserId)],
);
export type LinkSession = typeof linkSessions.$inferSelect;

/** One OAuth authorization in flight from a Link session: `state` (hashed), PKCE verifier (sealed), single use, 10 minutes. */
export const linkOauthStates = pgTable(
  "link_oauth_states",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    linkSessionId: text("link_session_id")
      .notNull()
      .references(() => linkSessions.id, { onDelete: "cascade" }),
    connector: text("connector").notNull(),
    stateHash: text("state_hash").notNull(),
    /** keyring ciphertext of the PKCE code_verifier; null for providers without PKCE */
    codeVerifier: text("code_verifier"),
    /** Exactly what the authorization request carried, sent again with the code. */
    redirectUri: text("redirect_uri").notNull(),
    /** The issuer the callback's `iss` must equal (RFC 9207), when the provider sends one. */
    expectedIssuer: text("expected_issuer").notNull(),
    /** "Sandbox account": the authorization runs against Latchkey's sandbox authorization server (test environments only). */
    sandbox: boolean("sandbox").notNull().default(false),
    requestedScopes: jsonb("requested_scopes").$type<string[]>().notNull().default([]),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("link_oauth_states_state_idx").on(t.stateHash), index("link_oauth_states_env_session_idx").on(t.environmentId, t.linkSessionId)],
);
export type LinkOauthState = typeof linkOauthStates.$inferSelect;

// ---------------------------------------------------------------- tool call log (written in batches, off the request path)

export const toolCalls = pgTable(
  "tool_calls",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    principalType: text("principal_type").notNull(),
    principalId: text("principal_id").notNull(),
    toolPackId: text("tool_pack_id"),
    registeredUserId: text("registered_user_id"),
    tool: text("tool").notNull(),
    connector: text("connector"),
    connectionId: text("connection_id"),
    status: text("status", { enum: ["ok", "error", "unauthorized"] }).notNull(),
    errorCode: text("error_code"),
    latencyMs: integer("latency_ms").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("tool_calls_env_id_idx").on(t.environmentId, t.id),
    index("tool_calls_env_user_idx").on(t.environmentId, t.registeredUserId, t.id),
    index("tool_calls_env_pack_idx").on(t.environmentId, t.toolPackId, t.id),
    // The end-user page asks "which pack last used this connection": one index probe per connection.
    index("tool_calls_env_connection_idx").on(t.environmentId, t.connectionId, t.id),
  ],
);
export type ToolCall = typeof toolCalls.$inferSelect;

// ---------------------------------------------------------------- gateway tokens (MCP URL 3: /mcp/{tool_pack_slug})

/** Service tokens: a product's agent on the environment's shared connections, with no end user. */
export const gatewayTokens = pgTable(
  "gateway_tokens",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** First characters of the token, for recognising it in lists. Not secret. */
    displayPrefix: text("display_prefix").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("gateway_tokens_hash_idx").on(t.tokenHash), index("gateway_tokens_env_idx").on(t.environmentId, t.id)],
);
export type GatewayToken = typeof gatewayTokens.$inferSelect;

/** Personal tokens of one registered user: their agent, on their own connections. */
export const registeredUserTokens = pgTable(
  "registered_user_tokens",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    name: text("name"),
    displayPrefix: text("display_prefix").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("registered_user_tokens_hash_idx").on(t.tokenHash), index("registered_user_tokens_env_user_idx").on(t.environmentId, t.registeredUserId, t.id)],
);
export type RegisteredUserToken = typeof registeredUserTokens.$inferSelect;

// ---------------------------------------------------------------- environment settings (one validated document per environment)

export const environmentSettings = pgTable(
  "environment_settings",
  {
    environmentId: text("environment_id")
      .primaryKey()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** Validated by lib/schemas/environment-settings.ts on every write and read. */
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  // An IdP JWT names its issuer, not its environment: this finds the environments that trust it.
  (t) => [index("environment_settings_idp_issuer_idx").on(sql`(${t.settings} -> 'idp' ->> 'issuer')`)],
);

// ---------------------------------------------------------------- webhooks (outbox, deliveries, attempts)

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    /** Event types this endpoint receives, or ["*"] for all. */
    events: jsonb("events").$type<string[]>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /** Why the system disabled it (e.g. the receiver answered 410 Gone); null when a member did. */
    disabledReason: text("disabled_reason"),
    /** keyring ciphertext of the signing secret (`whsec_…`) */
    secret: text("secret").notNull(),
    /** The secret before the last rotation, still used to sign until previous_secret_expires_at. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
    secretRotatedAt: timestamp("secret_rotated_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("webhook_endpoints_env_id_idx").on(t.environmentId, t.id)],
);
export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;

/** The outbox: one row per event, written in the transaction of the change it describes. */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    /** The exact JSON body sent (and signed), so every retry carries the same bytes. */
    payload: text("payload").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_events_env_id_idx").on(t.environmentId, t.id)],
);
export type WebhookEvent = typeof webhookEvents.$inferSelect;

export const webhookDeliveryStatuses = ["pending", "succeeded", "failed"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** One event to one endpoint. Claimed by a worker with a lease, so replicas never send it twice at once. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: webhookDeliveryStatuses }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** When the next attempt is due; null once the delivery succeeded or failed for good. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    leaseOwner: text("lease_owner"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("webhook_deliveries_env_endpoint_idx").on(t.environmentId, t.endpointId, t.id),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

export const webhookDeliveryAttempts = pgTable(
  "webhook_delivery_attempts",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    /** The first bytes of the receiver's answer, for debugging. */
    responseSnippet: text("response_snippet"),
    error: text("error"),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_delivery_attempts_env_delivery_idx").on(t.environmentId, t.deliveryId, t.attempt)],
);
export type WebhookDeliveryAttempt = typeof webhookDeliveryAttempts.$inferSelect;

// ---------------------------------------------------------------- magic links (end users manage their connections from an email)

export const magicLinks = pgTable(
  "magic_links",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    /** The connectors the link asks for; null = none in particular (usable until expiry or revocation). */
    connectors: jsonb("connectors").$type<string[] | null>(),
    /** SHA-256 of the bearer token; the token itself is never stored. */
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("magic_links_token_idx").on(t.tokenHash), index("magic_links_env_user_idx").on(t.environmentId, t.registeredUserId, t.id), index("magic_links_env_id_idx").on(t.environmentId, t.id)],
);
export type MagicLink = typeof magicLinks.$inferSelect;

/** A browser session opened with a magic link: the cookie holds a random id, stored here hashed. */
export const magicLinkSessions = pgTable(
  "magic_link_sessions",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    magicLinkId: text("magic_link_id")
      .notNull()
      .references(() => magicLinks.id, { onDelete: "cascade" }),
    sessionHash: text("session_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("magic_link_sessions_hash_idx").on(t.sessionHash), index("magic_link_sessions_env_link_idx").on(t.environmentId, t.magicLinkId)],
);
export type MagicLinkSession = typeof magicLinkSessions.$inferSelect;

// ---------------------------------------------------------------- outgoing email (dev outbox without SMTP, delivery record with it)

export const emailStatuses = ["outbox", "sent", "failed"] as const;
export type EmailStatus = (typeof emailStatuses)[number];

export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    /** `outbox`: not sent (no SMTP configured), body kept for the dashboard; `sent`/`failed`: metadata only. */
    status: text("status", { enum: emailStatuses }).notNull(),
    /** Keyring ciphertext of `{ text, html }`, only for `outbox` rows: the body holds a bearer link. */
    bodySealed: text("body_sealed"),
    error: text("error"),
    magicLinkId: text("magic_link_id"),
    createdAt: createdAt(),
  },
  (t) => [index("email_outbox_env_id_idx").on(t.environmentId, t.id)],
);
export type EmailOutboxRow = typeof emailOutbox.$inferSelect;

// ---------------------------------------------------------------- MCP servers (bring your own, DESIGN §6)

export const mcpServerAuthModes = ["none", "token", "oauth_client_credentials", "oauth_authorization_code"] as const;
export type McpServerAuthMode = (typeof mcpServerAuthModes)[number];
/** oauth_authorization_code: each end user connects (per_user), or one environment-wide connection serves everyone (shared). */
export const mcpCredentialModes = ["per_user", "shared"] as const;
export type McpCredentialMode = (typeof mcpCredentialModes)[number];

/** What discovery found, kept as it was returned so an operator can see why fields were filled. */
export type McpDiscoveryResult = {
  requires_auth: boolean;
  recommended_auth_mode: McpServerAuthMode;
  auth_url: string | null;
  token_url: string | null;
  register_url: string | null;
  resource: string | null;
  scopes: string[];
  token_endpoint_auth_methods_supported: string[];
  grant_types_supported: string[];
  code_challenge_methods_supported: string[];
  authorization_servers: string[];
  issuer: string | null;
  /** The AS accepts a Client ID Metadata Document URL as client_id (MCP 2025-11-25). Absent in results stored before it was read. */
  client_id_metadata_document_supported?: boolean;
  resource_metadata_url: string | null;
  mcp_json: Record<string, unknown> | null;
  tried: { url: string; outcome: string }[];
  errors: string[];
};

export const mcpServers = pgTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    url: text("url").notNull(),
    transport: text("transport").notNull().default("streamable-http"),
    authMode: text("auth_mode").$type<McpServerAuthMode>().notNull().default("none"),
    /** token mode: the header the value goes in; `authorization` sends `Bearer <value>`. */
    headerName: text("header_name"),
    /** secrets.id of the static token (token mode). */
    tokenSecretId: text("token_secret_id"),
    clientId: text("client_id"),
    /** secrets.id of the OAuth client secret (given, or returned by DCR). */
    clientSecretId: text("client_secret_id"),
    /** Whether the client was registered by Latchkey (DCR) rather than supplied. */
    clientRegistered: boolean("client_registered").notNull().default(false),
    scopes: jsonb("scopes").$type<string[]>().notNull().default([]),
    authUrl: text("auth_url"),
    tokenUrl: text("token_url"),
    /** transport "stdio": the command to run (lib/mcp-servers/stdio.ts); secret names only, never values. */
    stdioConfig: jsonb("stdio_config").$type<{ command: "npx" | "node" | "uvx" | "python3"; args: string[]; env?: Record<string, string | { secret: string }> }>(),
    registerUrl: text("register_url"),
    resource: text("resource"),
    pkce: text("pkce").$type<"public" | "confidential">(),
    /** oauth_authorization_code only: whose tokens are used (null for the other modes). */
    credentialMode: text("credential_mode").$type<McpCredentialMode>(),
    tokenEndpointAuthMethod: text("token_endpoint_auth_method"),
    discoveryResult: jsonb("discovery_result").$type<McpDiscoveryResult>(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("mcp_servers_env_slug_idx").on(t.environmentId, t.slug), index("mcp_servers_env_id_idx").on(t.environmentId, t.id)],
);
export type McpServer = typeof mcpServers.$inferSelect;

/**
 * What each upstream tool's definition looked like when it was trusted (DESIGN §6, issue 6):
 * the first sighting is approved (trust on first use); a later definition with another hash
 * is held as pending, hidden and uncallable, until an admin approves it. Guards against a
 * server that swaps a tool's description or schema after it was reviewed ("rug pull").
 */
export const mcpServerToolStatuses = ["approved", "pending"] as const;
export type McpServerToolStatus = (typeof mcpServerToolStatuses)[number];
export type McpToolDefinition = { name: string; title?: string; description?: string; inputSchema?: Record<string, unknown>; outputSchema?: Record<string, unknown>; annotations?: Record<string, unknown> };

export const mcpServerTools = pgTable(
  "mcp_server_tools",
  {
    serverId: text("server_id")
      .notNull()
      .references(() => mcpServers.id, { onDelete: "cascade" }),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 (hex) of the approved definition's canonical JSON. */
    hash: text("hash").notNull(),
    definition: jsonb("definition").$type<McpToolDefinition>().notNull(),
    status: text("status").$type<McpServerToolStatus>().notNull().default("approved"),
    /** The definition the upstream shows now, while it differs from the approved one. */
    pendingHash: text("pending_hash"),
    pendingDefinition: jsonb("pending_definition").$type<McpToolDefinition>(),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull().defaultNow(),
    changedAt: timestamp("changed_at", { withTimezone: true }),
    /** Set only by an admin's approval: the column the invalidation trigger watches. */
    approvedAt: timestamp("approved_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.name] }), index("mcp_server_tools_env_server_idx").on(t.environmentId, t.serverId)],
);
export type McpServerToolRow = typeof mcpServerTools.$inferSelect;

// ---------------------------------------------------------------- agents and agent sessions (Wacht)

/**
 * An agent: upstream MCP servers attached to it (what a session may connect) and tool packs
 * whose tools every session serves. Ids are checked against the environment when saved; a
 * server or pack deleted later simply drops out.
 */
export const agents = pgTable(
  "agents",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    serverIds: jsonb("server_ids").$type<string[]>().notNull().default([]),
    toolPackIds: jsonb("tool_pack_ids").$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("agents_env_id_idx").on(t.environmentId, t.id)],
);
export type Agent = typeof agents.$inferSelect;

/** One agent run for one registered user; its ticket authenticates MCP URL 4. */
export const agentSessions = pgTable(
  "agent_sessions",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    /** SHA-256 of the session ticket; the ticket itself is shown once. */
    ticketHash: text("ticket_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** The attached servers this session has connected: what its MCP URL serves. */
    connectedServerIds: jsonb("connected_server_ids").$type<string[]>().notNull().default([]),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("agent_sessions_ticket_idx").on(t.ticketHash), index("agent_sessions_env_id_idx").on(t.environmentId, t.id)],
);
export type AgentSession = typeof agentSessions.$inferSelect;

// ---------------------------------------------------------------- alerts (security events, deduplicated per window)

export const alertKinds = [
  "security_rule_hit",
  "auth_failures",
  "environment_mismatch",
  "ssrf_blocked",
  "decrypt_failure",
  "tool_definition_changed",
  "refresh_failed",
  "audit_sink_failure",
] as const;
export const alertSeverities = ["low", "medium", "high", "critical"] as const;
export const alertStatuses = ["open", "acknowledged", "resolved"] as const;

export const alerts = pgTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: alertKinds }).notNull(),
    severity: text("severity", { enum: alertSeverities }).notNull(),
    ruleId: text("rule_id"),
    toolPackId: text("tool_pack_id"),
    registeredUserId: text("registered_user_id"),
    tool: text("tool"),
    fieldPath: text("field_path"),
    /** What matched, masked by the raiser: never the value itself. */
    excerpt: text("excerpt"),
    /** Short, fixed-vocabulary context (reason codes, ids): no secrets. */
    details: jsonb("details").$type<Record<string, string | number | boolean | null>>().notNull().default({}),
    count: integer("count").notNull().default(1),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull().defaultNow(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull().defaultNow(),
    status: text("status", { enum: alertStatuses }).notNull().default("open"),
    dedupKey: text("dedup_key").notNull(),
    /** Start of the dedup window: one row per (environment, dedup key, window). */
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("alerts_env_dedup_window_idx").on(t.environmentId, t.dedupKey, t.windowStart),
    index("alerts_env_id_idx").on(t.environmentId, t.id),
    index("alerts_env_last_seen_idx").on(t.environmentId, t.lastSeen),
  ],
);
export type Alert = typeof alerts.$inferSelect;

// ---------------------------------------------------------------- security gateway (issue 7)

/**
 * An environment's security rules. Built-in detectors need no row (their defaults apply); a row
 * with `rule_key = builtin.<detector>` records a changed built-in, other rows are custom rules
 * (`rule_key` = the row id). `definition` is the engine's rule without its id.
 */
export const securityRules = pgTable(
  "security_rules",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    ruleKey: text("rule_key").notNull(),
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("security_rules_env_key_idx").on(t.environmentId, t.ruleKey), index("security_rules_env_id_idx").on(t.environmentId, t.id)],
);
export type SecurityRuleRow = typeof securityRules.$inferSelect;

/**
 * Reversible redaction vault: per registered user, a placeholder for a value, looked up by an
 * HMAC of (user, kind, value), the value itself encrypted with the keyring. Changes on the data
 * path: deliberately NOT in the cache-invalidation trigger.
 */
export const securityVaultEntries = pgTable(
  "security_vault_entries",
  {
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    lookupDigest: text("lookup_digest").notNull(),
    kind: text("kind").notNull(),
    placeholder: text("placeholder").notNull(),
    ciphertext: text("ciphertext").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.registeredUserId, t.lookupDigest] }),
    uniqueIndex("security_vault_user_placeholder_idx").on(t.registeredUserId, t.placeholder),
    index("security_vault_env_expires_idx").on(t.environmentId, t.expiresAt),
  ],
);

/** Last placeholder number per (user, kind): numbers are never reused while the user exists. */
export const securityVaultCounters = pgTable(
  "security_vault_counters",
  {
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    registeredUserId: text("registered_user_id")
      .notNull()
      .references(() => registeredUsers.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    lastNumber: integer("last_number").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.registeredUserId, t.kind] })],
);
