import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { DomainError } from "../errors.ts";
import { lockPeriodExclusive } from "../flattr/period-lock.ts";
import { accountSql, creatorAccountSql, FEES, walletAccountSql } from "../ledger/index.ts";
import { hasEnded, isPeriod, type Period, periodBounds } from "../periods/period.ts";
import { feeSql, shareSql } from "./shares.ts";

/*
 * The month close (docs/ARCHITECTURE.md, Money; ADR 0002). For every payer with active flattrs in P:
 * amount = min(budget, wallet balance), fee = floor(amount × fee_bp / 10000), the rest split over
 * the payer's flattrs by largest remainder (settlement/shares.ts), posted as ONE ledger entry keyed
 * close:<P>:<user>.
 *
 * Exactly once, whatever happens: the close first seals P (no flattr of P can change afterwards),
 * then walks payers in id order in batches, one transaction each. A batch claims its payers in
 * close_payers (primary key (period, user)) with ON CONFLICT DO NOTHING, and only claimed payers
 * get entries (themselves ON CONFLICT on the idempotency key). A second process, a rerun or a
 * rerun after a crash finds the claims and posts nothing twice; an interrupted batch rolled back
 * entirely and is simply done again.
 */

/** The idempotency key of a payer's close entry (the batch statement builds the same in SQL). */
export function closeKey(period: Period, userId: number): string {
  return `close:${period}:${userId}`;
}

export const CLOSE_ERROR_CODES = ["invalid_period", "period_not_ended"] as const;
export type CloseErrorCode = (typeof CLOSE_ERROR_CODES)[number];

export class CloseError extends DomainError<CloseErrorCode> {
  constructor(code: CloseErrorCode, message: string) {
    super(code, message);
    this.name = "CloseError";
  }
}

export interface CloseStats {
  /** Payers processed (including those with nothing to pay). */
  users: number;
  /** Payers with a ledger entry (amount > 0). */
  payers: number;
  /** Active flattrs of all processed payers. */
  flattrs: number;
  /** Flattrs of payers who paid something. */
  paidFlattrs: number;
  /** Total taken from wallets, fees included. */
  amount: bigint;
  fees: bigint;
}

export interface CloseProgress {
  period: Period;
  batches: number;
  /** Payers looked at so far in this run (including ones an earlier run already processed). */
  usersDone: number;
  usersTotal: number;
  thisRun: CloseStats;
}

export interface CloseResult {
  period: Period;
  /** What this call posted (zero when another run had already done it). */
  thisRun: CloseStats;
  /** The whole period, every run together. */
  total: CloseStats;
  /** The period was already completely closed before this call. */
  alreadyClosed: boolean;
}

export interface CloseOptions {
  onProgress?: (p: CloseProgress) => void | Promise<void>;
  /** Payers per batch; default config.closeBatchSize. */
  batchSize?: number;
}

const zeroStats = (): CloseStats => ({
  users: 0,
  payers: 0,
  flattrs: 0,
  paidFlattrs: 0,
  amount: 0n,
  fees: 0n,
});

function addStats(a: CloseStats, b: CloseStats): CloseStats {
  return {
    users: a.users + b.users,
    payers: a.payers + b.payers,
    flattrs: a.flattrs + b.flattrs,
    paidFlattrs: a.paidFlattrs + b.paidFlattrs,
    amount: a.amount + b.amount,
    fees: a.fees + b.fees,
  };
}

interface StatsRow extends Record<string, unknown> {
  users: string;
  payers: string;
  flattrs: string;
  paid_flattrs: string;
  amount: string;
  fees: string;
}

const toStats = (r: StatsRow | undefined): CloseStats =>
  r
    ? {
        users: Number(r.users),
        payers: Number(r.payers),
        flattrs: Number(r.flattrs),
        paidFlattrs: Number(r.paid_flattrs),
        amount: BigInt(r.amount),
        fees: BigInt(r.fees),
      }
    : zeroStats();

export function statsToJson(s: CloseStats): Record<string, string | number> {
  return { ...s, amount: s.amount.toString(), fees: s.fees.toString() };
}

