import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { earningsAccount } from "../ledger/index.ts";
import { nextPeriod, type Period, payableFrom, payableThrough } from "../periods/period.ts";
import { awaitingFromPeers } from "./awaiting.ts";

/*
 * What a creator may take out of the instance (issue 10 point 8): earnings of month M become
 * payable on SETTLEMENT_DAY of M+1, less what has already left earnings:<creator> for payouts
 * (reserved when an admin approves one, and then paid), and a payout can be requested once that
 * reaches PAYOUT_MINIMUM. The ledger is the only source: credits to earnings:<creator> by period
 * (close entries, their reversals, a peer's summary) and the payout entries (no period) that
 * move money out of it and back.
 */

/** Entry kinds of payouts (src/settlement/payouts.ts) that move money out of a source and back. */
export const PAYOUT_RESERVE_KIND = "payout_reserve";
export const PAYOUT_RETURN_KIND = "payout_return";
export const PAYOUT_PAID_KIND = "payout_paid";

export interface PayableEarnings {
  currency: string;
  /** earnings:<creator> now, payable or not. */
  balance: bigint;
  /** What may be paid out now (≥ 0). */
  payable: bigint;
  /** Credited to periods whose settlement day has not come yet. */
  notYetPayable: bigint;
  /** Credited by peers' summaries but not transferred by the peer yet (not payable). */
  awaitingFromPeers: bigint;
  /** Revenue of this period and every earlier one is payable (the settlement day has passed). */
  payableThrough: Period;
  /** The day (YYYY-MM-DD, instance time zone) the next month becomes payable. */
  nextPayableOn: string;
  /** PAYOUT_MINIMUM. */
  minimum: bigint;
  /** payable ≥ minimum: a payout may be requested. */
  canRequest: boolean;
}

/**
 * The one place that keeps peer money out of payouts until it has arrived (issue 10 point 4):
 * what peers' accepted summaries credited to this creator beyond the transfers received from
 * each peer plus its credit limit (src/settlement/awaiting.ts), summed over peers.
 */
async function awaitingTotal(db: Db, userId: number): Promise<bigint> {
  let total = 0n;
  for (const a of await awaitingFromPeers(db, userId)) total += a.amount;
  return total;
}

export async function payableEarnings(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
): Promise<PayableEarnings> {
  const through = payableThrough(clock.now(), config.timeZone, config.settlementDay);
  const account = earningsAccount(userId);
  const payoutKinds = sql`(${PAYOUT_RESERVE_KIND}, ${PAYOUT_RETURN_KIND})`;
  const [row] = await queryRows<{ balance: string; matured: string; out: string }>(
    db,
    sql`select
          coalesce((select balance from ledger_balances
                    where account = ${account} and currency = ${config.currency}), 0)::text as balance,
          coalesce(sum(p.amount) filter (
            where e.kind not in ${payoutKinds} and (e.period is null or e.period <= ${through})), 0)::text as matured,
          coalesce(sum(p.amount) filter (where e.kind in ${payoutKinds}), 0)::text as out
        from ledger_postings p join ledger_entries e on e.id = p.entry_id
        where p.account = ${account} and p.currency = ${config.currency}`,
  );
  const balance = BigInt(row?.balance ?? "0");
  const matured = BigInt(row?.matured ?? "0") + BigInt(row?.out ?? "0");
  const awaiting = await awaitingTotal(db, userId);
  const capped = matured < balance ? matured : balance;
  const payable = capped - awaiting > 0n ? capped - awaiting : 0n;
  const notYetPayable = balance - capped > 0n ? balance - capped : 0n;
  return {
    currency: config.currency,
    balance,
    payable,
    notYetPayable,
    awaitingFromPeers: awaiting,
    payableThrough: through,
    nextPayableOn: payableFrom(nextPeriod(through), config.settlementDay),
    minimum: config.payoutMinimum,
    canRequest: payable > 0n && payable >= config.payoutMinimum,
  };
}
