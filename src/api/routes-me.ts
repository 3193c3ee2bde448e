import { Hono } from "hono";
import { getBudget, setBudget } from "../flattr/budget.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { walletBalance } from "../flattr/wallet.ts";
import { apiUser } from "../http/bearer.ts";
import type { AppEnv } from "../http/env.ts";
import { profileUrl } from "../http/urls.ts";
import { formatAmount } from "../money/decimal.ts";
import { amountField, readJson } from "./input.ts";

export function meRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/me", async (c) => {
    const user = await apiUser(c, "read");
    const { config, database, clock } = c.var.deps;
    const [balance, budget] = await Promise.all([
      walletBalance(database.db, config, user.id),
      getBudget(database.db, config, user.id),
    ]);
    const amt = (v: bigint) => formatAmount(v, config.currency);
    return c.json({
      id: user.id,
      username: user.username,
      display_name: user.displayName,
      url: profileUrl(config, user.username),
      currency: config.currency,
      wallet_balance: amt(balance),
      budget: budget ? amt(budget.amount) : null,
      period: currentPeriod(clock, config),
      fee_bp: config.feeBp,
      min_budget: amt(config.minBudget),
      max_budget: amt(config.maxBudget),
    });
  });

  app.put("/me/budget", async (c) => {
    const user = await apiUser(c, "write");
    const { config, database, clock } = c.var.deps;
    const body = await readJson(c);
    const amount = amountField(body, "amount", config.currency);
    const r = await setBudget(database.db, clock, config, user.id, amount);
    const amt = (v: bigint) => formatAmount(v, config.currency);
    return c.json({
      budget: amt(r.budget.amount),
      currency: r.budget.currency,
      updated_at: r.budget.updatedAt.toISOString(),
      wallet_balance: amt(r.walletBalance),
      above_balance: r.aboveBalance,
      warning: r.aboveBalance
        ? `Your budget (${amt(r.budget.amount)} ${config.currency}) is above your wallet balance (${amt(r.walletBalance)} ${config.currency}): at the end of the month only what is in the wallet is split. Top up to give the full budget.`
        : null,
    });
  });

  return app;
}