/** Closes period P. Throws CloseError for a malformed period or one that has not ended yet. */
export async function closePeriod(
  db: Db,
  clock: Clock,
  config: Config,
  period: Period,
  options: CloseOptions = {},
): Promise<CloseResult> {
  if (!isPeriod(period))
    throw new CloseError("invalid_period", `"${period}" is not a period (expected YYYY-MM).`);
  const now = clock.now();
  if (!hasEnded(period, now, config.timeZone)) {
    const end = periodBounds(period, config.timeZone).end;
    throw new CloseError(
      "period_not_ended",
      `The period ${period} has not ended yet: it ends at ${end.toISOString()} (${config.timeZone}).`,
    );
  }
  const batchSize = options.batchSize ?? config.closeBatchSize;

  const alreadyClosed = await seal(db, clock, period);
  if (alreadyClosed) {
    return { period, thisRun: zeroStats(), total: await periodStats(db, period), alreadyClosed };
  }

  const [count] = await queryRows<{ n: string }>(
    db,
    sql`select count(distinct payer_id)::text as n from flattrs
        where period = ${period}::text and withdrawn_at is null`,
  );
  const usersTotal = Number(count?.n ?? 0);

  let thisRun = zeroStats();
  let cursor = 0;
  let usersDone = 0;
  let batches = 0;
  for (;;) {
    const [bounds] = await queryRows<{ hi: string | null; n: string }>(
      db,
      sql`select max(payer_id)::text as hi, count(*)::text as n from (
            select distinct payer_id from flattrs
            where period = ${period}::text and withdrawn_at is null and payer_id > ${cursor}::int8
            order by payer_id limit ${batchSize}::int4) b`,
    );
    if (!bounds?.hi) break;
    const hi = Number(bounds.hi);
    const stats = await db.transaction((tx) => closeBatch(tx, config, period, cursor, hi));
    thisRun = addStats(thisRun, stats);
    usersDone += Number(bounds.n);
    batches++;
    cursor = hi;
    await options.onProgress?.({ period, batches, usersDone, usersTotal, thisRun });
  }

  const total = await periodStats(db, period);
  await db.execute(
    sql`update closed_periods
        set closed_at = ${clock.now().toISOString()}::timestamptz,
            stats = ${JSON.stringify(statsToJson(total))}::jsonb
        where period = ${period}::text and closed_at is null`,
  );
  return { period, thisRun, total, alreadyClosed: false };
}

/**
 * Seals P under the exclusive period lock: waits for in-flight flattr/unflattr transactions of P,
 * and after this commits none can start (they check closed_periods under the shared lock).
 * Returns true when P was completely closed already.
 */
async function seal(db: Db, clock: Clock, period: Period): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockPeriodExclusive(tx, period);
    await tx.execute(
      sql`insert into closed_periods (period, started_at)
          values (${period}::text, ${clock.now().toISOString()}::timestamptz)
          on conflict (period) do nothing`,
    );
    const [row] = await queryRows<{ closed: boolean }>(
      tx,
      sql`select closed_at is not null as closed from closed_periods where period = ${period}::text`,
    );
    return row?.closed === true;
  });
}

/** Totals over every payer processed for P so far. */
export async function periodStats(db: Db, period: Period): Promise<CloseStats> {
  const [row] = await queryRows<StatsRow>(
    db,
    sql`select count(*)::text as users,
               count(*) filter (where amount > 0)::text as payers,
               coalesce(sum(flattrs), 0)::text as flattrs,
               coalesce(sum(flattrs) filter (where amount > 0), 0)::text as paid_flattrs,
               coalesce(sum(amount), 0)::text as amount,
               coalesce(sum(fee), 0)::text as fees
        from close_payers where period = ${period}::text`,
  );
  return toStats(row);
}

/**
 * One batch: payers with id in (lo, hi], in one transaction. Statement 1 locks the batch's wallet
 * balances (in account order, the order the postings trigger uses) so the amounts read next cannot
 * be overtaken by a concurrent debit. Statement 2 is the whole batch, set-based: claim the payers,
 * split, insert one entry per paying payer and all their postings at once (the ledger's statement
 * trigger checks balance and overdraft and books the balances).
 */
