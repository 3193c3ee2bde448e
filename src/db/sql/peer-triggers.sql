-- Blocked servers are held in each web process's memory for the inbox guard
-- (src/peers/blocked-hosts.ts). Blocks are made by the CLI, another process, so every statement
-- that changes blocked_domains announces it on fediflattr_blocks; the NOTIFY is sent at commit,
-- and a rolled-back block announces nothing.
CREATE FUNCTION blocked_domains_changed()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_notify('fediflattr_blocks', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER blocked_domains_notify
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON blocked_domains
FOR EACH STATEMENT EXECUTE FUNCTION blocked_domains_changed();
