import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";

/*
 * The summary benchmark's baseline: the rows applying a summary writes on the creators' side —
 * one settlement entry (with its payload hash, as src/ledger/payload.ts defines it) whose
 * postings are earnings:<creator> +amount for every creator and clearing:<peer> −total — as ONE
 * raw INSERT … SELECT, from a staging table that already holds each creator's amount. No
 * fetching, no checks, no hashing of lines. Written on its own (not with summaries/process.ts).
 * Its counter-posting goes to BASELINE_CLEARING, not the peer's clearing account, so that the
 * ledger check can still compare the peer's clearing balance with the accepted summaries; the
 * check's one complaint about BASELINE_CLEARING (no records behind it) is expected.
 * The ledger's triggers run as for any insert: that cost belongs to "writing these rows".
 */

/** A clearing account of no peer: the baseline's counter-postings. */
export const BASELINE_CLEARING = "clearing:baseline.invalid";

/**
 * Copies each creator's amount for `period` from A's shares into B's staging table (not
 * measured): creator actor ids on A are B's users by username.
 */
export async function stageBaseline(dbB: Db, dbA: Db, period: string): Promise<void> {
  const rows = await queryRows<{ u: string; amount: string }>(
    dbA,
    sql`select substring(a.uri from '/users/([^/]+)$') as u, sum(s.amount)::text as amount
        from remote_shares s join remote_actors a on a.id = s.remote_actor_id
        where s.period = ${period} and s.route = 'peer'
        group by a.uri`,
  );
  await dbB.execute(
    sql`create table if not exists bench_summary_baseline (
          period text not null, user_id int8 not null, amount int8 not null)`,
  );
  for (let i = 0; i < rows.length; i += 20_000)
    await dbB.execute(
      sql`insert into bench_summary_baseline (period, user_id, amount)
          select ${period}, u.id, r.amount::int8
          from json_to_recordset(${JSON.stringify(rows.slice(i, i + 20_000))}::json)
               as r(u text, amount text)
          join users u on u.username = r.u`,
    );
  await dbB.execute(sql`analyze bench_summary_baseline`);
}

/** The raw insert of period's entry and postings; returns the postings written. */
export async function rawSettlementInsert(
  db: Db,
  period: string,
  currency: string,
): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    db,
    sql`with lines as (
          select 'earnings:' || user_id as account, amount from bench_summary_baseline
          where period = ${period}
          union all
          select ${BASELINE_CLEARING}::text,
                 -(select sum(amount) from bench_summary_baseline where period = ${period})::int8),
        hashed as (
          select encode(sha256(convert_to(
            '{"kind":"settlement","metadata":{"summary":"baseline"},"period":"' || ${period}::text
            || '","postings":['
            || string_agg('["' || account || '","' || ${currency}::text || '","' || amount || '"]',
                          ',' order by account collate "C")
            || '],"reverses":null}', 'UTF8')), 'hex') as hash
          from lines),
        entry as (
          insert into ledger_entries (idempotency_key, kind, period, metadata, payload_hash)
          select ${`bench-baseline:${period}`}, 'settlement', ${period},
                 '{"summary":"baseline"}'::jsonb, hash
          from hashed
          returning id),
        postings as (
          insert into ledger_postings (entry_id, account, currency, amount)
          select entry.id, lines.account, ${currency}, lines.amount from entry, lines
          returning 1)
        select count(*)::text as n from postings`,
  );
  return Number(row?.n ?? 0);
}
