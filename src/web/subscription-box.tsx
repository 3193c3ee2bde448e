import type { Subscription, SubscriptionRun } from "../flattr/subscriptions.ts";
import { SUBSCRIPTION_MONTHS } from "../flattr/subscriptions.ts";
import { CsrfField } from "./layout.tsx";
import { periodLabel } from "./money-ui.tsx";

/*
 * The thing page's "Flattr this every month" box (src/flattr/subscriptions.ts): a form to
 * subscribe for 3, 6 or 12 months, or the running subscription with every month's outcome (a
 * month that could not be flattred says why) and a way to cancel.
 */

function runText(r: SubscriptionRun): string {
  if (r.outcome === "flattred") return "flattred";
  if (r.outcome === "already_flattred") return "flattred (by you, before the subscription did)";
  if (r.outcome === "running") return "being flattred";
  return `not flattred: ${r.message ?? r.outcome}`;
}

export function SubscriptionBox(props: {
  thingId: number;
  subscription: Subscription | null;
  csrfToken: string;
}) {
  const s = props.subscription;
  if (!s)
    return (
      <form
        method="post"
        action={`/things/${props.thingId}/subscribe`}
        class="inline"
        data-testid="subscribe"
      >
        <CsrfField token={props.csrfToken} />
        <label>
          Flattr this every month for
          <select name="months">
            {SUBSCRIPTION_MONTHS.map((m) => (
              <option value={String(m)}>{m} months</option>
            ))}
          </select>
        </label>
        <button type="submit">Subscribe</button>
      </form>
    );
  return (
    <section data-testid="subscription">
      <p>
        You flattr this every month from {periodLabel(s.firstPeriod)} to {periodLabel(s.lastPeriod)}{" "}
        ({s.months} months). A month that cannot be flattred (no budget, the monthly limit) still
        counts.
      </p>
      <ul>
        {s.runs.map((r) => (
          <li data-period={r.period} data-outcome={r.outcome}>
            {periodLabel(r.period)}: {runText(r)}
          </li>
        ))}
      </ul>
      <form method="post" action={`/things/${props.thingId}/unsubscribe`} class="inline">
        <CsrfField token={props.csrfToken} />
        <button type="submit">Cancel the subscription</button>
      </form>
    </section>
  );
}

/** The /flattrs page's list of the payer's running subscriptions and how their last month went. */
export function SubscriptionList(props: {
  subscriptions: (Subscription & { thingTitle: string })[];
  currentPeriod: string;
}) {
  const live = props.subscriptions.filter(
    (s) => s.cancelledAt === null && s.lastPeriod >= props.currentPeriod,
  );
  if (live.length === 0) return null;
  return (
    <section data-testid="subscriptions">
      <h2>Your subscriptions</h2>
      <ul>
        {live.map((s) => {
          const last = s.runs.at(-1);
          return (
            <li data-subscription-id={s.id}>
              <a href={`/things/${s.thingId}`}>{s.thingTitle}</a>
              {`: every month until ${periodLabel(s.lastPeriod)}`}
              {last && ` (${periodLabel(last.period)}: ${runText(last)})`}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
