-- The audit log is append-only: the database itself refuses UPDATE and DELETE, so a bug or a
-- compromised app cannot rewrite history. (Someone with superuser access can still disable
-- the trigger; the hash chain is what reveals that.)
CREATE OR REPLACE FUNCTION latchkey_audit_log_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION latchkey_audit_log_immutable();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION latchkey_audit_log_immutable();
--> statement-breakpoint
INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
