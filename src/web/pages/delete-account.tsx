import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountError } from "../../accounts/errors.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { deleteAccount, previewAccountDeletion } from "../../settlement/account-deletion.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { money } from "../money-ui.tsx";
import { endSession, requireLogin, requireUser } from "../session.ts";

/*
 * /settings/delete: what becomes of the account's money and flattrs, said before the person
 * confirms with their password. The door is src/settlement/account-deletion.ts.
 */

async function deletePage(
  c: Context<AppEnv>,
  options: { status?: ContentfulStatusCode; error?: string } = {},
) {
  const { config, database, clock } = c.var.deps;
  const user = requireUser(c);
  const p = await previewAccountDeletion(database.db, config, clock, user.id);
  const cur = config.currency;
  const blocked = p.blockers.length > 0;
  return renderPage(
    c,
    { title: "Delete your account", status: options.status },
    <>
      <h2>What happens to your money</h2>
      <ul data-testid="deletion-money">
        <li>
          Wallet: <strong>{money(p.wallet, cur)}</strong>.{" "}
          {p.wallet === 0n
            ? "Nothing to withdraw."
            : "Withdraw it first: an account with money in its wallet cannot be deleted."}
        </li>
        <li>
          Earnings not yet paid out: <strong>{money(p.earnings, cur)}</strong>.{" "}
          {p.earnings === 0n
            ? "Nothing owed to you."
            : "Have them paid out first: an account that is owed money cannot be deleted."}
        </li>
        <li>
          {p.openFlattrs === 0
            ? "No flattrs of this month are affected."
            : `${p.openFlattrs} flattr${p.openFlattrs === 1 ? "" : "s"} of this month (yours, and others' of your things) will be withdrawn: your budget pays nothing more, and your things earn nothing more.`}{" "}
          Months already closed stay as they were.
        </li>
        <li>
          Money that still arrives for this account later (a refund, a returned pledge, a credit
          from another server) is shown to this instance's administrators, who settle it with you;
          it is never lost.
        </li>
      </ul>
      <h2>What happens to your account</h2>
      <p>
        Your e-mail address, password, display name and bio are erased, you are logged out
        everywhere, and your tokens stop working.{" "}
        {p.things > 0 && `Your ${p.things} thing(s) can no longer be flattred. `}
        The accounting records of past months stay (without your e-mail or name), and your username{" "}
        <strong>@{user.username}</strong> stays reserved so that nobody else receives what was meant
        for you. This cannot be undone.
      </p>
      {blocked ? (
        <p class="warning" role="alert" data-testid="deletion-blocked">
          This account cannot be deleted while it holds money.{" "}
          <a href="/payouts">Withdraw it on the payouts page</a> (wallet money and payable
          earnings).
        </p>
      ) : (
        <form method="post" action="/settings/delete" class="stack">
          <FormMessage error={options.error} />
          <CsrfField token={c.var.csrfToken} />
          <label>
            Your password
            <input type="password" name="password" required autocomplete="current-password" />
          </label>
          <label style="display: flex; gap: 0.5rem; align-items: baseline">
            <input type="checkbox" name="confirm" value="yes" required />
            <span>I understand that deleting my account cannot be undone.</span>
          </label>
          <button type="submit" style="background: var(--err); color: var(--bg)">
            Delete my account
          </button>
        </form>
      )}
      {blocked && options.error && <FormMessage error={options.error} />}
    </>,
  );
}

export function deleteAccountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/settings/delete", requireLogin(), (c) => deletePage(c));

  app.post("/settings/delete", formGuard(), requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    if (form.get("confirm") !== "yes") {
      return deletePage(c, {
        status: 422,
        error: "Tick the box to confirm that you want your account deleted.",
      });
    }
    try {
      await deleteAccount(database.db, config, clock, requireUser(c).id, form.get("password"));
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      return deletePage(c, { status: errorStatus(e.code), error: e.message });
    }
    await endSession(c);
    c.set("user", null); // the page below is rendered for a visitor now
    return renderPage(
      c,
      { title: "Your account is deleted" },
      <p data-testid="deleted">
        Your account is deleted and you are logged out. Thank you for flattring.{" "}
        <a href="/">Back to the start page</a>
      </p>,
    );
  });

  return app;
}
