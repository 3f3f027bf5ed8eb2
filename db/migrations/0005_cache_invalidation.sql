-- DESIGN §8: replicas cache what the MCP hot path reads (keys, instances, packs, users,
-- connections, connector settings) and drop it when it changes. Every change to those tables
-- notifies 'latchkey_invalidate' with the environment id, so revocations and edits reach every
-- replica within a second, whoever made them (API, dashboard, CLI, another replica).
-- Bookkeeping columns (last use, refresh leases) change on nearly every call and say nothing
-- a cache holds, so updates touching only them stay silent.
CREATE OR REPLACE FUNCTION latchkey_notify_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb;
BEGIN
  IF TG_OP = 'UPDATE' AND
     (to_jsonb(OLD) - 'last_used_at' - 'refresh_lease_until' - 'refresh_failed_at') =
     (to_jsonb(NEW) - 'last_used_at' - 'refresh_lease_until' - 'refresh_failed_at') THEN
    RETURN NULL;
  END IF;
  r := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  PERFORM pg_notify('latchkey_invalidate', coalesce(r->>'environment_id', CASE WHEN TG_TABLE_NAME = 'environments' THEN r->>'id' END, '*'));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER environments_invalidate AFTER INSERT OR UPDATE OR DELETE ON environments FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER api_keys_invalidate AFTER INSERT OR UPDATE OR DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER registered_users_invalidate AFTER INSERT OR UPDATE OR DELETE ON registered_users FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER connector_configs_invalidate AFTER INSERT OR UPDATE OR DELETE ON connector_configs FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER connections_invalidate AFTER INSERT OR UPDATE OR DELETE ON connections FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER tool_packs_invalidate AFTER INSERT OR UPDATE OR DELETE ON tool_packs FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
CREATE TRIGGER mcp_instances_invalidate AFTER INSERT OR UPDATE OR DELETE ON mcp_instances FOR EACH ROW EXECUTE FUNCTION latchkey_notify_invalidate();
--> statement-breakpoint
-- An ended MCP session: replicas that answered it from cache learn it is gone.
CREATE OR REPLACE FUNCTION latchkey_notify_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('latchkey_invalidate', 'session:' || NEW.session_hash);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER mcp_terminated_sessions_notify AFTER INSERT ON mcp_terminated_sessions FOR EACH ROW EXECUTE FUNCTION latchkey_notify_session_ended();
