CREATE TABLE "link_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"connectors" jsonb,
	"redirect_url" text,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "link_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "mcp_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"tool_pack_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"token_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "mcp_terminated_sessions" (
	"session_hash" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tool_packs" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"description" text,
	"entries" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "link_tokens" ADD CONSTRAINT "link_tokens_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_tokens" ADD CONSTRAINT "link_tokens_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_instances" ADD CONSTRAINT "mcp_instances_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_instances" ADD CONSTRAINT "mcp_instances_tool_pack_id_tool_packs_id_fk" FOREIGN KEY ("tool_pack_id") REFERENCES "public"."tool_packs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_instances" ADD CONSTRAINT "mcp_instances_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_packs" ADD CONSTRAINT "tool_packs_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_tokens_env_user_idx" ON "link_tokens" USING btree ("environment_id","registered_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mcp_instances_token_idx" ON "mcp_instances" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "mcp_instances_live_idx" ON "mcp_instances" USING btree ("environment_id","tool_pack_id","registered_user_id") WHERE revoked_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "tool_packs_env_slug_idx" ON "tool_packs" USING btree ("environment_id","slug");--> statement-breakpoint
CREATE INDEX "tool_packs_env_id_idx" ON "tool_packs" USING btree ("environment_id","id");