CREATE TABLE "link_oauth_states" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"link_session_id" text NOT NULL,
	"connector" text NOT NULL,
	"state_hash" text NOT NULL,
	"code_verifier" text,
	"redirect_uri" text NOT NULL,
	"expected_issuer" text NOT NULL,
	"requested_scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"link_token_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"connectors" jsonb,
	"redirect_url" text,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "link_oauth_states" ADD CONSTRAINT "link_oauth_states_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_oauth_states" ADD CONSTRAINT "link_oauth_states_link_session_id_link_sessions_id_fk" FOREIGN KEY ("link_session_id") REFERENCES "public"."link_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_sessions" ADD CONSTRAINT "link_sessions_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_sessions" ADD CONSTRAINT "link_sessions_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_sessions" ADD CONSTRAINT "link_sessions_link_token_id_link_tokens_id_fk" FOREIGN KEY ("link_token_id") REFERENCES "public"."link_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "link_oauth_states_state_idx" ON "link_oauth_states" USING btree ("state_hash");--> statement-breakpoint
CREATE INDEX "link_oauth_states_env_session_idx" ON "link_oauth_states" USING btree ("environment_id","link_session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "link_sessions_secret_idx" ON "link_sessions" USING btree ("secret_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "link_sessions_token_idx" ON "link_sessions" USING btree ("link_token_id");--> statement-breakpoint
CREATE INDEX "link_sessions_env_user_idx" ON "link_sessions" USING btree ("environment_id","registered_user_id");