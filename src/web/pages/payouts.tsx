import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { parseAmount } from "../../money/decimal.ts";
import { payableEarnings } from "../../settlement/payable.ts";
import { getPayoutDetails, setPayoutDetails } from "../../settlement/payout-details.ts";
import {
  cancelPayout,
  myPayouts,
  type Payout,
  type PayoutSource,
  requestPayout,
} from "../../settlement/payouts.ts";
import { withdrawableWallet } from "../../settlement/withdrawable.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { Amount, money, moneyPage, parseId, periodLabel } from "../money-ui.tsx";
import { requireLogin } from "../session.ts";

/*
 * /payouts: a person's way out of the instance. Payable earnings (issue 10 point 8) and unspent
 * wallet money (issue 12 point 4) are requested here, paid by bank transfer once an admin
 * approves; the payout details are set here too. Every rule and its wording is the doors'
 * (src/settlement/payouts.ts, payout-details.ts).
 */

const STATUS_WORDS: Record<Payout["status"], string> = {
  requested: "waiting for approval",
  approved: "approved, transfer under way",
  paid: "paid",
  failed: "failed, money returned",
  cancelled: "cancelled",
};

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

function PayoutTable(props: { payouts: Payout[]; timeZone: string; csrf: string }) {
  if (props.payouts.length === 0) return <p class="muted">No payouts yet.</p>;
  return (
    <div class="table-wrap">
      <table data-testid="payouts">
        <thead>
          <tr>
            <th>Requested</th>
            <th>What</th>
            <th class="num">Amount</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.payouts.map((p) => (
            <tr data-payout-id={p.id} data-status={p.status}>
              <td class="date">{day(p.requestedAt, props.timeZone)}</td>
              <td>
                {p.source === "earnings" ? "Payout" : "Wallet withdrawal"} #{p.id} to{" "}
                <code>{p.iban}</code>
              </td>
              <td class="num">
                <Amount minor={p.amount} currency={p.currency} />
              </td>
              <td>
                {STATUS_WORDS[p.status]}
                {p.note && <small class="muted"> ({p.note})</small>}
              </td>
              <td>
                {p.status === "requested" && (
                  <form method="post" action={`/payouts/${p.id}/cancel`} class="inline">
                    <CsrfField token={props.csrf} />
                    <button type="submit">Cancel</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Feedback {
  status?: ContentfulStatusCode;
  error?: string;
  notice?: string;
  details?: { holder: string; iban: string; bic: string };
}

async function payoutsPage(c: Context<AppEnv>, fb: Feedback = {}) {
  const { config, database, clock } = c.var.deps;
  const user = c.var.user!;
  const db = database.db;
  const [earnings, wallet, details, payouts] = await Promise.all([
    payableEarnings(db, clock, config, user.id),
    withdrawableWallet(db, config, user.id),
    getPayoutDetails(db, user.id),
    myPayouts(db, user.id),
  ]);
  const cur = config.currency;
  const form = fb.details ?? {
    holder: details?.holder ?? "",
    iban: details?.iban ?? "",
    bic: details?.bic ?? "",
  };
  const csrf = c.var.csrfToken;
  return moneyPage(
    c,
    { title: "Payouts", status: fb.status, section: "payouts" },
    <>
      <FormMessage error={fb.error} notice={fb.notice} />
      <h2>Earnings</h2>
      <dl class="facts" data-testid="payable">
        <dt>Payable now</dt>
        <dd>
          <Amount minor={earnings.payable} currency={cur} />
        </dd>
        <dt>Not payable yet</dt>
        <dd>
          <Amount minor={earnings.notYetPayable} currency={cur} />{" "}
          <small class="muted">
            revenue of a month is payable from day {config.settlementDay} of the next; the next
            month becomes payable on {earnings.nextPayableOn}
          </small>
        </dd>
        {earnings.awaitingFromPeers > 0n && (
          <>
            <dt>Awaiting other servers</dt>
            <dd>
              <Amount minor={earnings.awaitingFromPeers} currency={cur} />{" "}
              <small class="muted">payable once their transfers arrive</small>
            </dd>
          </>
        )}
        <dt>Payable through</dt>
        <dd>{periodLabel(earnings.payableThrough)}</dd>
      </dl>
      {earnings.canRequest ? (
        <form method="post" action="/payouts" class="inline">
          <CsrfField token={csrf} />
          <input type="hidden" name="source" value="earnings" />
          <label>
            Amount ({cur})
            <input
              type="text"
              name="amount"
              inputmode="decimal"
              autocomplete="off"
              placeholder={money(earnings.payable, cur)}
            />
          </label>
          <button type="submit">Request payout</button>
        </form>
      ) : (
        <p class="muted">
          A payout can be requested once your payable earnings reach {money(earnings.minimum, cur)}.
        </p>
      )}
      <h2>Withdraw from your wallet</h2>
      <dl class="facts" data-testid="withdrawable">
        <dt>Wallet</dt>
        <dd>
          <Amount minor={wallet.balance} currency={cur} />
        </dd>
        <dt>Set aside for your flattrs</dt>
        <dd>
          <Amount minor={wallet.committed} currency={cur} />
          {wallet.committedPeriods.length > 0 && (
            <small class="muted">
              {" "}
              your budget for {wallet.committedPeriods.map(periodLabel).join(", ")}, taken when the
              month closes
            </small>
          )}
        </dd>
        <dt>Withdrawable</dt>
        <dd>
          <Amount minor={wallet.withdrawable} currency={cur} />
        </dd>
      </dl>
      {wallet.withdrawable > 0n && (
        <form method="post" action="/payouts" class="inline">
          <CsrfField token={csrf} />
          <input type="hidden" name="source" value="wallet" />
          <label>
            Amount ({cur})
            <input
              type="text"
              name="amount"
              inputmode="decimal"
              autocomplete="off"
              placeholder={money(wallet.withdrawable, cur)}
            />
          </label>
          <button type="submit">Withdraw</button>
        </form>
      )}
      <h2>Payout details</h2>
      <form method="post" action="/payouts/details" class="stack">
        <CsrfField token={csrf} />
        <label>
          Account holder
          <input type="text" name="holder" value={form.holder} required maxlength={70} />
        </label>
        <label>
          IBAN
          <input type="text" name="iban" value={form.iban} required autocomplete="off" />
        </label>
        <label>
          BIC <small class="muted">(optional)</small>
          <input type="text" name="bic" value={form.bic} autocomplete="off" />
        </label>
        <button type="submit">Save payout details</button>
        <small class="muted">
          Payouts are SEPA bank transfers. Requests you made before keep the details they were made
          with.
        </small>
      </form>
      <h2>Your payouts</h2>
      <PayoutTable payouts={payouts} timeZone={config.timeZone} csrf={csrf} />
    </>,
  );
}

export function payoutsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/payouts", requireLogin(), (c) => {
    const done = c.req.query("done");
    const notice =
      done === "requested"
        ? "Requested: an administrator approves it, then the bank transfer follows."
        : done === "details"
          ? "Payout details saved."
          : done === "cancelled"
            ? "Request cancelled."
            : undefined;
    return payoutsPage(c, { notice });
  });

  app.post("/payouts", formGuard(), requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const source: PayoutSource = form.get("source") === "wallet" ? "wallet" : "earnings";
    const text = form.get("amount").trim().slice(0, 40);
    let amount: bigint | undefined;
    if (text !== "") {
      const parsed = parseAmount(text, config.currency);
      if (parsed === null)
        return payoutsPage(c, {
          status: 422,
          error: `"${text}" is not an amount in ${config.currency}: write it like 10.00, or leave it empty for all of it.`,
        });
      amount = parsed;
    }
    const r = await requestPayout(database.db, clock, config, c.var.user!.id, { source, amount });
    if (!r.ok) return payoutsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return c.redirect("/payouts?done=requested", 303);
  });

  app.post("/payouts/details", formGuard(), requireLogin(), async (c) => {
    const { database, clock } = c.var.deps;
    const form = await readForm(c);
    const details = {
      holder: form.get("holder").slice(0, 200),
      iban: form.get("iban").slice(0, 60),
      bic: form.get("bic").slice(0, 20),
    };
    const r = await setPayoutDetails(database.db, clock, c.var.user!.id, details);
    if (!r.ok)
      return payoutsPage(c, { status: errorStatus(r.error.code), error: r.error.message, details });
    return c.redirect("/payouts?done=details", 303);
  });

  app.post("/payouts/:id/cancel", formGuard(), requireLogin(), async (c) => {
    const { database, clock } = c.var.deps;
    const id = parseId(c.req.param("id"));
    if (id === null) return payoutsPage(c, { status: 404, error: "There is no such payout." });
    const r = await cancelPayout(database.db, clock, c.var.user!.id, id);
    if (!r.ok) return payoutsPage(c, { status: errorStatus(r.error.code), error: r.error.message });
    return c.redirect("/payouts?done=cancelled", 303);
  });

  return app;
}
