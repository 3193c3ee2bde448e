-- Custom SQL migration file, put your code below! --
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
-- flattrs keep their one commit (docs/adr/0009; flattr_batch writes the events of its set-based
-- path itself, in its insert statement).
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
--> statement-breakpoint

-- A call of flattr_batch as it travels between the batch's statements: the request, the payer and
-- app its token resolved to (or the caller's), the thing's owner (null: no such live thing), and
-- the outcome decided in the first statement (the token's refusals, thing_not_found, own_thing
-- of a local thing; null while the call is still in the running). o is the call's place in the
-- caller's order, which decides between two calls of one payer.
CREATE TYPE flattr_batch_call AS (
  i int4,
  o int4,
  payer int8,
  app int8,
  outcome text,
  by_token boolean,
  thing int8,
  owner_kind text,
  remote_owner int8,
  period text,
  now timestamptz,
  lock_class int4,
  period_key int4,
  currency text,
  rate_since timestamptz,
  rate_max int8,
  period_max int8
);
--> statement-breakpoint
-- A batch of flattrs (src/flattr/flattr-batch.ts flattrMany) decided set-based: a few statements
-- for the whole batch instead of flattr_request's ~10 per flattr (docs/adr/0035). p_calls is a
-- JSON array of {i, o, payer, app, token_hash, scopes, thing, period, now, lock_class,
-- period_key, currency, rate_since, rate_max, period_max}; the answer is
-- {"per_call": bool, "results": [{i, outcome, payer, id, thing_id, payer_id, period,
-- created_at}]}, each call's outcome exactly as flattr_request would give it. Tokens are not
-- stamped here (the caller's statement stamps them, ADR 0025).
--
-- The set-based path holds while every payer still in the running after the first statement
-- appears once and all of them share one period: then no call's outcome depends on another's
-- (limits, one flattr per thing and the budget lock are all per payer). Otherwise the batch runs
-- flattr_thing per call, in payer order (within a payer, the caller's order), as flattr_request
-- did: calls of one payer interact, and that loop is the definition.
--
-- The set-based path takes the locks flattr_thing takes, in the order it takes them and in
-- payer order, each read that must see what a lock waited for in a later statement (fresh
-- snapshot, ADR 0002): the link locks (shared, payers flattring remote things) THEN
-- linked_actors; the period's shared lock THEN closed_periods (flattr_period_gate); the budgets
-- FOR UPDATE THEN the limits, the insert and the outbox events in one statement.
CREATE FUNCTION flattr_batch(p_calls json)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_calls flattr_batch_call[];
BEGIN
  -- 1. The tokens (flattr_request's lookup: unrevoked, one of the scopes, a user) and the things
  -- (flattr_thing's: live owner, not superseded) of every call, in payer order.
  SELECT array_agg(ROW(r.i, r.o, x.payer, x.app,
           coalesce(x.token_outcome,
             CASE WHEN th.owner_kind IS NULL THEN 'thing_not_found'
                  WHEN th.owner_kind = 'local' AND th.owner_id = x.payer THEN 'own_thing' END),
           x.token_outcome IS NOT NULL, r.thing, th.owner_kind, th.remote_owner_id,
           r.period, r.now, r.lock_class, r.period_key, r.currency, r.rate_since, r.rate_max,
           r.period_max)::flattr_batch_call ORDER BY x.payer, r.o)
  INTO v_calls
  FROM json_to_recordset(p_calls) AS r(
         i int4, o int4, payer int8, app int8, token_hash text, scopes text[], thing int8,
         period text, now timestamptz, lock_class int4, period_key int4, currency text,
         rate_since timestamptz, rate_max int8, period_max int8)
  LEFT JOIN LATERAL (
    SELECT t.user_id, t.app_id, t.scopes && r.scopes AS may_flattr
    FROM access_tokens t
    WHERE r.token_hash IS NOT NULL AND t.token_hash = r.token_hash AND t.revoked_at IS NULL
    -- One row at most (the hash is a key); each LIMIT keeps its lateral a lookup per call: a
    -- flattened lateral can be planned as a hash join over the whole table (ADR 0038).
    LIMIT 1
  ) tok ON true
  CROSS JOIN LATERAL (
    SELECT
      CASE WHEN r.token_hash IS NULL THEN r.payer ELSE tok.user_id END AS payer,
      CASE WHEN r.token_hash IS NULL THEN r.app ELSE tok.app_id END AS app,
      CASE WHEN r.token_hash IS NULL THEN NULL
           WHEN tok.may_flattr IS NULL THEN 'invalid_token'
           WHEN NOT tok.may_flattr THEN 'insufficient_scope'
           WHEN tok.user_id IS NULL THEN 'user_required' END AS token_outcome
  ) x
  LEFT JOIN LATERAL (
    SELECT t.owner_kind, t.owner_id, t.remote_owner_id
    FROM things t LEFT JOIN users u ON u.id = t.owner_id
    WHERE x.token_outcome IS NULL AND t.id = r.thing AND u.deleted_at IS NULL
      AND t.superseded_by IS NULL
    LIMIT 1
  ) th ON true;

  RETURN flattr_batch_decide(v_calls);
END;
$$;
--> statement-breakpoint
-- Steps 2 to 6 of flattr_batch (above, and its comment): the calls as its first statement
-- resolved them (payer, app, thing and owner, the refusals decided so far), in payer order, and
-- within a payer in the caller's order. favourite_batch (star-functions.sql) hands its stars
-- straight to it, resolved by its own first statement, instead of as JSON that flattr_batch
-- would parse again (docs/adr/0039).
CREATE FUNCTION flattr_batch_decide(p_calls flattr_batch_call[])
RETURNS json
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_calls ALIAS FOR p_calls;
  v_set_based boolean;
  v_running int4;
  v_remote int4;
  v_period text;
  v_lock_class int4;
  v_period_key int4;
  v_currency text;
  v_linked int8[] := '{}';
  v_gate text;
  v_budgeted int8[] := '{}';
  v_results json;
  v_events int8;
  v_call flattr_batch_call;
  v_result json;
  v_out json[] := '{}';
  v_prev_payer int8;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'flattr_batch must run in READ COMMITTED (ADR 0002), not %',
      current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;

  -- 2. Set-based or per call (see flattr_batch). Null payers (a payer by id that is none) go
  -- per call.
  -- A loop of simple expressions, not a statement: the array is in payer order, so a repeated
  -- payer is next to itself, and a statement with its aggregates cost more to start than this.
  v_set_based := true;
  v_running := 0;
  v_remote := 0;
  FOREACH v_call IN ARRAY coalesce(v_calls, '{}') LOOP
    CONTINUE WHEN v_call.outcome IS NOT NULL;
    IF v_running = 0 THEN
      v_period := v_call.period;
      v_lock_class := v_call.lock_class;
      v_period_key := v_call.period_key;
      v_currency := v_call.currency;
    ELSIF v_call.payer IS NOT DISTINCT FROM v_prev_payer
        OR v_call.period IS DISTINCT FROM v_period
        OR v_call.lock_class IS DISTINCT FROM v_lock_class
        OR v_call.period_key IS DISTINCT FROM v_period_key
        OR v_call.currency IS DISTINCT FROM v_currency THEN
      v_set_based := false;
    END IF;
    IF v_call.payer IS NULL THEN
      v_set_based := false;
    END IF;
    v_prev_payer := v_call.payer;
    v_running := v_running + 1;
    IF v_call.owner_kind = 'remote' THEN
      v_remote := v_remote + 1;
    END IF;
  END LOOP;

  IF NOT v_set_based THEN
    -- Per call, in payer order, a statement each (a plain loop: a lateral call could not be kept
    -- from running for the calls a token refused): the token refusals stand (flattr_request
    -- returns before flattr_thing on them); every other call is flattr_thing's, which reads its
    -- thing again.
    FOREACH v_call IN ARRAY v_calls LOOP
      IF v_call.by_token THEN
        v_out := v_out || json_build_object('i', v_call.i, 'outcome', v_call.outcome,
                                            'payer', v_call.payer::text);
      ELSE
        SELECT json_build_object(
                 'i', v_call.i, 'outcome', f.outcome, 'payer', v_call.payer::text,
                 'id', f.flattr_id::text, 'thing_id', f.flattr_thing_id::text,
                 'payer_id', f.flattr_payer_id::text, 'period', f.flattr_period,
                 'created_at', f.flattr_created_at)
        INTO v_result
        FROM flattr_thing(v_call.payer, v_call.thing, v_call.period, v_call.now,
                          v_call.lock_class, v_call.period_key, v_call.currency,
                          v_call.rate_since, v_call.rate_max, v_call.period_max, v_call.app) f;
        v_out := v_out || v_result;
      END IF;
    END LOOP;
    RETURN json_build_object('per_call', true, 'results', array_to_json(v_out));
  END IF;

  IF v_remote > 0 THEN
    -- 3. Link locks in payer order, THEN linked_actors (a later statement: it sees a link that
    -- committed while a lock was awaited).
    PERFORM flattr_link_lock(s.payer, false)
    FROM (SELECT c.payer FROM unnest(v_calls) c
          WHERE c.outcome IS NULL AND c.owner_kind = 'remote' ORDER BY c.payer OFFSET 0) s;
    SELECT coalesce(array_agg(c.payer), '{}') INTO v_linked
    FROM unnest(v_calls) c
    WHERE c.outcome IS NULL AND c.owner_kind = 'remote'
      AND EXISTS (SELECT 1 FROM linked_actors l
                  WHERE l.remote_actor_id = c.remote_owner AND l.user_id = c.payer);
  END IF;

  IF v_running > cardinality(v_linked) THEN
    -- 4. The period gate (shared lock, THEN closed_periods), once for the batch's one period.
    v_gate := flattr_period_gate(v_lock_class, v_period_key, v_period);
    -- 5. The budgets FOR UPDATE, in payer order: each payer's flattrs are serialised, so the
    -- limits read in the next statement are exact.
    IF v_gate IS NULL THEN
      SELECT coalesce(array_agg(b.user_id) FILTER (WHERE b.currency = v_currency), '{}')
      INTO v_budgeted
      FROM (SELECT b.user_id, b.currency FROM budgets b
            WHERE b.user_id IN (SELECT c.payer FROM unnest(v_calls) c
                                WHERE c.outcome IS NULL AND c.payer <> ALL (v_linked))
            ORDER BY b.user_id FOR UPDATE) b;
    END IF;
  END IF;

  -- 6. Each call's outcome in flattr_thing's order of checks, the limits read for the calls
  -- still in the running, the ok rows inserted (the partial unique index decides races the
  -- budget lock does not cover) and the remote things' outbox events, in one statement.
  WITH c AS (
    SELECT c.*, CASE
        WHEN c.outcome IS NOT NULL THEN c.outcome
        WHEN c.payer = ANY (v_linked) THEN 'own_thing'
        WHEN v_gate IS NOT NULL THEN v_gate
        WHEN NOT c.payer = ANY (v_budgeted) THEN 'no_budget'
        WHEN l.same > 0 THEN 'already_flattred'
        WHEN l.recent >= c.rate_max THEN 'rate_limited'
        WHEN l.in_period >= c.period_max THEN 'period_limit'
      END AS refusal
    FROM unnest(v_calls) c
    LEFT JOIN LATERAL (
      SELECT
        count(*) FILTER (WHERE f.thing_id = c.thing AND f.period = c.period
                         AND f.withdrawn_at IS NULL) AS same,
        count(*) FILTER (WHERE f.created_at > c.rate_since) AS recent,
        count(*) FILTER (WHERE f.period = c.period AND f.withdrawn_at IS NULL) AS in_period
      FROM flattrs f
      WHERE c.outcome IS NULL AND c.payer = ANY (v_budgeted) AND f.payer_id = c.payer
        AND (f.period = c.period OR f.created_at > c.rate_since)
    ) l ON true
  ),
  ins AS (
    INSERT INTO flattrs AS f (thing_id, payer_id, period, created_at, app_id)
    SELECT c.thing, c.payer, c.period, c.now, c.app FROM c WHERE c.refusal IS NULL
    ORDER BY c.payer
    ON CONFLICT (thing_id, payer_id, period) WHERE withdrawn_at IS NULL DO NOTHING
    RETURNING f.id, f.thing_id, f.payer_id, f.period, f.created_at
  ),
  ev AS (
    INSERT INTO outbox_events (kind, flattr_id)
    SELECT 'like', ins.id FROM ins JOIN c ON c.payer = ins.payer_id
    WHERE c.refusal IS NULL AND c.owner_kind = 'remote'
    ORDER BY ins.id
    RETURNING 1
  )
  SELECT json_agg(json_build_object(
           'i', c.i,
           'outcome', CASE WHEN c.refusal IS NOT NULL THEN c.refusal
                           WHEN ins.id IS NULL THEN 'already_flattred' ELSE 'ok' END,
           'payer', c.payer::text, 'id', ins.id::text, 'thing_id', ins.thing_id::text,
           'payer_id', ins.payer_id::text, 'period', ins.period, 'created_at', ins.created_at)),
         (SELECT count(*) FROM ev)
  INTO v_results, v_events
  FROM c LEFT JOIN ins ON c.refusal IS NULL AND ins.payer_id = c.payer;
  IF v_events > 0 THEN
    -- Wakes the relay when this transaction commits.
    PERFORM pg_notify('fediflattr_outbox_events', '');
  END IF;
  RETURN json_build_object('per_call', false, 'results', coalesce(v_results, '[]'));
END;
$$;
