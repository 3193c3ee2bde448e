import { Hono } from "hono";
import { getBudget } from "../../flattr/budget.ts";
import { currentPeriod } from "../../flattr/current-period.ts";
import type { AppEnv } from "../../http/env.ts";
import { formatFeeRate } from "../../money/fee.ts";
import { type MyFlattrs, myFlattrs } from "../../settlement/my-flattrs.ts";
import { type WithdrawnFlattr, withdrawnFlattrs } from "../../settlement/withdrawn-flattrs.ts";
import {
  Amount,
  money,
  moneyPage,
  PeriodSelect,
  periodFromQuery,
  periodLabel,
  recentPeriods,
} from "../money-ui.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { CreatorLink, ShareRoute } from "../share-route.tsx";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Why this instance, not the payer, withdrew a flattr, in words. */
function withdrawnBecause(reason: string): string {
  switch (reason) {
    case "domain_blocked":
      return "its creator's server was blocked by this instance's administrators";
    case "own_thing":
      return "it turned out to be your own";
    default:
      return reason;
  }
}

/** Flattrs of the month this instance withdrew: not in the split, and the payer sees why. */
function Withdrawn(props: { flattrs: WithdrawnFlattr[] }) {
  if (props.flattrs.length === 0) return null;
  return (
    <section data-testid="withdrawn">
      <h2>Withdrawn by this instance</h2>
      <p class="muted">These no longer share your budget this month.</p>
      <ul>
        {props.flattrs.map((f) => (
          <li data-thing-id={f.thingId} data-reason={f.withdrawnReason}>
            <a href={`/things/${f.thingId}`}>{f.title}</a>: {withdrawnBecause(f.withdrawnReason)}.
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "€5.00 over 7 flattrs = about €0.71 each", with the fee spelled out when there is one. */
function Headline(props: { values: MyFlattrs; feeBp: number }) {
  const { values } = props;
  const cur = values.currency;
  const n = values.flattrs.length;
  const net = values.amount - values.fee;
  const each = values.each;
  if (!each) return null;
  return (
    <p class="big-line" data-testid="headline">
      {values.fee > 0n && (
        <>
          <Amount minor={values.amount} currency={cur} /> −{" "}
          <Amount minor={values.fee} currency={cur} /> instance fee ({formatFeeRate(props.feeBp)}) ={" "}
        </>
      )}
      <strong>
        <Amount minor={net} currency={cur} />
      </strong>{" "}
      over {plural(n, "flattr")} = {each.exact ? "" : "about "}
      <strong>{money(each.each, cur)}</strong> each
    </p>
  );
}

export function flattrsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/flattrs", requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const now = currentPeriod(clock, config);
    const { period, problem } = periodFromQuery(c, now, "Your flattrs", "flattrs");
    if (problem) return problem;
    const [values, budget, withdrawn] = await Promise.all([
      myFlattrs(database.db, config, clock, user.id, period),
      getBudget(database.db, config, user.id),
      withdrawnFlattrs(database.db, user.id, period),
    ]);
    const cur = values.currency;
    const n = values.flattrs.length;
    const title = period === now ? "This month" : periodLabel(period);
    return moneyPage(
      c,
      { title, section: "flattrs" },
      <>
        <PeriodSelect
          action="/flattrs"
          selected={period}
          periods={recentPeriods(clock.now(), config.timeZone, 12)}
        />
        <p class="muted" data-testid="status">
          {values.final
            ? `${periodLabel(period)} is closed: these are the final values, as paid.`
            : values.status === "closing"
              ? `${periodLabel(period)} is being closed right now; values are still projected.`
              : `${periodLabel(period)}: projected values. They change when you flattr, unflattr or top up, and are final when the month is closed.`}
        </p>
        {n === 0 ? (
          <p>
            No flattrs in {periodLabel(period)}.
            {period === now &&
              " Flattr things you like; at the end of the month your budget is shared between them."}
          </p>
        ) : (
          <>
            <Headline values={values} feeBp={config.feeBp} />
            {!values.final && !budget && (
              <p class="warning" role="alert">
                You have no monthly budget, so these flattrs are worth nothing yet.{" "}
                <a href="/budget">Set a budget</a>.
              </p>
            )}
            {!values.final && budget && values.amount < budget.amount && (
              <p class="warning" role="alert" data-testid="wallet-short">
                Your wallet holds only <Amount minor={values.amount} currency={cur} /> of your{" "}
                <Amount minor={budget.amount} currency={cur} /> budget. <a href="/wallet">Top up</a>{" "}
                to give your whole budget.
              </p>
            )}
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Thing</th>
                    <th>By</th>
                    <th>Share goes</th>
                    <th class="num">{values.final ? "Paid" : "Projected"}</th>
                  </tr>
                </thead>
                <tbody>
                  {values.flattrs.map((f) => (
                    <tr data-thing-id={f.thingId}>
                      <td>
                        <a href={`/things/${f.thingId}`}>{f.title}</a>
                      </td>
                      <td>
                        <CreatorLink flattr={f} />
                      </td>
                      <td>
                        <ShareRoute flattr={f} currency={cur} timeZone={config.timeZone} />
                      </td>
                      <td class="num">
                        <Amount minor={f.value} currency={cur} />
                      </td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th colspan={3}>To creators</th>
                    <th class="num">
                      <Amount minor={values.amount - values.fee} currency={cur} />
                    </th>
                  </tr>
                </tfoot>
              </table>
            </div>
            <p class="muted">
              The split is exact to the cent: when it does not divide evenly, the first flattrs of
              the month get one cent more.
            </p>
          </>
        )}
        <Withdrawn flattrs={withdrawn} />
        {period !== now && (
          <p>
            <a href={`/statements/${period}`}>Statement for {periodLabel(period)}</a>
          </p>
        )}
      </>,
    );
  });

  return app;
}
