import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getBudget, setBudget } from "../../flattr/budget.ts";
import { FlattrError } from "../../flattr/errors.ts";
import { walletBalance } from "../../flattr/wallet.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { formatAmount, parseAmount } from "../../money/decimal.ts";
import { formatFeeRate } from "../../money/fee.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { Amount, money, moneyPage } from "../money-ui.tsx";
import { requireLogin, requireUser } from "../session.ts";

function FeeNote(props: { feeBp: number }) {
  if (props.feeBp === 0)
    return (
      <p data-testid="fee-note">
        This instance keeps no fee: everything you give goes to the people you flattr.
      </p>
    );
  return (
    <p data-testid="fee-note">
      The instance keeps <strong>{formatFeeRate(props.feeBp)}</strong> of what you give; the rest
      goes to the people you flattr.
    </p>
  );
}

async function budgetPage(
  c: Context<AppEnv>,
  options: {
    status?: ContentfulStatusCode;
    error?: string;
    notice?: string;
    entered?: string;
  } = {},
) {
  const { config, database } = c.var.deps;
  const user = requireUser(c);
  const [budget, balance] = await Promise.all([
    getBudget(database.db, config, user.id),
    walletBalance(database.db, config, user.id),
  ]);
  const cur = config.currency;
  const value = options.entered ?? (budget ? formatAmount(budget.amount, cur) : "");
  return moneyPage(
    c,
    { title: "Monthly budget", status: options.status, section: "budget" },
    <>
      <FormMessage error={options.error} notice={options.notice} />
      <p>
        Your budget:{" "}
        <span class="big" data-testid="budget">
          {budget ? <Amount minor={budget.amount} currency={cur} /> : "not set"}
        </span>
        {budget && " a month"}
      </p>
      <p>
        Wallet balance: <Amount minor={balance} currency={cur} /> (<a href="/wallet">top up</a>)
      </p>
      {budget && budget.amount > balance && (
        <p class="warning" role="alert" data-testid="budget-warning">
          Your budget is above your wallet balance. At the end of the month only what is in your
          wallet, <Amount minor={balance} currency={cur} /> right now, is shared between your
          flattrs. Top up your wallet to give your whole budget.
        </p>
      )}
      <form method="post" action="/budget" class="stack">
        <CsrfField token={c.var.csrfToken} />
        <label>
          New monthly budget ({cur})
          <input
            type="text"
            name="amount"
            value={value}
            inputmode="decimal"
            autocomplete="off"
            required
            placeholder={formatAmount(config.minBudget, cur)}
          />
          <small>
            Between {money(config.minBudget, cur)} and {money(config.maxBudget, cur)}, e.g.{" "}
            {formatAmount(config.minBudget, cur)}.
          </small>
        </label>
        <FeeNote feeBp={config.feeBp} />
        <button type="submit">Save budget</button>
      </form>
      <h2>How it works</h2>
      <p>
        At the end of each month your budget is shared equally between everything you flattred that
        month, to the cent. If your wallet holds less than your budget, what is there is shared.
      </p>
      <p>
        Unspent budget stays in your wallet: in a month without flattrs nothing is taken, and
        nothing is given away for you.
      </p>
    </>,
  );
}

export function budgetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/budget", requireLogin(), (c) =>
    budgetPage(c, {
      notice: c.req.query("saved") !== undefined ? "Your budget was saved." : undefined,
    }),
  );

  app.post("/budget", formGuard(), requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const entered = (await readForm(c)).get("amount").trim();
    const amount = parseAmount(entered, config.currency);
    const shown = entered.slice(0, 40);
    const example = formatAmount(config.minBudget, config.currency);
    if (amount === null)
      return budgetPage(c, {
        status: 422,
        entered: shown,
        error:
          entered === ""
            ? `Enter how much your flattrs may share each month, for example ${example}.`
            : `"${shown}" is not an amount in ${config.currency}: write it like ${example}.`,
      });
    try {
      await setBudget(database.db, clock, config, user.id, amount);
    } catch (e) {
      if (!(e instanceof FlattrError)) throw e;
      return budgetPage(c, { status: errorStatus(e.code), entered: shown, error: e.message });
    }
    return c.redirect("/budget?saved", 303);
  });

  return app;
}
