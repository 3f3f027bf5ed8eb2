CREATE TABLE "email_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"status" text NOT NULL,
	"body_sealed" text,
	"error" text,
	"magic_link_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "magic_link_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"magic_link_id" text NOT NULL,
	"session_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "magic_links" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"connectors" jsonb,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "magic_link_sessions" ADD CONSTRAINT "magic_link_sessions_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "magic_link_sessions" ADD CONSTRAINT "magic_link_sessions_magic_link_id_magic_links_id_fk" FOREIGN KEY ("magic_link_id") REFERENCES "public"."magic_links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "magic_links" ADD CONSTRAINT "magic_links_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "magic_links" ADD CONSTRAINT "magic_links_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_outbox_env_id_idx" ON "email_outbox" USING btree ("environment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "magic_link_sessions_hash_idx" ON "magic_link_sessions" USING btree ("session_hash");--> statement-breakpoint
CREATE INDEX "magic_link_sessions_env_link_idx" ON "magic_link_sessions" USING btree ("environment_id","magic_link_id");--> statement-breakpoint
CREATE UNIQUE INDEX "magic_links_token_idx" ON "magic_links" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "magic_links_env_user_idx" ON "magic_links" USING btree ("environment_id","registered_user_id","id");--> statement-breakpoint
CREATE INDEX "magic_links_env_id_idx" ON "magic_links" USING btree ("environment_id","id");--> statement-breakpoint
CREATE INDEX "tool_calls_env_connection_idx" ON "tool_calls" USING btree ("environment_id","connection_id","id");