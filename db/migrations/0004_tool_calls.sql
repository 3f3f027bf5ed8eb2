CREATE TABLE "tool_calls" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"principal_type" text NOT NULL,
	"principal_id" text NOT NULL,
	"tool_pack_id" text,
	"registered_user_id" text,
	"tool" text NOT NULL,
	"connector" text,
	"connection_id" text,
	"status" text NOT NULL,
	"error_code" text,
	"latency_ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tool_calls_env_id_idx" ON "tool_calls" USING btree ("environment_id","id");--> statement-breakpoint
CREATE INDEX "tool_calls_env_user_idx" ON "tool_calls" USING btree ("environment_id","registered_user_id","id");--> statement-breakpoint
CREATE INDEX "tool_calls_env_pack_idx" ON "tool_calls" USING btree ("environment_id","tool_pack_id","id");