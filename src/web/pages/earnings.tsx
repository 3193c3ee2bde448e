import { Hono } from "hono";
import { currentPeriod } from "../../flattr/current-period.ts";
import type { AppEnv } from "../../http/env.ts";
import { type Period, periodsEnding } from "../../periods/period.ts";
import { awaitingFromPeers } from "../../settlement/awaiting.ts";
import {
  type Earnings,
  earnings,
  earningsByMonth,
  type IncomingFlattrer,
  incomingFlattrers,
  type MonthEarnings,
} from "../../settlement/earnings.ts";
import { BarChart } from "../bar-chart.tsx";
import { EarningsTable } from "../earnings-table.tsx";
import {
  Amount,
  moneyPage,
  PeriodSelect,
  periodFromQuery,
  periodLabel,
  recentPeriods,
} from "../money-ui.tsx";
import { requireLogin, requireUser } from "../session.ts";

/** In words; a month that has ended but is not closed yet waits for the close. */
function statusText(status: Earnings["status"], period: Period, current: Period): string {
  if (status === "closed") return "final";
  if (status === "closing") return "being closed";
  return period < current ? "awaiting the close" : "projected";
}

const shortMonth = (period: Period) =>
  new Date(`${period}-01T00:00:00Z`).toLocaleString("en", { month: "short", timeZone: "UTC" });

function MonthTable(props: { months: MonthEarnings[]; currency: string; current: Period }) {
  const rows = [...props.months].reverse().filter((m) => m.flattrs > 0 || m.posted !== 0n);
  if (rows.length === 0) return <p class="muted">No earnings in the last 12 months yet.</p>;
  return (
    <div class="table-wrap">
      <table data-testid="months">
        <thead>
          <tr>
            <th>Month</th>
            <th class="num">Flattrs</th>
            <th class="num">Revenue</th>
            <th>Statement</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr data-period={m.period}>
              <td>
                <a href={`/earnings?period=${m.period}`}>{periodLabel(m.period)}</a>
                {m.status !== "closed" && (
                  <small class="muted"> {statusText(m.status, m.period, props.current)}</small>
                )}
              </td>
              <td class="num">{m.flattrs}</td>
              <td class="num">
                <Amount minor={m.total} currency={props.currency} />
              </td>
              <td>
                <a href={`/statements/${m.period}`}>view</a>{" "}
                <a href={`/statements/${m.period}.csv`} download>
                  CSV
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Who flattred the creator's things from other servers: their money comes with that server's settlement. */
function RemoteFlattrers(props: { flattrers: IncomingFlattrer[]; period: Period }) {
  if (props.flattrers.length === 0) return null;
  return (
    <>
      <h3>From other servers</h3>
      <p class="muted">
        These people flattred your things from their own Fediflattr servers. They count above; what
        they are worth arrives when their server settles {periodLabel(props.period)} with this one.
      </p>
      <ul data-testid="remote-flattrers">
        {props.flattrers.map((f) => (
          <li>
            <a href={f.url} rel="nofollow noopener noreferrer ugc">
              {f.name ? `${f.name} (@${f.handle})` : `@${f.handle}`}
            </a>{" "}
            <small class="muted">remote, via {f.host}</small> flattred{" "}
            <a href={`/things/${f.thingId}`}>{f.title}</a>
          </li>
        ))}
      </ul>
    </>
  );
}

export function earningsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/earnings", requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const now = currentPeriod(clock, config);
    const { period, problem } = periodFromQuery(c, now, "Earnings", "earnings");
    if (problem) return problem;
    const [byMonth, selected, remote, awaiting] = await Promise.all([
      earningsByMonth(database.db, config, user.id, periodsEnding(now, 12)),
      earnings(database.db, config, user.id, period),
      incomingFlattrers(database.db, user.id, period),
      awaitingFromPeers(database.db, user.id),
    ]);
    const cur = byMonth.currency;
    const bars = byMonth.months.map((m) => ({
      label: shortMonth(m.period),
      sublabel: m.period.endsWith("-01") || m === byMonth.months[0] ? m.period.slice(0, 4) : "",
      value: m.total,
      title: `${periodLabel(m.period)}: ${m.flattrs} flattrs, ${statusText(m.status, m.period, now)}`,
      provisional: m.status !== "closed",
    }));
    return moneyPage(
      c,
      { title: "Earnings", section: "earnings" },
      <>
        <BarChart
          bars={bars}
          currency={cur}
          caption="Revenue of the last 12 months; lighter bars are not final yet."
        />
        <h2>{periodLabel(period)}</h2>
        <PeriodSelect
          action="/earnings"
          selected={period}
          periods={recentPeriods(clock.now(), config.timeZone, 12)}
        />
        <p data-testid="period-total">
          <span class="big">
            <Amount minor={selected.total} currency={cur} />
          </span>{" "}
          from {selected.flattrs} {selected.flattrs === 1 ? "flattr" : "flattrs"} (
          {statusText(selected.status, period, now)})
        </p>
        {selected.status === "open" && period === now && (
          <p class="muted">
            Projected from your flattrers' budgets and wallets as they are now; final once the month
            is closed.
          </p>
        )}
        {selected.final && selected.posted !== selected.total && (
          <p class="warning">
            Your earnings account was credited <Amount minor={selected.posted} currency={cur} /> for{" "}
            {periodLabel(period)}: part of the close was reversed by the administrator.
          </p>
        )}
        <EarningsTable earnings={selected} testId="things" />
        <RemoteFlattrers flattrers={remote} period={period} />
        {awaiting.length > 0 && (
          <p data-testid="awaiting">
            Credited by other servers but not payable yet, until their transfers arrive:{" "}
            {awaiting.map((a, i) => (
              <>
                {i > 0 && ", "}
                <Amount minor={a.amount} currency={cur} /> awaiting {a.peerHost}
              </>
            ))}
            .
          </p>
        )}
        <h2>By month</h2>
        <MonthTable months={byMonth.months} currency={cur} current={now} />
      </>,
    );
  });

  return app;
}
