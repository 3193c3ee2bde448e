import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { getBudget } from "../flattr/budget.ts";
import { walletAccount } from "../ledger/index.ts";
import {
  isPeriod,
  type Period,
  periodAfter,
  periodBefore,
  periodBounds,
  periodLabel,
  periodOf,
} from "../periods/period.ts";
import { CloseError, closeKey } from "./close.ts";
import { type Earnings, earnings, type PeriodStatus } from "./earnings.ts";
import { type MyFlattr, periodFlattrs } from "./my-flattrs.ts";

export interface StatementMovement {
  entryId: number;
  kind: string;
  createdAt: Date;
  /** Signed minor units on the wallet. */
  amount: bigint;
  metadata: Record<string, unknown>;
}

export interface PayerStatement {
  /** The monthly budget the close used once the period is closed; until then, as set now. */
  budget: bigint | null;
  /** Wallet balance before the period's movements. */
  opening: bigint;
  /** The period's wallet movements: deposits made in it (or after it, before its close) and the entries of its close. */
  movements: StatementMovement[];
  /** opening + movements: what the ledger holds for the period so far. */
  closing: bigint;
  /** Taken for the period's flattrs, fee included: min(budget, balance); projected until final. */
  spent: bigint;
  fee: bigint;
  /** spent − fee, split over the flattrs. */
  toCreators: bigint;
  flattrs: MyFlattr[];
}

export interface Statement {
  period: Period;
  /** The month ended before the account existed: everything in it is empty. */
  beforeAccount: boolean;
  status: PeriodStatus;
  /** The payer side is final (the close processed this user, or the period is closed). */
  final: boolean;
  currency: string;
  payer: PayerStatement;
  creator: Earnings;
}

/**
 * A user's monthly statement. The wallet side is an accounting period: an entry belongs to the
 * period it names (the close of P posts in P+1 but belongs to P) or, without one (deposits), to
 * the period of its time in the instance time zone — except a deposit posted after P ended but
 * before the user's close of P, which that close could spend: it belongs to P. So opening(P) = closing(P−1), and a period's
 * statement shows what its flattrs cost even though the close runs after it ended.
 */
export async function statement(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<Statement> {
  if (!isPeriod(period)) throw new RangeError(`not a period: ${period}`);
  const [account] = await queryRows<{ created_at: string | Date }>(
    db,
    sql`select created_at from users where id = ${userId}::int8`,
  );
  const joined = account ? periodOf(new Date(account.created_at), config.timeZone) : null;
  if (joined !== null && period < joined) return emptyStatement(db, config, userId, period);
  // An entry without a period (a deposit) belongs to the month of its time, except one made
  // before the user's close of the month before was posted: that close could spend it, so it
  // belongs to the month before. The months' instants come from periods/ (the time zone rules
  // the close and the flattrs use), passed as bounds.
  const P = sql`${period}::text`;
  // The last period ends in year 10000, which PostgreSQL does not read in ISO form: no end.
  const at = (d: Date) =>
    d.getUTCFullYear() > 9999 ? sql`'infinity'::timestamptz` : sql`${d.toISOString()}::timestamptz`;
  const { start, end } = periodBounds(period, config.timeZone);
  const after = periodAfter(period);
  const inP = sql`(e.created_at >= ${at(start)} and e.created_at < ${at(end)})`;
  const inNext = after
    ? sql`(e.created_at >= ${at(end)} and e.created_at < ${at(periodBounds(after, config.timeZone).end)})`
    : sql`false`;
  const closedLater = (p: Period | null) =>
    p === null
      ? sql`false`
      : sql`exists (select 1 from ledger_entries c
                    where c.idempotency_key = ${closeKey(p, userId)}::text and c.id > e.id)`;
  const before = periodBefore(period);
  const earlier = sql`(case when e.period is not null then e.period < ${P}
      else e.created_at < ${at(start)} or (${inP} and ${closedLater(before)}) end)`;
  const during = sql`(case when e.period is not null then e.period = ${P}
      else (${inP} and not ${closedLater(before)}) or (${inNext} and ${closedLater(period)}) end)`;
  const rows = await queryRows<{
    entry_id: string | null;
    kind: string | null;
    created_at: string | Date | null;
    amount: string;
    metadata: Record<string, unknown> | string | null;
  }>(
    db,
    sql`select null as entry_id, null as kind, null as created_at, null as metadata,
               coalesce(sum(p.amount), 0)::text as amount
        from ledger_postings p join ledger_entries e on e.id = p.entry_id
        where p.account = ${walletAccount(userId)} and p.currency = ${config.currency}::text
          and ${earlier}
        union all
        (select e.id::text, e.kind, e.created_at, e.metadata, p.amount::text
         from ledger_postings p join ledger_entries e on e.id = p.entry_id
         where p.account = ${walletAccount(userId)} and p.currency = ${config.currency}::text
           and ${during}
         order by p.id)`,
  );
  const [openingRow, ...moves] = rows;
  const opening = BigInt(openingRow?.amount ?? "0");
  const movements = moves.map((r) => ({
    entryId: Number(r.entry_id),
    kind: r.kind ?? "",
    createdAt: new Date(r.created_at ?? 0),
    amount: BigInt(r.amount),
    metadata: typeof r.metadata === "string" ? JSON.parse(r.metadata) : (r.metadata ?? {}),
  }));
  const [values, budget, creator, closed] = await Promise.all([
    periodFlattrs(db, config, userId, period),
    getBudget(db, config, userId),
    earnings(db, config, userId, period),
    queryRows<{ budget: string | null }>(
      db,
      sql`select budget::text as budget from close_payers
          where period = ${period}::text and user_id = ${userId}::int8`,
    ),
  ]);
  const closedRow = closed[0];
  // The close stores the budget it used; a month closed without this payer used none (today's
  // budget would be a budget the month never had).
  const budgetNow = values.status === "closed" ? null : (budget?.amount ?? null);
  // Without an active flattr the close takes nothing, whatever the budget.
  const spent = values.flattrs.length === 0 ? 0n : values.amount;
  const fee = values.flattrs.length === 0 ? 0n : values.fee;
  return {
    period,
    beforeAccount: false,
    status: values.status,
    final: values.final,
    currency: config.currency,
    payer: {
      budget: closedRow ? (closedRow.budget === null ? null : BigInt(closedRow.budget)) : budgetNow,
      opening,
      movements,
      closing: movements.reduce((s, m) => s + m.amount, opening),
      spent,
      fee,
      toCreators: spent - fee,
      flattrs: values.flattrs,
    },
    creator,
  };
}

/** A month before the account existed: nothing in it, whatever the budget is today. */
async function emptyStatement(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<Statement> {
  const creator = await earnings(db, config, userId, period);
  return {
    period,
    beforeAccount: true,
    status: creator.status,
    final: creator.status === "closed",
    currency: config.currency,
    payer: {
      budget: null,
      opening: 0n,
      movements: [],
      closing: 0n,
      spent: 0n,
      fee: 0n,
      toCreators: 0n,
      flattrs: [],
    },
    creator,
  };
}

/**
 * Refuses a month that has not started yet, with one status and one message for the statement
 * page and the API (and the other reports that take a month).
 */
export function checkReportPeriod(period: Period, current: Period): void {
  if (period > current)
    throw new CloseError("invalid_period", `${periodLabel(period)} has not started yet.`);
}