async function closeBatch(
  tx: Db,
  config: Config,
  period: Period,
  lo: number,
  hi: number,
): Promise<CloseStats> {
  const P = sql`${period}::text`;
  const cur = sql`${config.currency}::text`;
  const inBatch = sql`f.period = ${P} and f.withdrawn_at is null
    and f.payer_id > ${lo}::int8 and f.payer_id <= ${hi}::int8`;

  // The planner cannot estimate the CTEs (it guesses millions of rows) and would JIT-compile the
  // batch statement with inlining and optimisation: measured at more than half of a batch's time.
  await tx.execute(sql`set local jit = off`);
  await tx.execute(
    sql`select 1 from ledger_balances w
        where w.currency = ${cur}
          and w.account in (select distinct ${walletAccountSql(sql`f.payer_id`)} from flattrs f where ${inBatch})
        order by w.account, w.currency
        for update`,
  );

  const [row] = await queryRows<StatsRow & { entries: string }>(
    tx,
    sql`with payers as (
          select f.payer_id, count(*)::int4 as n
          from flattrs f
          where ${inBatch}
            and not exists (select 1 from close_payers c where c.period = ${P} and c.user_id = f.payer_id)
          group by f.payer_id
        ),
        amounts as (
          select p.payer_id, p.n, b.amount as budget,
                 least(coalesce(b.amount, 0), greatest(coalesce(w.balance, 0), 0))::int8 as amount
          from payers p
          left join budgets b on b.user_id = p.payer_id and b.currency = ${cur}
          left join ledger_balances w on w.account = ${walletAccountSql(sql`p.payer_id`)} and w.currency = ${cur}
        ),
        claimed as (
          insert into close_payers (period, user_id, budget, amount, fee, flattrs)
          select ${P}, payer_id, budget, amount, ${feeSql(sql`amount`, config.feeBp)}, n from amounts
          on conflict (period, user_id) do nothing
          returning user_id, amount, fee, flattrs
        ),
        ranked as (
          select f.payer_id, t.owner_kind, t.owner_id, c.amount - c.fee as net, c.flattrs as n,
                 row_number() over (partition by f.payer_id order by f.id) as rank
          from claimed c
          join flattrs f on f.payer_id = c.user_id and ${inBatch}
          join things t on t.id = f.thing_id
          where c.amount > 0
        ),
        lines as (
          select payer_id, ${creatorAccountSql(sql`owner_kind`, sql`owner_id`)} as account,
                 sum(${shareSql(sql`net`, sql`n`, sql`rank`)})::int8 as amount
          from ranked group by 1, 2
          union all
          select user_id, ${accountSql(FEES)}, fee from claimed where fee > 0
          union all
          select user_id, ${walletAccountSql(sql`user_id`)}, -amount from claimed where amount > 0
        ),
        hashes as (
          -- ledger/payload.ts's payloadHash, in SQL: sha256 of the canonical JSON of the entry.
          select l.payer_id,
                 encode(sha256(convert_to(
                   '{"kind":"close","metadata":{"flattrs":' || c.flattrs::text || '},"period":"' || ${P}
                   || '","postings":['
                   || string_agg('["' || l.account || '","' || ${cur} || '","' || l.amount::text || '"]',
                                 ',' order by l.account collate "C")
                   || '],"reverses":null}', 'UTF8')), 'hex') as hash
          from lines l join claimed c on c.user_id = l.payer_id
          where l.amount <> 0
          group by l.payer_id, c.flattrs
        ),
        entries as (
          insert into ledger_entries (idempotency_key, kind, period, metadata, payload_hash)
          select 'close:' || ${P} || ':' || c.user_id::text, 'close', ${P}, jsonb_build_object('flattrs', c.flattrs), h.hash
          from claimed c join hashes h on h.payer_id = c.user_id
          where c.amount > 0
          on conflict (idempotency_key) do nothing
          -- close:<P>:<user>: the user id is the key's last part (a cheap int8 join below).
          returning id, split_part(idempotency_key, ':', 3)::int8 as payer_id
        ),
        postings as (
          insert into ledger_postings (entry_id, account, currency, amount)
          select e.id, l.account, ${cur}, l.amount
          from entries e join lines l on l.payer_id = e.payer_id
          where l.amount <> 0
          returning amount
        )
        select (select count(*) from claimed)::text as users,
               (select count(*) from claimed where amount > 0)::text as payers,
               (select coalesce(sum(flattrs), 0) from claimed)::text as flattrs,
               (select coalesce(sum(flattrs), 0) from claimed where amount > 0)::text as paid_flattrs,
               (select coalesce(sum(amount), 0) from claimed)::text as amount,
               (select coalesce(sum(fee), 0) from claimed)::text as fees,
               (select count(*) from entries)::text as entries,
               (select count(*) from postings)::text as postings`,
  );
  const stats = toStats(row);
  if (Number(row?.entries ?? 0) !== stats.payers) {
    // A close:<P>:<user> entry exists for a payer close_payers did not know: never pay twice.
    throw new Error(
      `close ${period}: ${stats.payers} payers claimed but ${row?.entries} entries inserted; ` +
        "an entry with a close key already exists for an unclaimed payer. Nothing was posted for this batch.",
    );
  }
  return stats;
}
