-- The star of the Mastodon API (favourite = flattr, docs/adr/0019) in one call, so that a star
-- costs the REST API's flattr plus the read of its answer (docs/adr/0028). Appended to the
-- migrations after flattr-functions.sql by `npm run db:regen`.

-- What a status's star counts (favourites_count): active flattrs of every period, here and from
-- other servers, plus active plain favourites. One definition for every Status the API answers
-- (src/flattr/status-flattrs.ts starFacts) and for the star's own answer below. PL/pgSQL, not
-- SQL: a SQL function with subqueries is never inlined, and is then parsed and planned again on
-- every call (measured: starFacts' PostgreSQL CPU 0.05 -> 0.21 ms); PL/pgSQL keeps its plans.
-- `SET enable_seqscan = off` here and on favourite_request, as on the flattr functions (ADR
-- 0005, 0031): PL/pgSQL keeps the plan it made on its first calls, and made while `flattrs` was
-- empty and analyzed (a new instance, a new period's first flattrs, the benchmark's start) the
-- count is a sequential scan that reads the whole table on every star until an ANALYZE replans
-- it (measured: 0.29 ms per count at 4,000 flattrs, against 0.009 ms on the index). The clause
-- costs a call about 1 µs (20,000 calls of a trivial PL/pgSQL function: 0.2–0.3 against
-- 0.8–1.6 ms in all), not the 0.13 ms ADR 0028 measured (that figure was the growing scan).
-- "Active" is a FILTER, not part of the WHERE (docs/adr/0037): with `withdrawn_at IS NULL` in the
-- WHERE, every partial index on that predicate may serve the count, and on a table analyzed
-- while empty the planner's default guess (0.5 % of rows) makes them all look nearly empty; at a
-- few hundred rows it chose a whole scan of `flattrs_period_payer`, filtered on the thing, and
-- kept it for the connection's life (test/db/star-count-plan.test.ts). With only the thing in the
-- WHERE, the thing's own index is the one plan that does not read every row.
CREATE FUNCTION star_count(p_thing int8)
RETURNS int8
LANGUAGE plpgsql
STABLE
SET enable_seqscan = off
AS $$
BEGIN
  RETURN (SELECT count(*) FILTER (WHERE f.withdrawn_at IS NULL) FROM flattrs f
           WHERE f.thing_id = p_thing)
       + (SELECT count(*) FILTER (WHERE i.withdrawn_at IS NULL) FROM incoming_flattrs i
           WHERE i.thing_id = p_thing)
       + (SELECT count(*) FILTER (WHERE v.withdrawn_at IS NULL) FROM favourites v
           WHERE v.thing_id = p_thing);
END;
$$;
--> statement-breakpoint
-- A star asked for with an access token (p_token_hash: its SHA-256, a personal or OAuth token,
-- docs/adr/0008) on a status id: the token is looked up and stamped as flattr_request does it
-- (last_used_at at most once per p_token_stamp_before, or not at all when that is null: the
-- caller stamps; one of p_scopes; a user, not app-only),
-- then the status is read as its payer may read it, then flattr_request flattrs its thing for
-- the payer with the token's app, then the star count is read after the flattr (this function's
-- own statements see its writes; the calling statement's snapshot would not).
--
-- The visibility test is src/social/status-query.ts visibleTo() written for one status: change
-- both together (test/mastodon/star-fast-path.test.ts holds them to the same answers).
--
-- Outcomes: invalid_token, insufficient_scope, user_required (the token), status_not_found (no
-- such live status, or not one the payer may read), own_status (the payer wrote it), door (a
-- remote note, or a status without a thing: the caller takes the ordinary door, which resolves
-- the note's thing and checks its server's block; nothing was written but the token stamp), and
-- flattr_request's own (ok, already_flattred, and its refusals; nothing written on a refusal).
-- On ok and already_flattred, stars is the status's star count and the payer has favourited it.
CREATE FUNCTION favourite_request(
  p_token_hash text,
  p_token_stamp_before timestamptz,
  p_scopes text[],
  p_status int8,
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
  OUT app_id int8,
  OUT thing_id int8,
  OUT flattr_id int8,
  OUT stars int8
)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_token int8;
  v_may_flattr boolean;
  v_author int8;
  v_remote int8;
BEGIN
  SELECT t.id, t.user_id, t.app_id, t.scopes && p_scopes
    INTO v_token, payer_id, app_id, v_may_flattr
  FROM access_tokens t WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL;
  IF NOT FOUND THEN
    outcome := 'invalid_token';
    RETURN;
  END IF;
  -- A null cutoff: the caller stamps the token itself (a batch stamps its tokens set-based, as
  -- flattr_request's callers do, docs/adr/0025 and 0031).
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

  SELECT s.thing_id, s.user_id, s.remote_actor_id INTO thing_id, v_author, v_remote
  FROM statuses s
  WHERE s.id = p_status AND s.deleted_at IS NULL
    AND (s.visibility IN ('public', 'unlisted')
         OR s.user_id = payer_id
         OR EXISTS (SELECT 1 FROM status_mentions m
                     WHERE m.status_id = s.id AND m.user_id = payer_id)
         OR (s.visibility = 'private' AND EXISTS (
               SELECT 1 FROM following f
                WHERE f.user_id = payer_id AND f.accepted_at IS NOT NULL
                  AND (f.target_user_id = s.user_id OR f.remote_actor_id = s.remote_actor_id))));
  IF NOT FOUND THEN
    outcome := 'status_not_found';
    RETURN;
  END IF;
  IF v_author = payer_id THEN
    outcome := 'own_status';
    RETURN;
  END IF;
  IF v_remote IS NOT NULL OR thing_id IS NULL THEN
    outcome := 'door';
    RETURN;
  END IF;

  SELECT f.outcome, f.flattr_id INTO outcome, flattr_id
  FROM flattr_request(payer_id, app_id, NULL, NULL, p_scopes, thing_id, p_period, p_now,
                      p_lock_class, p_period_key, p_currency, p_rate_since, p_rate_max,
                      p_period_max) f;
  IF outcome IN ('ok', 'already_flattred') THEN
    stars := star_count(thing_id);
  END IF;
END;
$$;
--> statement-breakpoint
-- A star of favourite_batch between its first statement and its answers: the payer and app its
-- token resolved to, the status and its thing, and the outcome decided in the first statement
-- (null while the star is still in the running). An array of these is handed on as it is,
-- instead of JSON text the next statement would parse again (docs/adr/0039).
CREATE TYPE favourite_batch_call AS (
  i int4,
  payer int8,
  app int8,
  thing int8,
  status int8,
  outcome text
);
--> statement-breakpoint
-- A batch of stars (src/flattr/star-batch.ts starMany) decided set-based, as flattr_batch decides a
-- batch of flattrs (docs/adr/0035, 0038): favourite_request's checks and flattr_batch's thing
-- lookup for every call in one statement, then flattr_batch's decision (flattr_batch_decide) for
-- the stars still in the running, then the star counts after the flattrs. p_calls is a JSON
-- array of {i, token_hash, scopes, status, period, now, lock_class, period_key, currency,
-- rate_since, rate_max, period_max}; the answer is one row per
-- call (i, outcome, payer, app, thing, flattr, status, stars), each call's as favourite_request
-- would give it, rows rather than JSON so that the calling statement reads them without parsing
-- (docs/adr/0039). Tokens are not stamped here (the caller's statement stamps them, ADR 0031).
--
-- The visibility test is favourite_request's (src/social/status-query.ts visibleTo(), spelt for
-- one status): change the three together (test/mastodon/star-fast-path.test.ts).
-- Within the batch, every star's count is read after all of the batch's flattrs: the stars
-- commit together, and each answer shows the count they left.
CREATE FUNCTION favourite_batch(p_calls json)
RETURNS TABLE (i int4, outcome text, payer int8, app int8, thing int8, flattr int8,
               status int8, stars int8)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  v_calls favourite_batch_call[];
  v_flattrs flattr_batch_call[];
  v_flattred json;
BEGIN
  -- 1. Token (unrevoked, one of the scopes, a user), then the status as its payer may read it,
  -- then the payer's own post and the stars the ordinary door must take, as favourite_request.
  -- The same statement resolves the stars still in the running as flattr_batch's first
  -- statement resolves flattrs by payer id (with the token's app): their things, with
  -- flattr_thing's lookup (a live owner, not superseded), and their refusals thing_not_found and
  -- own_thing; they go to flattr_batch_decide in its order (payer, then token order) as they
  -- are, not as JSON it would parse again (docs/adr/0039). Change that lookup in both.
  SELECT array_agg(ROW(r.i, tok.user_id, tok.app_id, st.thing_id, r.status,
           d.outcome)::favourite_batch_call),
         array_agg(ROW(r.i, r.o, tok.user_id, tok.app_id,
           CASE WHEN th.owner_kind IS NULL THEN 'thing_not_found'
                WHEN th.owner_kind = 'local' AND th.owner_id = tok.user_id THEN 'own_thing' END,
           false, st.thing_id, th.owner_kind, th.remote_owner_id, r.period, r.now,
           r.lock_class, r.period_key, r.currency, r.rate_since, r.rate_max,
           r.period_max)::flattr_batch_call ORDER BY tok.user_id, r.o)
           FILTER (WHERE d.outcome IS NULL)
  INTO v_calls, v_flattrs
  FROM (SELECT r.*, row_number() OVER (ORDER BY r.token_hash, r.i)::int4 AS o
        FROM json_to_recordset(p_calls) AS r(
               i int4, token_hash text, scopes text[], status int8, period text,
               now timestamptz, lock_class int4, period_key int4, currency text,
               rate_since timestamptz, rate_max int8, period_max int8)) r
  LEFT JOIN LATERAL (
    SELECT t.user_id, t.app_id, t.scopes && r.scopes AS may_flattr
    FROM access_tokens t WHERE t.token_hash = r.token_hash AND t.revoked_at IS NULL
    LIMIT 1
  ) tok ON true
  LEFT JOIN LATERAL (
    SELECT true AS found, s.thing_id, s.user_id AS author, s.remote_actor_id
    FROM statuses s
    WHERE tok.may_flattr AND tok.user_id IS NOT NULL
      AND s.id = r.status AND s.deleted_at IS NULL
      AND (s.visibility IN ('public', 'unlisted')
           OR s.user_id = tok.user_id
           OR EXISTS (SELECT 1 FROM status_mentions m
                       WHERE m.status_id = s.id AND m.user_id = tok.user_id)
           OR (s.visibility = 'private' AND EXISTS (
                 SELECT 1 FROM following f
                  WHERE f.user_id = tok.user_id AND f.accepted_at IS NOT NULL
                    AND (f.target_user_id = s.user_id
                         OR f.remote_actor_id = s.remote_actor_id))))
    -- One row at most (the id is the key); the LIMIT keeps the planner from flattening the
    -- lateral into a hash join over every status (measured: 15.7 ms for 8 stars at 5,000).
    LIMIT 1
  ) st ON true
  CROSS JOIN LATERAL (
    SELECT CASE WHEN tok.may_flattr IS NULL THEN 'invalid_token'
                WHEN NOT tok.may_flattr THEN 'insufficient_scope'
                WHEN tok.user_id IS NULL THEN 'user_required'
                WHEN st.found IS NULL THEN 'status_not_found'
                WHEN st.author = tok.user_id THEN 'own_status'
                WHEN st.remote_actor_id IS NOT NULL OR st.thing_id IS NULL THEN 'door' END
             AS outcome
  ) d
  -- flattr_batch's thing lookup (src/db/sql/flattr-functions.sql), for the stars in the running.
  LEFT JOIN LATERAL (
    SELECT t.owner_kind, t.owner_id, t.remote_owner_id
    FROM things t LEFT JOIN users u ON u.id = t.owner_id
    WHERE d.outcome IS NULL AND t.id = st.thing_id AND u.deleted_at IS NULL
      AND t.superseded_by IS NULL
    LIMIT 1
  ) th ON true;

  -- 2. The stars still in the running flattr their things.
  IF v_flattrs IS NOT NULL THEN
    v_flattred := flattr_batch_decide(v_flattrs)->'results';
  END IF;

  -- 3. The answers, with the star count read after the flattrs (a later statement of this
  -- function: it sees this transaction's writes).
  RETURN QUERY
    SELECT c.i, x.outcome, c.payer, c.app, c.thing, f.id, c.status,
           CASE WHEN x.outcome IN ('ok', 'already_flattred') THEN star_count(c.thing) END
    FROM unnest(v_calls) c
    LEFT JOIN json_to_recordset(v_flattred) AS f(i int4, outcome text, id int8) ON f.i = c.i
    CROSS JOIN LATERAL (SELECT coalesce(c.outcome, f.outcome) AS outcome) x;
END;
$$;
