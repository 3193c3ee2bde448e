-- Custom SQL migration file, put your code below! --
-- Ledger integrity in the database (see src/db/schema/ledger.ts). Appended to the migrations by
-- `npm run db:regen` as a custom drizzle-kit migration: drizzle-kit does not generate triggers.
-- Statements are separated by drizzle's breakpoint marker because the migrator runs them one by one.

-- After every INSERT into ledger_postings, once per statement, over all rows it inserted
-- (set-based, so a million-posting close costs a few joins, not a million trigger calls):
--  1. every posting belongs to an entry created in this same transaction: entries cannot grow
--     after they are committed (their balance is checked at commit, ledger_entries_balanced);
--  2. balances are added up per account; an account's first posting creates its ledger_accounts
--     and ledger_balances rows. The CHECK ledger_balances_non_negative aborts the whole
--     statement on an overdraft. Concurrent debits of one account wait for each other's row
--     lock and then add to the committed balance, so the check holds under concurrency.
CREATE FUNCTION ledger_postings_after_insert() RETURNS trigger
LANGUAGE plpgsql
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
  bad record;
  updated bigint;
  expected bigint;
BEGIN
  SELECT n.entry_id, e.id IS NULL AS missing INTO bad
  FROM (SELECT DISTINCT entry_id FROM ledger_new_postings) n
  LEFT JOIN ledger_entries e ON e.id = n.entry_id
  WHERE e.id IS NULL OR e.created_txid <> pg_current_xact_id()::text::bigint
  LIMIT 1;
  IF FOUND THEN
    IF bad.missing THEN
      RAISE EXCEPTION 'ledger posting for entry % which does not exist', bad.entry_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_postings_entry_exists';
    END IF;
    RAISE EXCEPTION 'ledger entry % was committed before: postings can only be added in the transaction that creates the entry', bad.entry_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_immutable';
  END IF;

  -- An account's first posting creates its balance row at 0 and its ledger_accounts row. (Not
  -- an upsert of the delta: a CHECK is evaluated on the proposed row of INSERT … ON CONFLICT
  -- even when it becomes an update.) DO NOTHING waits for a concurrent creator, so after this
  -- statement every balance row this statement needs is committed or ours.
  WITH created AS (
    INSERT INTO ledger_balances (account, currency, balance)
    SELECT d.account, d.currency, 0
    FROM (SELECT DISTINCT account, currency FROM ledger_new_postings ORDER BY 1, 2) d
    WHERE NOT EXISTS (SELECT 1 FROM ledger_balances b
                      WHERE b.account = d.account AND b.currency = d.currency)
    ON CONFLICT DO NOTHING
    RETURNING account, currency
  )
  INSERT INTO ledger_accounts (name, currency, may_go_negative)
  SELECT account, currency, (account IN ('deposits', 'payouts') OR account LIKE 'clearing:%')
  FROM created
  ON CONFLICT DO NOTHING;

  -- Balances are updated in (account, currency) order, so concurrent statements lock the rows
  -- they share in the same order and cannot deadlock (nested loops keep the order of d; see the
  -- SET clauses above). Every account of the statement must be updated exactly once.
  WITH d AS MATERIALIZED (
    SELECT account, currency, sum(amount) AS total FROM ledger_new_postings
    GROUP BY account, currency ORDER BY account, currency
  ), u AS (
    UPDATE ledger_balances b SET balance = b.balance + d.total
    FROM d WHERE b.account = d.account AND b.currency = d.currency
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM d) INTO updated, expected;
  IF updated <> expected THEN
    -- Never lose a delta silently.
    RAISE EXCEPTION 'ledger: updated % balances but the statement touched % accounts', updated, expected
      USING ERRCODE = 'internal_error';
  END IF;

  RETURN NULL;
END $$;
--> statement-breakpoint
-- Room on each page for HOT updates: a balance changes on every posting, its key never.
ALTER TABLE ledger_balances SET (fillfactor = 50);
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
