import { type SQL, sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { earningsAccount, walletAccountSql } from "../ledger/index.ts";
import { isPeriod, type Period } from "../periods/period.ts";
import { feeSql, shareSql } from "./shares.ts";

export type PeriodStatus = "open" | "closing" | "closed";

export interface ThingEarnings {
  thingId: number;
  kind: string;
  title: string;
  url: string;
  /** Active flattrs of the thing in the period (every payer, also those who paid nothing). */
  flattrs: number;
  /** Minor units: final shares of processed payers, projected shares of the others. */
  amount: bigint;
}

export interface Earnings {
  period: Period;
  /** open: projected; closing: partly final; closed: final (settlement/values.ts's states). */
  status: PeriodStatus;
  /** True once the close has processed every payer of the period. */
  final: boolean;
  currency: string;
  total: bigint;
  flattrs: number;
  /** By amount (highest first), then thing id. */
  things: ThingEarnings[];
  /**
   * What the ledger credited to earnings:<user> for this period (close entries net of their
   * reversals). Equals `total` once final unless an entry was reversed.
   */
  posted: bigint;
}

export interface MonthEarnings {
  period: Period;
  status: PeriodStatus;
  final: boolean;
  total: bigint;
  flattrs: number;
  posted: bigint;
}

function checkPeriods(periods: readonly Period[]): void {
  for (const p of periods) if (!isPeriod(p)) throw new RangeError(`not a period: ${p}`);
}

const periodList = (periods: readonly Period[]): SQL =>
  sql.join(
    periods.map((p) => sql`${p}::text`),
    sql`, `,
  );

/**
 * Per (period, thing): the user's things' active flattrs and their value, computed with the very
 * split the close posts (settlement/shares.ts). The close's entries carry no per-thing lines (one
 * posting per creator), so the breakdown comes from the frozen flattrs and close_payers: a payer
 * the close processed contributes amount − fee over its flattrs; a payer not (yet) processed of an
 * open or closing period contributes the projection min(budget, balance) − fee, as values.ts does;
 * a closed period's unprocessed payers had nothing to pay.
 */
async function earningsRows(db: Db, config: Config, userId: number, periods: readonly Period[]) {
  const cur = sql`${config.currency}::text`;
  const projected = sql`least(coalesce(b.amount, 0), greatest(coalesce(w.balance, 0), 0))::int8`;
  return queryRows<{
    period: string;
    thing_id: string;
    kind: string;
    title: string;
    url: string;
    flattrs: string;
    amount: string;
  }>(
    db,
    sql`with mine as (
          select distinct f.period, f.payer_id
          from flattrs f join things t on t.id = f.thing_id
          where t.owner_kind = 'local' and t.owner_id = ${userId}::int8
            and f.period in (${periodList(periods)}) and f.withdrawn_at is null
        ),
        ranked as (
          select f.period, f.thing_id, f.payer_id,
                 row_number() over (partition by f.period, f.payer_id order by f.id) as rank,
                 count(*) over (partition by f.period, f.payer_id) as n
          from flattrs f join mine m on m.period = f.period and m.payer_id = f.payer_id
          where f.withdrawn_at is null
        ),
        nets as (
          select m.period, m.payer_id,
                 (case when c.user_id is not null then c.amount - c.fee
                       when cp.closed_at is not null then 0
                       else ${projected} - ${feeSql(projected, config.feeBp)} end)::int8 as net
          from mine m
          left join close_payers c on c.period = m.period and c.user_id = m.payer_id
          left join closed_periods cp on cp.period = m.period
          left join budgets b on b.user_id = m.payer_id and b.currency = ${cur}
          left join ledger_balances w
            on w.account = ${walletAccountSql(sql`m.payer_id`)} and w.currency = ${cur}
        )
        select r.period, r.thing_id::text, t.kind, t.title, t.url, count(*)::text as flattrs,
               sum(${shareSql(sql`a.net`, sql`r.n`, sql`r.rank`)})::text as amount
        from ranked r
        join things t on t.id = r.thing_id
        join nets a on a.period = r.period and a.payer_id = r.payer_id
        where t.owner_kind = 'local' and t.owner_id = ${userId}::int8
        group by r.period, r.thing_id, t.kind, t.title, t.url`,
  );
}

async function periodStates(db: Db, config: Config, userId: number, periods: readonly Period[]) {
  const rows = await queryRows<{ period: string; status: PeriodStatus; posted: string }>(
    db,
    sql`select p.period,
               case when cp.period is null then 'open'
                    when cp.closed_at is null then 'closing' else 'closed' end as status,
               coalesce((select sum(lp.amount) from ledger_postings lp
                         join ledger_entries e on e.id = lp.entry_id
                         where lp.account = ${earningsAccount(userId)} and lp.currency = ${config.currency}::text
                           and e.period = p.period
                           and (e.kind = 'close' or (e.kind = 'reversal'
                                and e.metadata->>'reversedKind' = 'close'))), 0)::text as posted
        from unnest(array[${periodList(periods)}]) as p(period)
        left join closed_periods cp on cp.period = p.period`,
  );
  return new Map(rows.map((r) => [r.period, { status: r.status, posted: BigInt(r.posted) }]));
}

/** A creator's earnings of one period: total and per thing (projected while open). */
export async function earnings(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<Earnings> {
  checkPeriods([period]);
  const [rows, states] = await Promise.all([
    earningsRows(db, config, userId, [period]),
    periodStates(db, config, userId, [period]),
  ]);
  const state = states.get(period) ?? { status: "open" as const, posted: 0n };
  const things = rows
    .map((r) => ({
      thingId: Number(r.thing_id),
      kind: r.kind,
      title: r.title,
      url: r.url,
      flattrs: Number(r.flattrs),
      amount: BigInt(r.amount),
    }))
    .sort((a, b) => (a.amount === b.amount ? a.thingId - b.thingId : a.amount > b.amount ? -1 : 1));
  return {
    period,
    status: state.status,
    final: state.status === "closed",
    currency: config.currency,
    total: things.reduce((s, t) => s + t.amount, 0n),
    flattrs: things.reduce((s, t) => s + t.flattrs, 0),
    things,
    posted: state.posted,
  };
}

/** Totals per period, in the order given (for a chart): one query for all of them. */
export async function earningsByMonth(
  db: Db,
  config: Config,
  userId: number,
  months: readonly Period[],
): Promise<{ currency: string; months: MonthEarnings[] }> {
  checkPeriods(months);
  if (months.length === 0) return { currency: config.currency, months: [] };
  const [rows, states] = await Promise.all([
    earningsRows(db, config, userId, months),
    periodStates(db, config, userId, months),
  ]);
  const sums = new Map<string, { total: bigint; flattrs: number }>();
  for (const r of rows) {
    const s = sums.get(r.period) ?? { total: 0n, flattrs: 0 };
    s.total += BigInt(r.amount);
    s.flattrs += Number(r.flattrs);
    sums.set(r.period, s);
  }
  return {
    currency: config.currency,
    months: months.map((period) => {
      const state = states.get(period) ?? { status: "open" as const, posted: 0n };
      const s = sums.get(period) ?? { total: 0n, flattrs: 0 };
      return {
        period,
        status: state.status,
        final: state.status === "closed",
        total: s.total,
        flattrs: s.flattrs,
        posted: state.posted,
      };
    }),
  };
}
