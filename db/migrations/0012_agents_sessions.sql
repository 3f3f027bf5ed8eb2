CREATE TABLE "agent_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"registered_user_id" text NOT NULL,
	"ticket_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"connected_server_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"name" text NOT NULL,
	"server_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tool_pack_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_registered_user_id_registered_users_id_fk" FOREIGN KEY ("registered_user_id") REFERENCES "public"."registered_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_sessions_ticket_idx" ON "agent_sessions" USING btree ("ticket_hash");--> statement-breakpoint
CREATE INDEX "agent_sessions_env_id_idx" ON "agent_sessions" USING btree ("environment_id","id");--> statement-breakpoint
CREATE INDEX "agents_env_id_idx" ON "agents" USING btree ("environment_id","id");--> statement-breakpoint
-- The gateway caches a session's agent, packs and connected servers; a connect, disconnect or
-- an edited agent reaches every replica before the next call.
CREATE TRIGGER agents_invalidate AFTER INSERT OR UPDATE OR DELETE ON agents FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER agent_sessions_invalidate AFTER INSERT OR UPDATE OR DELETE ON agent_sessions FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
