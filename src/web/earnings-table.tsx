import type { Earnings } from "../settlement/earnings.ts";
import { Amount, periodLabel } from "./money-ui.tsx";

/** A creator's revenue per thing in one month, with the total: earnings page and statements. */
export function EarningsTable(props: { earnings: Earnings; testId: string }) {
  const e = props.earnings;
  if (e.things.length === 0)
    return <p class="muted">None of your things was flattred in {periodLabel(e.period)}.</p>;
  return (
    <div class="table-wrap">
      <table data-testid={props.testId}>
        <thead>
          <tr>
            <th>Thing</th>
            <th class="num">Flattrs</th>
            <th class="num">Revenue</th>
          </tr>
        </thead>
        <tbody>
          {e.things.map((t) => (
            <tr data-thing-id={t.thingId}>
              <td>
                <a href={`/things/${t.thingId}`}>{t.title}</a>
              </td>
              <td class="num">{t.flattrs}</td>
              <td class="num">
                <Amount minor={t.amount} currency={e.currency} />
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th>Total</th>
            <th class="num">{e.flattrs}</th>
            <th class="num">
              <Amount minor={e.total} currency={e.currency} />
            </th>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
