-- The flattr and unflattr rules (src/flattr/flattr.ts) as one PL/pgSQL call each: a flattr is one
-- round trip instead of eight statements in an explicit transaction. Appended to the migrations by
-- `npm run db:regen` as a custom drizzle-kit migration; statements are separated by drizzle's
-- breakpoint marker because the migrator runs them one by one.
--
-- The close-vs-flattr protocol (docs/adr/0002-close-vs-flattr-race.md) holds unchanged: the
-- shared advisory lock of the period is taken, THEN closed_periods is read. These functions are
-- VOLATILE, and in READ COMMITTED a VOLATILE function takes a fresh snapshot for each statement it
-- runs (PostgreSQL docs, "Function Volatility Categories"), so the check after the lock sees a
-- seal committed while it waited. Under REPEATABLE READ / SERIALIZABLE the transaction's snapshot
-- would be used instead and the check could miss the seal: the functions refuse to run there.
--
-- Refusals are returned as an outcome code, never raised, so that TypeScript maps them to the same
-- FlattrError codes and messages as before, and a caller's transaction is not aborted by them.
-- Nothing is written on a refusal. The lock class and key come from src/flattr/period-lock.ts
-- (the same values lockPeriodExclusive uses for the seal).
--
-- Both functions run with enable_seqscan off. Every statement in them is a lookup by key that an
-- index serves, and PL/pgSQL keeps each statement's plan for the session: planned while flattrs
-- was still small (a new instance, a fresh period of tests or benchmarks), the per-payer count
-- became a sequential scan and stayed one until autovacuum's next ANALYZE, which made every flattr
-- read the whole table (measured: 11 million rows read for 4,000 flattrs).

