CREATE TABLE "alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"rule_id" text,
	"tool_pack_id" text,
	"registered_user_id" text,
	"tool" text,
	"field_path" text,
	"excerpt" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"first_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"dedup_key" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_env_dedup_window_idx" ON "alerts" USING btree ("environment_id","dedup_key","window_start");--> statement-breakpoint
CREATE INDEX "alerts_env_id_idx" ON "alerts" USING btree ("environment_id","id");--> statement-breakpoint
CREATE INDEX "alerts_env_last_seen_idx" ON "alerts" USING btree ("environment_id","last_seen");