CREATE TABLE "security_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"rule_key" text NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security_vault_counters" (
	"environment_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"kind" text NOT NULL,
	"last_number" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "security_vault_counters_registered_user_id_kind_pk" PRIMARY KEY("registered_user_id","kind")
);
--> statement-breakpoint
CREATE TABLE "security_vault_entries" (
	"environment_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"lookup_digest" text NOT NULL,
	"kind" text NOT NULL,
	"placeholder" text NOT NULL,
	"ciphertext" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "security_vault_entries_registered_user_id_lookup_digest_pk" PRIMARY KEY("registered_user_id","lookup_digest")
);
--> statement-breakpoint
ALTER TABLE "tool_packs" ADD COLUMN "security" jsonb;--> statement-breakpoint
ALTER TABLE "security_rules" ADD CONSTRAINT "security_rules_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_vault_counters" ADD CONSTRAINT "security_vault_counters_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_vault_counters" ADD CONSTRAINT "security_vault_counters_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_vault_entries" ADD CONSTRAINT "security_vault_entries_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_vault_entries" ADD CONSTRAINT "security_vault_entries_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "security_rules_env_key_idx" ON "security_rules" USING btree ("environment_id","rule_key");--> statement-breakpoint
CREATE INDEX "security_rules_env_id_idx" ON "security_rules" USING btree ("environment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "security_vault_user_placeholder_idx" ON "security_vault_entries" USING btree ("registered_user_id","placeholder");--> statement-breakpoint
CREATE INDEX "security_vault_env_expires_idx" ON "security_vault_entries" USING btree ("environment_id","expires_at");--> statement-breakpoint
-- The gateway caches each environment's compiled security policy; a rule change reaches every replica.
CREATE TRIGGER security_rules_invalidate AFTER INSERT OR UPDATE OR DELETE ON security_rules FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
