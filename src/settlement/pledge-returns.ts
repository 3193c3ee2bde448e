import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import {
  clearingAccount,
  PLEDGES,
  type Posting,
  postEntry,
  walletAccount,
} from "../ledger/index.ts";
import { peerAdmittedSql } from "../peers/admission.ts";
import type { Period } from "../periods/period.ts";
import { lastReturnablePeriod } from "./pledge-hold.ts";
import { peerSummaryAcceptedSql } from "./share-state.ts";

/*
 * The end of the hold (issue 10, point 7): shares the close held for unclaimed creators (route
 * `unclaimed`, in pledges), and shares owed to a Fediflattr server that was still not admitted
 * when the hold ended (point 1, in clearing:<host>), go back to the payers' wallets
 * PLEDGE_HOLD_MONTHS after their month ended: one ledger entry per payer and period, keyed
 * pledge-return:<period>:<payer>.
 *
 * Exactly once, and never racing a claim: in one transaction the payer's open shares of the
 * period are locked, switched open → returned by a conditional UPDATE (a claim that committed
 * first has already made them `claimed`, and one that comes later finds them `returned`), and the
 * entry posts exactly what was switched. A rerun finds nothing open and posts nothing.
 */

/** The idempotency key of a payer's return of a period. */
export function pledgeReturnKey(period: Period, payerId: number): string {
  return `pledge-return:${period}:${payerId}`;
}

export interface ReturnResult {
  /** (payer, period) entries posted by this call. */
  entries: number;
  /** Shares switched to returned. */
  shares: number;
  amount: bigint;
}

/** The shares that return at the end of the hold, as an SQL condition on remote_shares `s`. */
const returnable = sql`s.state = 'open'
  and (s.route = 'unclaimed' or (s.route = 'peer' and not ${peerAdmittedSql(sql`s.peer_host`)}
                                 and not ${peerSummaryAcceptedSql(sql`s`)}))`;

/** Returns every share whose hold has ended. Safe to run any time, in several processes. */
export async function returnExpiredPledges(
  db: Db,
  clock: Clock,
  config: Config,
): Promise<ReturnResult> {
  const last = lastReturnablePeriod(currentPeriod(clock, config), config);
  const due = await queryRows<{ period: string; payer_id: string }>(
    db,
    sql`select distinct s.period, s.payer_id::text from remote_shares s
        join closed_periods c on c.period = s.period and c.closed_at is not null
        where ${returnable} and s.period <= ${last}::text and s.currency = ${config.currency}::text
        order by 1, 2`,
  );
  const result: ReturnResult = { entries: 0, shares: 0, amount: 0n };
  const now = currentPeriod(clock, config);
  for (const d of due) {
    const r = await returnShares(db, config, d.period, Number(d.payer_id), now);
    result.entries += r.entries;
    result.shares += r.shares;
    result.amount += r.amount;
  }
  return result;
}

async function returnShares(
  db: Db,
  config: Config,
  period: Period,
  payerId: number,
  returnedIn: Period,
): Promise<ReturnResult> {
  return db.transaction(async (tx) => {
    // Locked in the order every claim locks shares in (claims.ts), so the two never deadlock.
    await tx.execute(
      sql`select 1 from remote_shares s
          where s.period = ${period}::text and s.payer_id = ${payerId}::int8 and ${returnable}
          order by s.period, s.remote_actor_id, s.payer_id for update`,
    );
    const rows = await queryRows<{ amount: string; peer_host: string | null }>(
      tx,
      sql`update remote_shares s set state = 'returned'
          where s.period = ${period}::text and s.payer_id = ${payerId}::int8 and ${returnable}
          returning s.amount::text, s.peer_host`,
    );
    if (rows.length === 0) return { entries: 0, shares: 0, amount: 0n };
    const from = new Map<string, bigint>();
    let total = 0n;
    for (const r of rows) {
      const account = r.peer_host === null ? PLEDGES : clearingAccount(r.peer_host);
      from.set(account, (from.get(account) ?? 0n) + BigInt(r.amount));
      total += BigInt(r.amount);
    }
    const postings: Posting[] = [...from]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([account, amount]) => ({ account, currency: config.currency, amount: -amount }));
    postings.push({ account: walletAccount(payerId), currency: config.currency, amount: total });
    // The entry belongs to the month the money comes back in (that month's statement shows it);
    // the period the shares were flattred in is in the key and the metadata (`from`).
    await postEntry(tx, {
      idempotencyKey: pledgeReturnKey(period, payerId),
      kind: "pledge_return",
      period: returnedIn,
      metadata: { from: period, shares: rows.length },
      postings,
    });
    return { entries: 1, shares: rows.length, amount: total };
  });
}
