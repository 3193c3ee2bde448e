import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { findUserById } from "../../accounts/users.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { profilePath } from "../../http/urls.ts";
import { BANK_SOURCE, describeDeposit, MAX_REFERENCE_LENGTH } from "../../ledger/index.ts";
import { parseAmount } from "../../money/decimal.ts";
import { recordBankDeposit } from "../../settlement/deposits.ts";
import { type RecordedDeposit, recentDeposits } from "../../settlement/recent-deposits.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { Amount, money, moneyPage, parseId } from "../money-ui.tsx";
import { requireAdmin, requireLogin } from "../session.ts";

interface DepositInput {
  who: string;
  amount: string;
  bankReference: string;
}

const EMPTY: DepositInput = { who: "", amount: "", bankReference: "" };

const day = (d: Date, timeZone: string) =>
  d.toLocaleDateString("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
const time = (d: Date, timeZone: string) =>
  d.toLocaleTimeString("en-GB", { timeZone, hour: "2-digit", minute: "2-digit" });

function DepositTable(props: { deposits: RecordedDeposit[]; currency: string; timeZone: string }) {
  if (props.deposits.length === 0) return <p class="muted">No deposits recorded yet.</p>;
  return (
    <div class="table-wrap">
      <table data-testid="deposits">
        <thead>
          <tr>
            <th>Recorded</th>
            <th>User</th>
            <th>Bank reference</th>
            <th class="num">Amount</th>
          </tr>
        </thead>
        <tbody>
          {props.deposits.map((d) => (
            <tr data-entry-id={d.entryId}>
              <td class="date">
                {day(d.createdAt, props.timeZone)}{" "}
                <small class="muted">{time(d.createdAt, props.timeZone)}</small>
              </td>
              <td>
                <a href={profilePath(d.username)}>@{d.username}</a>
              </td>
              <td class="ref">
                <code>{d.reference}</code>
                {d.source !== BANK_SOURCE && <span class="muted"> ({d.source})</span>}
                {d.reversed && <span class="muted"> (reversed)</span>}
              </td>
              <td class="num">
                <Amount minor={d.amount} currency={props.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function depositsPage(
  c: Context<AppEnv>,
  options: {
    status?: ContentfulStatusCode;
    error?: string;
    notice?: string;
    input?: DepositInput;
  } = {},
) {
  const { config, database } = c.var.deps;
  const input = options.input ?? EMPTY;
  const deposits = await recentDeposits(database.db, config, { limit: 50 });
  return moneyPage(
    c,
    { title: "Record a deposit", status: options.status, section: "admin-deposits" },
    <>
      <p>
        When a bank transfer has arrived, record it here: the money goes to the wallet of the user
        whose transfer reference (or username) it carries. Recording the same bank reference twice
        changes nothing. Amounts above {money(config.depositConfirmAbove, config.currency)} need the
        confirmation box ticked.
      </p>
      <form method="post" action="/admin/deposits" class="stack">
        <FormMessage error={options.error} notice={options.notice} />
        <CsrfField token={c.var.csrfToken} />
        <label>
          Transfer reference or username
          <input
            type="text"
            name="who"
            value={input.who}
            required
            autocomplete="off"
            placeholder="FF-…"
          />
        </label>
        <label>
          Amount ({config.currency})
          <input
            type="text"
            name="amount"
            value={input.amount}
            required
            inputmode="decimal"
            autocomplete="off"
            placeholder="10.00"
          />
        </label>
        <label>
          Bank reference
          <input
            type="text"
            name="bankReference"
            value={input.bankReference}
            required
            maxlength={MAX_REFERENCE_LENGTH}
            autocomplete="off"
          />
          <small>
            The bank's own id of the transfer, from the statement: it makes this idempotent. Spaces,
            dashes and case do not count: <code>TX-1</code> and <code>tx 1</code> are the same
            transfer.
          </small>
        </label>
        <label>
          <span>
            {/* Never ticked for the admin, also not after a refusal: a confirmation is given anew. */}
            <input type="checkbox" name="confirmLarge" value="1" /> The amount is right, even though
            it is above {money(config.depositConfirmAbove, config.currency)}
          </span>
        </label>
        <button type="submit">Record deposit</button>
      </form>
      <h2>Recent deposits</h2>
      <DepositTable deposits={deposits} currency={config.currency} timeZone={config.timeZone} />
    </>,
  );
}

/** "€10.00 to @alice" for a recorded deposit entry. */
async function describe(c: Context<AppEnv>, entryId: number): Promise<string | null> {
  const db = c.var.deps.database.db;
  const d = await describeDeposit(db, entryId);
  if (!d) return null;
  const user = d.userId === null ? null : await findUserById(db, d.userId);
  return `${money(d.amount, d.currency)} to ${user ? `@${user.username}` : "a deleted user"}`;
}

export function adminDepositsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/admin/deposits", requireLogin(), requireAdmin(), async (c) => {
    const recorded = parseId(c.req.query("recorded"));
    const what = recorded === null ? null : await describe(c, recorded);
    return depositsPage(c, { notice: what ? `Recorded ${what}.` : undefined });
  });

  app.post("/admin/deposits", formGuard(), requireAdmin(), async (c) => {
    const { config, database } = c.var.deps;
    const form = await readForm(c);
    const input = {
      who: form.get("who").trim().slice(0, 100),
      amount: form.get("amount").trim().slice(0, 40),
      bankReference: form.get("bankReference").trim(),
    };
    const refuse = (status: ContentfulStatusCode, error: string) =>
      depositsPage(c, {
        status,
        error,
        input: { ...input, bankReference: input.bankReference.slice(0, MAX_REFERENCE_LENGTH) },
      });

    const amount = parseAmount(input.amount, config.currency);
    if (amount === null || amount === 0n)
      return refuse(
        422,
        input.amount.trim() === ""
          ? "Enter the amount of the transfer, as on the bank statement, for example 10.00."
          : `"${input.amount}" is not an amount in ${config.currency}: write it like 10.00.`,
      );
    const r = await recordBankDeposit(database.db, config, {
      payee: input.who,
      amount,
      reference: input.bankReference,
      confirmLarge: form.get("confirmLarge") !== "",
    });
    if (!r.ok) return refuse(errorStatus(r.error.code), r.error.message);
    const d = r.value;
    if (d.replayed)
      return depositsPage(c, {
        notice: `Already recorded: ${money(d.amount, d.currency)} to @${d.user.username} with bank reference ${d.reference}. Nothing changed.`,
      });
    return c.redirect(`/admin/deposits?recorded=${d.entryId}`, 303);
  });

  return app;
}
