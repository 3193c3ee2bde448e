/*
 * flattr_batch as ADR 0035 left it, in one function, for bench/mastodon/pg-cost.ts's variant
 * "REST flattr: flattr_batch in one function": ADR 0039 split it after its first statement into
 * flattr_batch(json) and flattr_batch_decide(flattr_batch_call[]), one PL/pgSQL call more per REST
 * batch; this measures what that call costs.
 */
export const FLATTR_BATCH_0035 = `CREATE OR REPLACE FUNCTION flattr_batch(p_calls json)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_calls flattr_batch_call[];
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

  -- 2. Set-based or per call (see above). Null payers (a payer by id that is none) go per call.
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
$$;`;
