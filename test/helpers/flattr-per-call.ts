import { sql } from "drizzle-orm";
import { type Db, preparedRows } from "../../src/db/client.ts";
import {
  batchTokenStamps,
  byIndex,
  compareCalls,
  type FlattrCall,
  type OutcomeRow,
  periodFields,
} from "../../src/flattr/flattr-batch.ts";

/**
 * The batch statement before flattr_batch (docs/adr/0035), kept as the definition the set-based
 * batch is held to (test/db/flattr-batch-set.test.ts) and measured against (bench/api/pg-cost.ts):
 * flattr_request once per call, in flattrMany's order, the tokens stamped set-based.
 */
export async function flattrManyPerCall(
  db: Db,
  calls: FlattrCall[],
): Promise<(OutcomeRow | Error)[]> {
  const order = calls.map((c, i) => ({ c, i })).sort((a, b) => compareCalls(a.c, b.c) || a.i - b.i);
  const json = JSON.stringify(
    order.map(({ c, i }) => ({
      i,
      payer: c.payerId,
      app: c.appId,
      token_hash: c.tokenHash,
      token_stamp_before: c.tokenStampBefore?.toISOString() ?? null,
      scopes: c.scopes,
      thing: c.thingId,
      ...periodFields(c),
    })),
  );
  const [answer] = await preparedRows<{ results: string }>(
    db,
    "flattr_request_batch_per_call",
    sql`with r as materialized (
          select * from json_to_recordset(${json}::json) as r(
               i int4, payer int8, app int8, token_hash text, token_stamp_before timestamptz,
               scopes text[], thing int8,
               period text, now timestamptz, lock_class int4, period_key int4, currency text,
               rate_since timestamptz, rate_max int8, period_max int8)),
        ${batchTokenStamps}
        select coalesce(json_agg(json_build_object(
               'i', r.i, 'outcome', f.outcome, 'payer', f.payer_id::text,
               'id', f.flattr_id::text, 'thing_id', f.flattr_thing_id::text,
               'payer_id', f.flattr_payer_id::text, 'period', f.flattr_period,
               'created_at', f.flattr_created_at)), '[]')::text as results
        from r
        cross join lateral flattr_request(r.payer, r.app, r.token_hash, null, r.scopes, r.thing,
               r.period, r.now, r.lock_class, r.period_key, r.currency, r.rate_since,
               r.rate_max, r.period_max) f`,
  );
  return byIndex(calls.length, JSON.parse(answer?.results ?? "[]"), "no row for this flattr");
}
