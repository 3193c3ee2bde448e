import { eq, sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, queryRows } from "../db/client.ts";
import { budgets } from "../db/schema/flattr.ts";
import { formatMoney } from "../money/format.ts";
import { FlattrError } from "./errors.ts";
import { walletBalance } from "./wallet.ts";

export interface Budget {
  amount: bigint;
  currency: string;
  updatedAt: Date;
}

export interface SetBudgetResult {
  budget: Budget;
  walletBalance: bigint;
  /** The budget is above the wallet balance: the close will take only what is there. */
  aboveBalance: boolean;
}

/** The user's monthly budget in the instance currency, or null if none is set. */
export async function getBudget(db: Db, config: Config, userId: number): Promise<Budget | null> {
  const [row] = await db.select().from(budgets).where(eq(budgets.userId, userId));
  if (!row || row.currency !== config.currency) return null;
  return { amount: row.amount, currency: row.currency, updatedAt: row.updatedAt };
}

/**
 * Sets the monthly budget (minor units of config.currency) within [minBudget, maxBudget]. A budget
 * above the wallet balance is allowed (the close takes min(budget, balance)) and flagged.
 */
export async function setBudget(
  db: Db,
  clock: Clock,
  config: Config,
  userId: number,
  amount: bigint,
): Promise<SetBudgetResult> {
  // Every amount people read goes through the one formatter ("€2.00"), errors included.
  const fmt = (v: bigint) => formatMoney(v, config.currency);
  if (amount < config.minBudget)
    throw new FlattrError(
      "budget_too_low",
      `The monthly budget must be at least ${fmt(config.minBudget)}; ${fmt(amount)} is too low.`,
    );
  if (amount > config.maxBudget)
    throw new FlattrError(
      "budget_too_high",
      `The monthly budget can be at most ${fmt(config.maxBudget)}; ${fmt(amount)} is too high.`,
    );
  const exists = await queryRows(db, sql`select 1 from users where id = ${userId}`);
  if (exists.length === 0) throw new FlattrError("user_not_found", "No such user.");
  const updatedAt = clock.now();
  await db
    .insert(budgets)
    .values({ userId, amount, currency: config.currency, updatedAt })
    .onConflictDoUpdate({
      target: budgets.userId,
      set: { amount, currency: config.currency, updatedAt },
    });
  const balance = await walletBalance(db, config, userId);
  return {
    budget: { amount, currency: config.currency, updatedAt },
    walletBalance: balance,
    aboveBalance: amount > balance,
  };
}
