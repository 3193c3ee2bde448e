import { getBudget, setBudget } from "../flattr/budget.ts";
import { currentPeriod } from "../flattr/current-period.ts";
import { walletBalance } from "../flattr/wallet.ts";
import { endpoint } from "../http/endpoint.ts";
import { profileUrl } from "../http/urls.ts";
import { formatAmount } from "../money/decimal.ts";
import { amountIn } from "./input.ts";
import { BODY_ERRORS } from "./responses.ts";
import { BudgetInput, BudgetResult, Me, type Out } from "./schemas.ts";

const getMe = endpoint(
  {
    method: "get",
    path: "/me",
    operationId: "getMe",
    summary: "The token's user: wallet balance, budget, currency",
    tags: ["me"],
    auth: "read",
    responses: { 200: { description: "The user.", json: Me } },
  },
  async (c, { user }) => {
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
    } satisfies Out<typeof Me>);
  },
);

const putBudget = endpoint(
  {
    method: "put",
    path: "/me/budget",
    operationId: "setBudget",
    summary: "Set the monthly budget",
    description:
      "Between min_budget and max_budget (422 budget_too_low / budget_too_high otherwise). " +
      "A budget above the wallet balance is accepted with a `warning`.",
    tags: ["me"],
    auth: "write",
    body: BudgetInput,
    bodyExample: { amount: "5.00" },
    responses: { 200: { description: "The budget was set.", json: BudgetResult }, ...BODY_ERRORS },
  },
  async (c, { user, body }) => {
    const { config, database, clock } = c.var.deps;
    const amount = amountIn(body.amount, "amount", config.currency);
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
    } satisfies Out<typeof BudgetResult>);
  },
);

export const meEndpoints = [getMe, putBudget];
