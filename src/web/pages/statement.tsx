import { Hono } from "hono";
import { currentPeriod } from "../../flattr/current-period.ts";
import type { AppEnv } from "../../http/env.ts";
import { type Statement, statement } from "../../settlement/statement.ts";
import { statementCsv } from "../../settlement/statement-csv.ts";
import { EarningsTable } from "../earnings-table.tsx";
import { Amount, moneyPage, parsePeriodParam, periodLabel, problemPage } from "../money-ui.tsx";
import { movementLabel } from "../movement-label.ts";
import { requireLogin, requireUser } from "../session.ts";
import { ShareRoute } from "../share-route.tsx";

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

function PayerSection(props: { s: Statement; timeZone: string }) {
  const { s } = props;
  const p = s.payer;
  const cur = s.currency;
  return (
    <section>
      <h2>Your wallet</h2>
      <div class="table-wrap">
        <table data-testid="movements">
          <tbody>
            <tr>
              <td colspan={2}>Opening balance</td>
              <td class="num">
                <Amount minor={p.opening} currency={cur} />
              </td>
            </tr>
            {p.movements.map((m) => (
              <tr>
                <td class="date">{day(m.createdAt, props.timeZone)}</td>
                <td>{movementLabel(m.kind, s.period, m.metadata)}</td>
                <td class="num">
                  <Amount minor={m.amount} currency={cur} />
                </td>
              </tr>
            ))}
            <tr>
              <th colspan={2}>Closing balance</th>
              <th class="num">
                <Amount minor={p.closing} currency={cur} />
              </th>
            </tr>
          </tbody>
        </table>
      </div>
      <h2>Your flattrs</h2>
      {p.flattrs.length === 0 ? (
        <p class="muted">You flattred nothing in {periodLabel(s.period)}.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="flattrs">
            <tbody>
              {p.flattrs.map((f) => (
                <tr>
                  <td>
                    <a href={`/things/${f.thingId}`}>{f.title}</a>
                  </td>
                  <td>{f.owner.username && `@${f.owner.username}`}</td>
                  <td>
                    <ShareRoute flattr={f} currency={cur} timeZone={props.timeZone} />
                  </td>
                  <td class="num">
                    <Amount minor={f.value} currency={cur} />
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td colspan={3}>Given (min of budget and wallet)</td>
                <td class="num">
                  <Amount minor={p.spent} currency={cur} />
                </td>
              </tr>
              <tr>
                <td colspan={3}>Instance fee</td>
                <td class="num">
                  <Amount minor={p.fee} currency={cur} />
                </td>
              </tr>
              <tr>
                <th colspan={3}>To creators</th>
                <th class="num">
                  <Amount minor={p.toCreators} currency={cur} />
                </th>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
}

function CreatorSection(props: { s: Statement }) {
  const e = props.s.creator;
  return (
    <section>
      <h2>Your earnings</h2>
      <EarningsTable earnings={e} testId="earnings" />
    </section>
  );
}

export function statementRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // One segment, "YYYY-MM" or "YYYY-MM.csv".
  app.get("/statements/:file", requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const user = requireUser(c);
    const file = c.req.param("file");
    const m = /^(\d{4}-\d{2})(\.csv)?$/.exec(file);
    const period = parsePeriodParam(m?.[1]);
    const now = currentPeriod(clock, config);
    if (!m || !period)
      return problemPage(
        c,
        400,
        "Statement",
        `"${file.slice(0, 20)}" is not a month: use /statements/YYYY-MM or /statements/YYYY-MM.csv.`,
      );
    if (period > now)
      return problemPage(c, 400, "Statement", `${periodLabel(period)} has not started yet.`);

    if (m[2]) {
      const csv = await statementCsv(database.db, config, user.id, period);
      return c.body(csv, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="fediflattr-${user.username}-${period}.csv"`,
        "cache-control": "private, no-store",
      });
    }
    const s = await statement(database.db, config, user.id, period);
    return moneyPage(
      c,
      { title: `Statement for ${periodLabel(period)}` },
      <>
        <p class="muted" data-testid="status">
          {s.final
            ? "Final: the month is closed."
            : s.status === "closing"
              ? "The month is being closed right now; amounts are still projected."
              : "Projected: the month is not closed yet, so the flattr values may still change."}
        </p>
        <p>
          <a href={`/statements/${period}.csv`} download>
            Download as CSV
          </a>
        </p>
        <PayerSection s={s} timeZone={config.timeZone} />
        <CreatorSection s={s} />
      </>,
    );
  });

  return app;
}
