CREATE TABLE "mcp_server_tools" (
	"server_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"name" text NOT NULL,
	"hash" text NOT NULL,
	"definition" jsonb NOT NULL,
	"status" text DEFAULT 'approved' NOT NULL,
	"pending_hash" text,
	"pending_definition" jsonb,
	"first_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone,
	"approved_at" timestamp with time zone,
	CONSTRAINT "mcp_server_tools_server_id_name_pk" PRIMARY KEY("server_id","name")
);
--> statement-breakpoint
ALTER TABLE "mcp_servers" ADD COLUMN "stdio_config" jsonb;--> statement-breakpoint
ALTER TABLE "mcp_server_tools" ADD CONSTRAINT "mcp_server_tools_server_id_mcp_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."mcp_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mcp_server_tools" ADD CONSTRAINT "mcp_server_tools_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mcp_server_tools_env_server_idx" ON "mcp_server_tools" USING btree ("environment_id","server_id");--> statement-breakpoint
-- An admin's approval must reach every replica's cached tool list at once. Only approvals
-- notify: the gateway's own writes (first sighting, a change seen) happen inside the load that
-- caches the result, and notifying on them would keep that load from ever being stored.
CREATE TRIGGER mcp_server_tools_invalidate AFTER UPDATE OF approved_at ON mcp_server_tools FOR EACH ROW WHEN (OLD.approved_at IS DISTINCT FROM NEW.approved_at) EXECUTE FUNCTION latchkey_notify_invalidate();
