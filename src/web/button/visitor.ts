import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { type Budget, getBudget } from "../../flattr/budget.ts";
import { walletBalance } from "../../flattr/wallet.ts";
import { fee } from "../../money/fee.ts";
import type { Period } from "../../periods/period.ts";
import { type FlattrValue, flattrValues } from "../../settlement/values.ts";

/** What the confirmation page tells a payer about their money before they confirm. */
export interface VisitorMoney {
  period: Period;
  currency: string;
  budget: Budget | null;
  balance: bigint;
  /** min(budget, balance): what the close would share out if the month ended now. */
  amount: bigint;
  /** The instance fee on `amount`. */
  fee: bigint;
  /** The visitor's active flattrs this period. */
  flattrs: FlattrValue[];
}

export async function visitorMoney(
  db: Db,
  config: Config,
  userId: number,
  period: Period,
): Promise<VisitorMoney> {
  const [budget, balance, values] = await Promise.all([
    getBudget(db, config, userId),
    walletBalance(db, config, userId),
    flattrValues(db, config, userId, period),
  ]);
  return {
    period,
    currency: config.currency,
    budget,
    balance,
    amount: values.amount,
    fee: values.fee,
    flattrs: values.flattrs,
  };
}

/**
 * Roughly what each flattr would get if the month ended now with `count` flattrs: the smallest
 * share of the largest-remainder split (some get one minor unit more).
 */
export function shareEach(money: VisitorMoney, count: number, feeBp: number): bigint {
  if (count < 1) return 0n;
  const net = money.amount - fee(money.amount, feeBp);
  return net / BigInt(count);
}
