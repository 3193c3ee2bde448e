import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { findUserById, findUserByUsername } from "../../accounts/users.ts";
import {
  DepositError,
  describeDeposit,
  IdempotencyConflictError,
  normalizeDepositReference,
  parseTransferReference,
  recordDeposit,
} from "../../ledger/index.ts";
import { parseAmount } from "../../money/decimal.ts";
import { type RecordedDeposit, recentDeposits } from "../../settlement/recent-deposits.ts";
import { formGuard } from "../csrf.ts";
import type { AppEnv } from "../env.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage } from "../layout.tsx";
import { Amount, money, moneyPage, parseId } from "../money-ui.tsx";
import { requireAdmin, requireLogin } from "../session.ts";

const MAX_BANK_REFERENCE = 140;

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
                <a href={`/@${d.username}`}>@{d.username}</a>
              </td>
              <td class="ref">
                <code>{d.reference}</code>
                {d.source !== "bank" && <span class="muted"> ({d.source})</span>}
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
        changes nothing.
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
            maxlength={MAX_BANK_REFERENCE}
            autocomplete="off"
          />
          <small>
            The bank's own id of the transfer, from the statement: it makes this idempotent.
          </small>
        </label>
        <button type="submit">Record deposit</button>
      </form>
      <h2>Recent deposits</h2>
      <DepositTable deposits={deposits} currency={config.currency} timeZone={config.timeZone} />
    </>,
  );
}

/** The user a transfer names: a personal FF- reference, or a username (with or without @). */
async function resolveUser(c: Context<AppEnv>, who: string) {
  const db = c.var.deps.database.db;
  const byReference = parseTransferReference(who);
  if (byReference !== null) return findUserById(db, byReference);
  if (/^ff[\s-]/i.test(who)) return null; // a mistyped reference is not a username
  return findUserByUsername(db, who.replace(/^@/, ""));
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
        input: { ...input, bankReference: input.bankReference.slice(0, MAX_BANK_REFERENCE) },
      });

    const amount = parseAmount(input.amount, config.currency);
    if (amount === null || amount === 0n)
      return refuse(
        422,
        `"${input.amount}" is not an amount in ${config.currency}: write it like 10.00.`,
      );
    if (input.bankReference === "") return refuse(422, "The bank reference is required.");
    if (input.bankReference.length > MAX_BANK_REFERENCE)
      return refuse(422, `The bank reference is longer than ${MAX_BANK_REFERENCE} characters.`);
    const user = input.who === "" ? null : await resolveUser(c, input.who);
    if (!user)
      return refuse(
        422,
        `There is no user with the transfer reference or username "${input.who}". Check the reference on the bank statement.`,
      );

    let result: { entryId: number; replayed: boolean };
    try {
      result = await recordDeposit(database.db, {
        userId: user.id,
        amount,
        reference: input.bankReference,
        currency: config.currency,
      });
    } catch (e) {
      if (e instanceof DepositError) return refuse(422, `Bank reference: ${e.message}.`);
      if (!(e instanceof IdempotencyConflictError)) throw e;
      const earlier = await describe(c, e.existingEntryId);
      return refuse(
        409,
        `The bank reference ${input.bankReference} was already recorded for ${earlier ?? "another entry"}. ` +
          "Nothing was recorded: if this is another payment, use its own reference.",
      );
    }
    if (result.replayed) {
      const what = await describe(c, result.entryId);
      return depositsPage(c, {
        notice: `Already recorded: ${what} with bank reference ${normalizeDepositReference(input.bankReference)}. Nothing changed.`,
      });
    }
    return c.redirect(`/admin/deposits?recorded=${result.entryId}`, 303);
  });

  return app;
}