-- The period half of the protocol, shared by flattr_thing and unflattr_thing: take the shared
-- advisory lock (no close can seal the period until this transaction ends), THEN read
-- closed_periods; the read's fresh snapshot sees any seal that committed while the lock was
-- awaited. Returns null while the period is open, else period_being_closed / period_closed.
CREATE FUNCTION flattr_period_gate(p_lock_class int4, p_period_key int4, p_period text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  v_closed boolean;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(p_lock_class, p_period_key);
  SELECT c.closed_at IS NOT NULL INTO v_closed FROM closed_periods c WHERE c.period = p_period;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN CASE WHEN v_closed THEN 'period_closed' ELSE 'period_being_closed' END;
END;
$$;
--> statement-breakpoint
-- The link lock of a user: flattr_thing holds it SHARED while it checks linked_actors for a
-- flattr of a remote thing, linkRemoteActor (src/flattr/linked-actors.ts) EXCLUSIVE while it
-- links an account and withdraws the user's flattrs of it. Either the flattr commits first and
-- the link's withdrawal (a later statement, fresh snapshot) sees it, or the flattr waits for the
-- link and its check sees the link: an own flattr never slips between the two. One definition
-- of the key for both sides; its class "flnk" never meets the period locks' "fper".
CREATE FUNCTION flattr_link_lock(p_user int8, p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $$
BEGIN
  IF p_exclusive THEN
    PERFORM pg_advisory_xact_lock(x'666c6e6b'::int4, (p_user % 2147483647)::int4);
  ELSE
    PERFORM pg_advisory_xact_lock_shared(x'666c6e6b'::int4, (p_user % 2147483647)::int4);
  END IF;
END;
$$;
--> statement-breakpoint
-- Outcomes: ok, thing_not_found, own_thing, period_being_closed, period_closed, no_budget,
-- already_flattred, rate_limited, period_limit. On ok the flattr_* columns are the new row.
-- p_app_id is the OAuth app that asked for the flattr (a star in a Mastodon app), or null; it is
-- written with the flattr so that "what each app flattred" costs no second statement.
-- A flattr of a remote thing also writes its typed outbox event (outbox_events, kind like) in
-- the same statement, so the relay sends its `Like` exactly if the flattr commits, and batched
-- flattrs (flattr_request in a batch) keep their one commit (docs/adr/0009).
CREATE FUNCTION flattr_thing(
  p_payer int8,
  p_thing int8,
  p_period text,
  p_now timestamptz,
  p_lock_class int4,
  p_period_key int4,
  p_currency text,
  p_rate_since timestamptz,
  p_rate_max int8,
  p_period_max int8,
  p_app_id int8,
  OUT outcome text,
  OUT flattr_id int8,
  OUT flattr_thing_id int8,
  OUT flattr_payer_id int8,
  OUT flattr_period text,
  OUT flattr_created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_owner_kind text;
  v_owner_id int8;
  v_remote_owner int8;
  v_currency text;
  v_same int8;
  v_recent int8;
  v_in_period int8;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'flattr_thing must run in READ COMMITTED (ADR 0002), not %',
      current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;

  -- A thing of a deleted account (users.deleted_at), or one whose URL its verified owner took
  -- over (things.superseded_by), is gone for new flattrs.
  SELECT t.owner_kind, t.owner_id, t.remote_owner_id INTO v_owner_kind, v_owner_id, v_remote_owner
  FROM things t LEFT JOIN users u ON u.id = t.owner_id
  WHERE t.id = p_thing AND u.deleted_at IS NULL AND t.superseded_by IS NULL;
  IF NOT FOUND THEN
    outcome := 'thing_not_found';
    RETURN;
  END IF;
  IF v_owner_kind = 'local' AND v_owner_id = p_payer THEN
    outcome := 'own_thing';
    RETURN;
  END IF;
  IF v_owner_kind = 'remote' THEN
    -- A remote account the payer linked to themselves (a verified claim) is their own. The link
    -- lock comes before the period lock here and in linkRemoteActor, so the two never wait for
    -- each other in opposite orders behind a close queued on the period.
    PERFORM flattr_link_lock(p_payer, false);
    PERFORM 1 FROM linked_actors l
    WHERE l.remote_actor_id = v_remote_owner AND l.user_id = p_payer;
    IF FOUND THEN
      outcome := 'own_thing';
      RETURN;
    END IF;
  END IF;

  outcome := flattr_period_gate(p_lock_class, p_period_key, p_period);
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;

  -- The budget row lock serialises one payer's flattrs, so the limits below are exact.
  SELECT b.currency INTO v_currency FROM budgets b WHERE b.user_id = p_payer FOR UPDATE;
  IF NOT FOUND OR v_currency <> p_currency THEN
    outcome := 'no_budget';
    RETURN;
  END IF;

  SELECT
    count(*) FILTER (WHERE f.thing_id = p_thing AND f.period = p_period
                     AND f.withdrawn_at IS NULL),
    count(*) FILTER (WHERE f.created_at > p_rate_since),
    count(*) FILTER (WHERE f.period = p_period AND f.withdrawn_at IS NULL)
  INTO v_same, v_recent, v_in_period
  FROM flattrs f
  WHERE f.payer_id = p_payer
    AND (f.period = p_period OR f.created_at > p_rate_since);
  IF v_same > 0 THEN
    outcome := 'already_flattred';
    RETURN;
  END IF;
  IF v_recent >= p_rate_max THEN
    outcome := 'rate_limited';
    RETURN;
  END IF;
  IF v_in_period >= p_period_max THEN
    outcome := 'period_limit';
    RETURN;
  END IF;

  -- The partial unique index decides races the lock above does not cover.
  INSERT INTO flattrs AS f (thing_id, payer_id, period, created_at, app_id)
  VALUES (p_thing, p_payer, p_period, p_now, p_app_id)
  ON CONFLICT (thing_id, payer_id, period) WHERE withdrawn_at IS NULL DO NOTHING
  RETURNING f.id, f.thing_id, f.payer_id, f.period, f.created_at
  INTO flattr_id, flattr_thing_id, flattr_payer_id, flattr_period, flattr_created_at;
  outcome := CASE WHEN FOUND THEN 'ok' ELSE 'already_flattred' END;
  IF outcome = 'ok' AND v_owner_kind = 'remote' THEN
    INSERT INTO outbox_events (kind, flattr_id) VALUES ('like', flattr_id);
    -- Wakes the relay when this transaction commits (several in one transaction are one).
    PERFORM pg_notify('fediflattr_outbox_events', '');
  END IF;
END;
$$;
--> statement-breakpoint

-- A flattr as the app asks for one: flattr_thing for a payer given by id (with the app, if any,
-- the caller already knows), or by an access token (p_token_hash, its SHA-256 as
-- src/accounts/tokens.ts stores it: a personal access token or an OAuth token, ADR 0008), which
-- is then looked up, stamped (last_used_at, at most once per p_token_stamp_before; not at all when
-- that is null, for a caller that stamps its tokens itself), must hold one
-- of p_scopes (the scopes that may flattr, src/accounts/oauth/scopes.ts FLATTR_SCOPES) and act
-- for a user (an app-only token does not), and whose app the flattr records — all in the same
-- statement: an API flattr is one round trip and one commit whatever the token (docs/adr/0005).
-- Outcomes are flattr_thing's plus invalid_token, insufficient_scope and user_required; payer_id
-- is whom the flattr is for.
CREATE FUNCTION flattr_request(
  p_payer int8,
  p_app_id int8,
  p_token_hash text,
  p_token_stamp_before timestamptz,
  p_scopes text[],
  p_thing int8,
  p_period text,
  p_now timestamptz,
  p_lock_class int4,
  p_period_key int4,
  p_currency text,
  p_rate_since timestamptz,
  p_rate_max int8,
  p_period_max int8,
  OUT outcome text,
  OUT payer_id int8,
  OUT flattr_id int8,
  OUT flattr_thing_id int8,
  OUT flattr_payer_id int8,
  OUT flattr_period text,
  OUT flattr_created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_token int8;
  v_may_flattr boolean;
  v_app int8;
BEGIN
  payer_id := p_payer;
  v_app := p_app_id;
  IF p_token_hash IS NOT NULL THEN
    SELECT t.id, t.user_id, t.app_id, t.scopes && p_scopes
      INTO v_token, payer_id, v_app, v_may_flattr
    FROM access_tokens t WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL;
    IF NOT FOUND THEN
      outcome := 'invalid_token';
      RETURN;
    END IF;
    -- A null cutoff: the caller stamps the token itself (a batch stamps its tokens set-based).
    IF p_token_stamp_before IS NOT NULL THEN
      UPDATE access_tokens t SET last_used_at = p_now
      WHERE t.id = v_token AND t.revoked_at IS NULL
        AND (t.last_used_at IS NULL OR t.last_used_at <= p_token_stamp_before);
    END IF;
    IF NOT v_may_flattr THEN
      outcome := 'insufficient_scope';
      RETURN;
    END IF;
    IF payer_id IS NULL THEN
      outcome := 'user_required';
      RETURN;
    END IF;
  END IF;

  SELECT f.outcome, f.flattr_id, f.flattr_thing_id, f.flattr_payer_id, f.flattr_period,
         f.flattr_created_at
  INTO outcome, flattr_id, flattr_thing_id, flattr_payer_id, flattr_period, flattr_created_at
  FROM flattr_thing(payer_id, p_thing, p_period, p_now, p_lock_class, p_period_key, p_currency,
                    p_rate_since, p_rate_max, p_period_max, v_app) f;
END;
$$;
--> statement-breakpoint

-- Outcomes: ok, thing_not_found, period_being_closed, period_closed, not_flattred. On ok the
-- flattr_* columns are the withdrawn row. Withdrawing a flattr of a remote thing writes its
-- outbox event (kind undo) in the same statement, as flattr_thing does for the `Like`.
CREATE FUNCTION unflattr_thing(
  p_payer int8,
  p_thing int8,
  p_period text,
  p_now timestamptz,
  p_lock_class int4,
  p_period_key int4,
  OUT outcome text,
  OUT flattr_id int8,
  OUT flattr_thing_id int8,
  OUT flattr_payer_id int8,
  OUT flattr_period text,
  OUT flattr_created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_owner_kind text;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'unflattr_thing must run in READ COMMITTED (ADR 0002), not %',
      current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;

  SELECT t.owner_kind INTO v_owner_kind FROM things t WHERE t.id = p_thing;
  IF NOT FOUND THEN
    outcome := 'thing_not_found';
    RETURN;
  END IF;

  outcome := flattr_period_gate(p_lock_class, p_period_key, p_period);
  IF outcome IS NOT NULL THEN
    RETURN;
  END IF;

  UPDATE flattrs AS f SET withdrawn_at = p_now, withdrawn_reason = 'unflattr'
  WHERE f.thing_id = p_thing AND f.payer_id = p_payer AND f.period = p_period
    AND f.withdrawn_at IS NULL
  RETURNING f.id, f.thing_id, f.payer_id, f.period, f.created_at
  INTO flattr_id, flattr_thing_id, flattr_payer_id, flattr_period, flattr_created_at;
  outcome := CASE WHEN FOUND THEN 'ok' ELSE 'not_flattred' END;
  IF outcome = 'ok' AND v_owner_kind = 'remote' THEN
    INSERT INTO outbox_events (kind, flattr_id) VALUES ('undo', flattr_id);
    PERFORM pg_notify('fediflattr_outbox_events', '');
  END IF;
END;
$$;
