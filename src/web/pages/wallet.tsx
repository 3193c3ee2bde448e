import { Hono } from "hono";
import { getBudget } from "../../flattr/budget.ts";
import { walletBalance } from "../../flattr/wallet.ts";
import type { AppEnv } from "../../http/env.ts";
import { paymentProviders } from "../../settlement/providers/index.ts";
import { type WalletMovement, walletHistory } from "../../settlement/wallet-history.ts";
import { Amount, moneyPage, parseId, problemPage } from "../money-ui.tsx";
import { movementLabel } from "../movement-label.ts";
import { requireLogin, requireUser } from "../session.ts";
import { TopUpBox } from "./top-up-box.tsx";

const PAGE_SIZE = 50;

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

function History(props: { items: WalletMovement[]; currency: string; timeZone: string }) {
  if (props.items.length === 0)
    return <p class="muted">Nothing yet: your first transfer will show up here.</p>;
  return (
    <div class="table-wrap">
      <table data-testid="history">
        <thead>
          <tr>
            <th>Date</th>
            <th>What</th>
            <th class="num">Amount</th>
            <th class="num">Balance</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((m) => (
            <tr data-entry-id={m.entryId} data-kind={m.kind}>
              <td class="date">{day(m.createdAt, props.timeZone)}</td>
              <td>
                {m.kind === "close" && m.period ? (
                  <a href={`/statements/${m.period}`}>
                    {movementLabel(m.kind, m.period, m.metadata)}
                  </a>
                ) : (
                  movementLabel(m.kind, m.period, m.metadata)
                )}
              </td>
              <td class="num">
                <Amount minor={m.amount} currency={props.currency} />
              </td>
              <td class="num">
                <Amount minor={m.balance} currency={props.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function walletRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/wallet", requireLogin(), async (c) => {
    const { config, database } = c.var.deps;
    const user = requireUser(c);
    const rawBefore = c.req.query("before");
    const before = rawBefore === undefined ? null : parseId(rawBefore);
    if (rawBefore !== undefined && before === null)
      return problemPage(
        c,
        400,
        "Wallet",
        "That page of your wallet history does not exist.",
        "wallet",
      );
    const cur = config.currency;
    const providers = paymentProviders(config);
    const [balance, budget, history, topUps] = await Promise.all([
      walletBalance(database.db, config, user.id),
      getBudget(database.db, config, user.id),
      walletHistory(database.db, config, user.id, { limit: PAGE_SIZE, before }),
      Promise.all(
        providers.map((p) => p.startTopUp({ userId: user.id, amount: null, currency: cur })),
      ),
    ]);
    return moneyPage(
      c,
      { title: "Wallet", section: "wallet" },
      <>
        <p>
          Balance:{" "}
          <span class="big" data-testid="balance">
            <Amount minor={balance} currency={cur} />
          </span>
        </p>
        <p>
          {budget ? (
            <>
              Monthly budget: <Amount minor={budget.amount} currency={cur} /> (
              <a href="/budget">change</a>). At the end of each month up to this much is shared
              between your flattrs; the rest stays here.
            </>
          ) : (
            <>
              No monthly budget yet: <a href="/budget">set one</a> to start flattring.
            </>
          )}
        </p>
        <h2>Top up</h2>
        {topUps.map((start, i) => (
          <>
            {providers.length > 1 && <h3>{providers[i]!.name}</h3>}
            <TopUpBox start={start} />
          </>
        ))}
        <h2>History</h2>
        {before !== null && (
          <p>
            <a href="/wallet">Newest first</a>
          </p>
        )}
        <History items={history.items} currency={cur} timeZone={config.timeZone} />
        {history.nextBefore !== null && (
          <p>
            <a href={`/wallet?before=${history.nextBefore}`}>Older movements</a>
          </p>
        )}
      </>,
    );
  });

  return app;
}
