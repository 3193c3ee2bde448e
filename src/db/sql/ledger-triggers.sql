-- Ledger integrity in the database (see src/db/schema/ledger.ts). Appended to the migrations by
-- `npm run db:regen` as a custom drizzle-kit migration: drizzle-kit does not generate triggers.
-- Statements are separated by drizzle's breakpoint marker because the migrator runs them one by one.

-- After every INSERT into ledger_postings, once per statement, over all rows it inserted:
--  1. every posting belongs to an existing entry, and all postings of an entry come in this one
--     statement (an entry cannot grow later);
--  2. every entry sums to zero per currency;
--  3. missing accounts are created (may_go_negative follows from the name);
--  4. balances are added up per account in one UPDATE, after locking the rows in a fixed order so
--     that concurrent statements cannot deadlock. The CHECK ledger_balances_non_negative
--     aborts the whole statement on an overdraft; concurrent debits wait on the row lock and
--     then see the committed balance, so the check holds under concurrency.
CREATE FUNCTION ledger_postings_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.entry_id, e.id IS NULL AS missing INTO bad
  FROM (SELECT entry_id, count(*) AS c FROM ledger_new_postings GROUP BY entry_id) n
  LEFT JOIN ledger_entries e ON e.id = n.entry_id
  WHERE e.id IS NULL
     OR n.c <> (SELECT count(*) FROM ledger_postings p WHERE p.entry_id = n.entry_id)
  LIMIT 1;
  IF FOUND THEN
    IF bad.missing THEN
      RAISE EXCEPTION 'ledger posting for entry % which does not exist', bad.entry_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_postings_entry_exists';
    END IF;
    RAISE EXCEPTION 'ledger entry % already has postings: all postings of an entry must be inserted in one statement', bad.entry_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_immutable';
  END IF;

  SELECT entry_id, currency, sum(amount) AS total INTO bad
  FROM ledger_new_postings GROUP BY entry_id, currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger entry % does not balance in %: postings sum to %', bad.entry_id, bad.currency, bad.total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;

  INSERT INTO ledger_accounts (name, currency, may_go_negative)
  SELECT DISTINCT account, currency, (account IN ('deposits', 'payouts') OR account LIKE 'clearing:%')
  FROM ledger_new_postings
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;

  -- Balance rows start at 0 (a CHECK is evaluated on the proposed row even when ON CONFLICT
  -- turns the insert into an update, so deltas cannot be upserted directly).
  INSERT INTO ledger_balances (account, currency, balance)
  SELECT DISTINCT account, currency, 0 FROM ledger_new_postings
  ORDER BY 1, 2
  ON CONFLICT DO NOTHING;

  PERFORM 1 FROM ledger_balances b
  WHERE (b.account, b.currency) IN (SELECT account, currency FROM ledger_new_postings)
  ORDER BY b.account, b.currency
  FOR UPDATE OF b;

  UPDATE ledger_balances b SET balance = b.balance + d.total
  FROM (SELECT account, currency, sum(amount) AS total FROM ledger_new_postings
        GROUP BY account, currency) d
  WHERE b.account = d.account AND b.currency = d.currency;

  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_postings_after_insert
AFTER INSERT ON ledger_postings
REFERENCING NEW TABLE AS ledger_new_postings
FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_after_insert();
--> statement-breakpoint

-- At commit, for every entry inserted in the transaction: it has postings and balances per
-- currency. Catches an entry whose postings never came (the statement trigger cannot).
CREATE FUNCTION ledger_entries_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  unbalanced boolean;
BEGIN
  SELECT count(*), coalesce(bool_or(s <> 0), false) INTO n, unbalanced
  FROM (SELECT sum(amount) AS s FROM ledger_postings WHERE entry_id = NEW.id GROUP BY currency) x;
  IF n = 0 THEN
    RAISE EXCEPTION 'ledger entry % (%) has no postings', NEW.id, NEW.idempotency_key
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  IF unbalanced THEN
    RAISE EXCEPTION 'ledger entry % (%) does not balance', NEW.id, NEW.idempotency_key
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_entries_balanced
AFTER INSERT ON ledger_entries
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION ledger_entries_check_balanced();
--> statement-breakpoint

-- Append-only: mistakes are corrected by reversing entries, never by editing rows.
CREATE FUNCTION ledger_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is not allowed: the ledger is append-only (post a reversing entry instead)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_append_only';
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
--> statement-breakpoint
CREATE TRIGGER ledger_postings_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_postings
FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_append_only
BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_accounts
FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
--> statement-breakpoint

-- Balances are written only by the postings trigger (trigger depth 1); any direct write is refused.
CREATE TRIGGER ledger_balances_derived
BEFORE INSERT OR UPDATE OR DELETE ON ledger_balances
FOR EACH STATEMENT WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_forbid_change();
--> statement-breakpoint
CREATE TRIGGER ledger_balances_no_truncate
BEFORE TRUNCATE ON ledger_balances
FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
