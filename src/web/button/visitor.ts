import type { Config } from "../../config/config.ts";
import type { Db } from "../../db/client.ts";
import { type Budget, getBudget } from "../../flattr/budget.ts";
import { walletBalance } from "../../flattr/wallet.ts";
import type { PerFlattr } from "../../money/split.ts";
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
  /** "About X each" with one more flattr; `oneMore.each` is exactly what that flattr would get. */
  oneMore: PerFlattr;
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
    oneMore: values.oneMore,
  };
}
