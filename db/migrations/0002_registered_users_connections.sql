CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"owner_type" text NOT NULL,
	"owner_id" text NOT NULL,
	"connector" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"credential" text NOT NULL,
	"refresh_token_hash" text,
	"granted_scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"account_label" text,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"last_refreshed_at" timestamp with time zone,
	"refresh_lease_until" timestamp with time zone,
	"refresh_failed_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connector_configs" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"connector" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"oauth_client_id" text,
	"oauth_client_secret_id" text,
	"scopes" jsonb,
	"base_url" text,
	"oauth_authorize_url" text,
	"oauth_token_url" text,
	"oauth_revoke_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registered_users" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"origin_user_id" text NOT NULL,
	"email" text,
	"shared_credential_group" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connector_configs" ADD CONSTRAINT "connector_configs_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registered_users" ADD CONSTRAINT "registered_users_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connections_owner_connector_idx" ON "connections" USING btree ("environment_id","owner_type","owner_id","connector");--> statement-breakpoint
CREATE INDEX "connections_env_id_idx" ON "connections" USING btree ("environment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "connector_configs_env_connector_idx" ON "connector_configs" USING btree ("environment_id","connector");--> statement-breakpoint
CREATE UNIQUE INDEX "registered_users_env_origin_idx" ON "registered_users" USING btree ("environment_id","origin_user_id");--> statement-breakpoint
CREATE INDEX "registered_users_env_id_idx" ON "registered_users" USING btree ("environment_id","id");--> statement-breakpoint
CREATE INDEX "registered_users_env_group_idx" ON "registered_users" USING btree ("environment_id","shared_credential_group");