import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";
import { CURRENCY, FEE_BP, PERIOD } from "./seed.ts";

/*
 * The baseline: the same ledger rows the close posts — one entry per paying payer keyed
 * close:<P>:<user> with the same metadata and payload hash, postings wallet −amount, fees +fee,
 * earnings:<creator> +Σ shares per creator — written as ONE raw INSERT … SELECT in one
 * transaction: no seal, no batches, no claims in close_payers, no row locks. Written on its own
 * (not with settlement/shares.ts) so the totals check compares two independent computations.
 * The ledger's triggers run as for any insert: that cost belongs to "writing these rows".
 * JIT is off for it, as in the close's batches: the planner misjudges the CTEs by orders of
 * magnitude and JIT-compiling with inlining and optimisation made this statement slower by about
 * a third (measured: 69 s with, 51 s without, 1,000,000 flattrs) — the baseline should be the
 * best plain statement, not a handicapped one.
 */

export interface BaselineStats {
  entries: number;
  postings: number;
}

export async function rawInsertSelect(db: Db): Promise<BaselineStats> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local jit = off`);
    const [row] = await queryRows<{ entries: string; postings: string }>(
      tx,
      sql.raw(`
      with payer as (
        select payer_id, count(*) as n from flattrs
        where period = '${PERIOD}' and withdrawn_at is null group by payer_id
      ), paying as (
        select p.payer_id, p.n, a.amount, a.amount * ${FEE_BP} / 10000 as fee
        from payer p
        left join budgets b on b.user_id = p.payer_id and b.currency = '${CURRENCY}'
        left join ledger_balances w on w.account = 'wallet:' || p.payer_id and w.currency = '${CURRENCY}'
        cross join lateral (select least(coalesce(b.amount, 0), greatest(coalesce(w.balance, 0), 0)) as amount) a
        where a.amount > 0
      ), share as (
        select f.payer_id, t.owner_id,
               (x.amount - x.fee) / x.n
               + case when row_number() over (partition by f.payer_id order by f.id) <= (x.amount - x.fee) % x.n
                      then 1 else 0 end as amount
        from paying x
        join flattrs f on f.payer_id = x.payer_id and f.period = '${PERIOD}' and f.withdrawn_at is null
        join things t on t.id = f.thing_id
      ), line as (
        select payer_id, 'earnings:' || owner_id as account, sum(amount) as amount from share group by 1, 2
        union all select payer_id, 'fees', fee from paying
        union all select payer_id, 'wallet:' || payer_id, -amount from paying
      ), entry as (
        select x.payer_id, 'close:${PERIOD}:' || x.payer_id as key, x.n,
               encode(sha256(convert_to(
                 '{"kind":"close","metadata":{"flattrs":' || x.n || '},"period":"${PERIOD}","postings":['
                 || string_agg('["' || l.account || '","${CURRENCY}","' || l.amount || '"]', ','
                               order by l.account collate "C")
                 || '],"reverses":null}', 'UTF8')), 'hex') as hash
        from paying x join line l on l.payer_id = x.payer_id
        where l.amount <> 0
        group by x.payer_id, x.n
      ), inserted as (
        insert into ledger_entries (idempotency_key, kind, period, metadata, payload_hash)
        select key, 'close', '${PERIOD}', jsonb_build_object('flattrs', n), hash from entry
        -- close:<P>:<user>: join the postings by the user id (int8), not by the key text
        returning id, split_part(idempotency_key, ':', 3)::int8 as payer_id
      ), posted as (
        insert into ledger_postings (entry_id, account, currency, amount)
        select i.id, l.account, '${CURRENCY}', l.amount
        from inserted i join line l on l.payer_id = i.payer_id
        where l.amount <> 0
        returning 1
      )
      select (select count(*) from inserted)::text as entries, (select count(*) from posted)::text as postings`),
    );
    return { entries: Number(row?.entries ?? 0), postings: Number(row?.postings ?? 0) };
  });
}
