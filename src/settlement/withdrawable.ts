import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { walletAccount } from "../ledger/index.ts";

/*
 * Unspent wallet money a person may take back out (issue 12 point 4), through the payout flow.
 * What the close of a period will take is committed: for every period in which they have active
 * flattrs and that the close has not yet processed for them, their budget (the close takes
 * min(budget, balance)). The rest of the wallet is theirs to withdraw.
 */

export interface WithdrawableWallet {
  currency: string;
  balance: bigint;
  /** Set aside for the flattrs of periods not yet closed for this person. */
  committed: bigint;
  /** balance − committed, never below 0. */
  withdrawable: bigint;
  /** Periods whose flattrs commit money now, oldest first. */
  committedPeriods: string[];
}

export async function withdrawableWallet(
  db: Db,
  config: Config,
  userId: number,
): Promise<WithdrawableWallet> {
  const rows = await queryRows<{ period: string | null; budget: string; balance: string }>(
    db,
    sql`with open_periods as (
          select distinct f.period from flattrs f
          where f.payer_id = ${userId} and f.withdrawn_at is null
            and not exists (select 1 from close_payers cp
                            where cp.period = f.period and cp.user_id = ${userId})
            and not exists (select 1 from closed_periods c
                            where c.period = f.period and c.closed_at is not null))
        select o.period,
               coalesce((select amount from budgets b
                         where b.user_id = ${userId} and b.currency = ${config.currency}), 0)::text as budget,
               coalesce((select balance from ledger_balances
                         where account = ${walletAccount(userId)} and currency = ${config.currency}), 0)::text as balance
        from (select null::text as period union all select period from open_periods) o
        order by o.period nulls first`,
  );
  const balance = BigInt(rows[0]?.balance ?? "0");
  const budget = BigInt(rows[0]?.budget ?? "0");
  const committedPeriods = rows.flatMap((r) => (r.period === null ? [] : [r.period]));
  const wanted = budget * BigInt(committedPeriods.length);
  const committed = wanted < balance ? wanted : balance;
  return {
    currency: config.currency,
    balance,
    committed,
    withdrawable: balance - committed,
    committedPeriods,
  };
}
