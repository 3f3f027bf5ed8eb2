CREATE TABLE "mcp_servers" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"url" text NOT NULL,
	"transport" text DEFAULT 'streamable-http' NOT NULL,
	"auth_mode" text DEFAULT 'none' NOT NULL,
	"header_name" text,
	"token_secret_id" text,
	"client_id" text,
	"client_secret_id" text,
	"client_registered" boolean DEFAULT false NOT NULL,
	"scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"auth_url" text,
	"token_url" text,
	"register_url" text,
	"resource" text,
	"pkce" text,
	"token_endpoint_auth_method" text,
	"discovery_result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mcp_servers" ADD CONSTRAINT "mcp_servers_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "mcp_servers_env_slug_idx" ON "mcp_servers" USING btree ("environment_id","slug");--> statement-breakpoint
CREATE INDEX "mcp_servers_env_id_idx" ON "mcp_servers" USING btree ("environment_id","id");--> statement-breakpoint
-- The gateway caches each server's settings and tool list; an edit reaches every replica.
CREATE TRIGGER mcp_servers_invalidate AFTER INSERT OR UPDATE OR DELETE ON mcp_servers FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
