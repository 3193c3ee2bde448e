import { sql } from "drizzle-orm";
import { type Db, preparedRows } from "../../src/db/client.ts";
import { batchTokenStamps, byIndex } from "../../src/flattr/flattr-batch.ts";
import { type StarCall, type StarRow, starCallsJson } from "../../src/flattr/star-batch.ts";

/*
 * The star batch as ADR 0038 left it, for bench/mastodon/pg-cost.ts's "star (ADR 0038)" session:
 * favourite_batch answering JSON that the calling statement parsed again, each of its steps
 * handing the calls to the next as JSON text (docs/adr/0039 replaced both). The session creates
 * the function on its own copy of the data as favourite_batch_0038.
 */

export const FAVOURITE_BATCH_0038 = `CREATE OR REPLACE FUNCTION favourite_batch_0038(p_calls json)
RETURNS json
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
AS $$
DECLARE
  v_calls json;
  v_flattrs json;
  v_flattred json;
BEGIN
  -- 1. Token (unrevoked, one of the scopes, a user), then the status as its payer may read it,
  -- then the payer's own post and the stars the ordinary door must take, as favourite_request.
  SELECT json_agg(row_to_json(c)) INTO v_calls FROM (
    SELECT r.i, row_number() OVER (ORDER BY r.token_hash, r.i) AS o,
           tok.user_id AS payer, tok.app_id AS app, st.thing_id AS thing,
           CASE WHEN tok.may_flattr IS NULL THEN 'invalid_token'
                WHEN NOT tok.may_flattr THEN 'insufficient_scope'
                WHEN tok.user_id IS NULL THEN 'user_required'
                WHEN st.found IS NULL THEN 'status_not_found'
                WHEN st.author = tok.user_id THEN 'own_status'
                WHEN st.remote_actor_id IS NOT NULL OR st.thing_id IS NULL THEN 'door' END
             AS outcome,
           NULL::text AS token_hash, r.scopes, r.period, r.now, r.lock_class, r.period_key,
           r.currency, r.rate_since, r.rate_max, r.period_max
    FROM json_to_recordset(p_calls) AS r(
           i int4, token_hash text, scopes text[], status int8, period text, now timestamptz,
           lock_class int4, period_key int4, currency text, rate_since timestamptz,
           rate_max int8, period_max int8)
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
  ) c;

  -- 2. The stars still in the running flattr their things, by payer id with the token's app.
  SELECT json_agg(c ORDER BY (c->>'o')::int4) INTO v_flattrs
  FROM json_array_elements(v_calls) c WHERE c->>'outcome' IS NULL;
  IF v_flattrs IS NOT NULL THEN
    v_flattred := flattr_batch(v_flattrs)->'results';
  END IF;

  -- 3. The answers, with the star count read after the flattrs (a later statement of this
  -- function: it sees this transaction's writes).
  RETURN (
    SELECT coalesce(json_agg(json_build_object(
             'i', c.i, 'outcome', x.outcome, 'payer', c.payer, 'app', c.app, 'thing', c.thing,
             'flattr', f.id,
             'stars', CASE WHEN x.outcome IN ('ok', 'already_flattred')
                           THEN star_count(c.thing) END)), '[]')
    FROM json_to_recordset(v_calls) AS c(i int4, outcome text, payer int8, app int8, thing int8)
    LEFT JOIN json_to_recordset(v_flattred) AS f(i int4, outcome text, id int8) ON f.i = c.i
    CROSS JOIN LATERAL (SELECT coalesce(c.outcome, f.outcome) AS outcome) x);
END;
$$;
`;

/** The Status of a star as ADR 0038 read it (src/social/*.ts at the time). */
const STATUS_0038 = sql.raw(`select s.id::text as id, s.uri, s.url, s.user_id::text as user_id,
               s.remote_actor_id::text as remote_actor_id, u.username, u.display_name, u.bio,
               u.created_at as user_created_at, ra.handle, ra.name as remote_name,
               ra.url as remote_url, ra.uri as remote_uri, ra.type as remote_type, ra.icon_url,
               ra.summary_html, (ra.id >> 16)::text as remote_created_at,
               ra.followers_count, ra.following_count, ra.statuses_count,
               s.content_html, s.content_source, s.summary, s.in_reply_to_uri,
               s.in_reply_to_id::text as in_reply_to_id, p.user_id::text as parent_user_id,
               p.remote_actor_id::text as parent_remote_actor_id, s.visibility, s.published_at,
               s.edited_at, s.deleted_at, s.thing_id::text as thing_id,
               (select count(*) from statuses c
                 where c.in_reply_to_uri = s.uri and c.deleted_at is null)::text as replies_count, (select coalesce(json_agg(json_build_object(
             'user_id', m.user_id::text, 'username', u.username,
             'remote_actor_id', ra.id::text, 'handle', ra.handle, 'url', ra.url,
             'uri', m.actor_uri) order by m.actor_uri), '[]')
        from status_mentions m
        left join users u on u.id = m.user_id
        left join remote_actors ra on ra.uri = m.actor_uri
       where m.status_id = s.id and (u.id is not null or ra.id is not null)) as mentions,
               (select count(*) from followers where user_id = s.user_id)::text as followers,
          (select count(*) from following
            where user_id = s.user_id and accepted_at is not null)::text as following,
          (select count(*) from statuses
            where user_id = s.user_id and deleted_at is null)::text as statuses,
          (select (extract(epoch from max(published_at)) * 1000)::int8::text from statuses
            where user_id = s.user_id and deleted_at is null) as last_status_at
          from statuses s
          left join users u on u.id = s.user_id
          left join remote_actors ra on ra.id = s.remote_actor_id
          left join statuses p on p.id = s.in_reply_to_id`);

export async function starMany0038(db: Db, calls: StarCall[]): Promise<(StarRow | Error)[]> {
  const json = starCallsJson(calls);
  const [answer] = await preparedRows<{ results: string }>(
    db,
    "favourite_batch_0038",
    sql`with p as materialized (select ${json}::json as calls),
          r as materialized (
            select r.* from p cross join json_to_recordset(p.calls) as r(
                 i int4, token_hash text, token_stamp_before timestamptz, now timestamptz,
                 status int8)),
          ${batchTokenStamps},
          b as materialized (select favourite_batch_0038(p.calls) as answer from p)
          select coalesce(json_agg(json_build_object(
                 'i', f.i, 'outcome', f.outcome, 'payer', f.payer::text,
                 'app', f.app::text, 'stars', f.stars::text,
                 'status', (select row_to_json(x) from (
        ${STATUS_0038}
         where s.id = r.status and f.outcome in ('ok', 'already_flattred')) x))), '[]')::text
                 as results
          from b cross join json_to_recordset(b.answer) as f(
                 i int4, outcome text, payer int8, app int8, stars int8)
          join r on r.i = f.i`,
  );
  return byIndex(calls.length, JSON.parse(answer?.results ?? "[]"), "no row for this star");
}
