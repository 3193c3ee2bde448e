import { sql } from "drizzle-orm";
import { type Db, preparedRows } from "../../src/db/client.ts";
import { batchTokenStamps, byIndex } from "../../src/flattr/flattr-batch.ts";
import { type StarCall, starCallsJson } from "../../src/flattr/star-batch.ts";

/** What favourite_request answers per call, without the Status (the batch reads it the same way). */
export interface StarOutcome {
  i: number;
  outcome: string;
  payer: string | null;
  app: string | null;
  stars: string | null;
}

/**
 * The star batch before favourite_batch (docs/adr/0038), kept as the definition the set-based
 * batch is held to (test/db/star-batch-set.test.ts) and measured against
 * (bench/mastodon/pg-cost.ts): favourite_request once per call, in token order, the tokens
 * stamped set-based.
 */
export async function starManyPerCall(db: Db, calls: StarCall[]): Promise<(StarOutcome | Error)[]> {
  const json = starCallsJson(calls);
  const [answer] = await preparedRows<{ results: string }>(
    db,
    "favourite_request_batch_per_call",
    sql`with r as materialized (
          select * from json_to_recordset(${json}::json) as r(
               i int4, token_hash text, token_stamp_before timestamptz, scopes text[],
               status int8, period text, now timestamptz, lock_class int4, period_key int4,
               currency text, rate_since timestamptz, rate_max int8, period_max int8)),
        ${batchTokenStamps}
        select coalesce(json_agg(json_build_object(
               'i', r.i, 'outcome', f.outcome, 'payer', f.payer_id::text,
               'app', f.app_id::text, 'stars', f.stars::text)), '[]')::text as results
        from r
        cross join lateral favourite_request(r.token_hash, null, r.scopes,
               r.status, r.period, r.now, r.lock_class, r.period_key, r.currency,
               r.rate_since, r.rate_max, r.period_max) f`,
  );
  return byIndex(calls.length, JSON.parse(answer?.results ?? "[]"), "no row for this star");
}
