CREATE TABLE "environment_settings" (
	"environment_id" text PRIMARY KEY NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"name" text NOT NULL,
	"display_prefix" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "registered_user_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"name" text,
	"display_prefix" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "environment_settings" ADD CONSTRAINT "environment_settings_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gateway_tokens" ADD CONSTRAINT "gateway_tokens_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registered_user_tokens" ADD CONSTRAINT "registered_user_tokens_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registered_user_tokens" ADD CONSTRAINT "registered_user_tokens_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "environment_settings_idp_issuer_idx" ON "environment_settings" USING btree (("settings" -> 'idp' ->> 'issuer'));--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_tokens_hash_idx" ON "gateway_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "gateway_tokens_env_idx" ON "gateway_tokens" USING btree ("environment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "registered_user_tokens_hash_idx" ON "registered_user_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "registered_user_tokens_env_user_idx" ON "registered_user_tokens" USING btree ("environment_id","registered_user_id","id");--> statement-breakpoint
-- The hot path caches these too (see 0005): a revoked token or an IdP settings change must reach every replica within a second.
CREATE TRIGGER gateway_tokens_invalidate AFTER INSERT OR UPDATE OR DELETE ON gateway_tokens FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();--> statement-breakpoint
CREATE TRIGGER registered_user_tokens_invalidate AFTER INSERT OR UPDATE OR DELETE ON registered_user_tokens FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();--> statement-breakpoint
CREATE TRIGGER environment_settings_invalidate AFTER INSERT OR UPDATE OR DELETE ON environment_settings FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
