import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { changeEmail, changePassword } from "../../accounts/credentials.ts";
import { AccountError } from "../../accounts/errors.ts";
import { endOtherSessions, endSessionById, listSessions } from "../../accounts/sessions.ts";
import { findUserById } from "../../accounts/users.ts";
import { PASSWORD_MIN } from "../../accounts/validation.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser, sessionToken } from "../session.ts";

/*
 * /settings/account: what proves who you are (e-mail, password) and where you are logged in.
 * Each form posts to its own route and comes back here with its message next to it.
 */

type Box = "email" | "password" | "sessions";
interface Message {
  box: Box;
  error?: string;
  notice?: string;
}

const when = (d: Date, timeZone: string) =>
  d.toLocaleString("en-GB", { timeZone, dateStyle: "medium", timeStyle: "short" });

async function accountPage(
  c: Context<AppEnv>,
  options: { status?: ContentfulStatusCode; message?: Message; email?: string } = {},
) {
  const { config, database, clock } = c.var.deps;
  const me = requireUser(c);
  const user = await findUserById(database.db, me.id);
  if (!user) throw new ClientError(404, "Your account no longer exists.");
  const sessions = await listSessions(database.db, clock, me.id, sessionToken(c));
  const msg = (box: Box) =>
    options.message?.box === box ? (
      <FormMessage error={options.message.error} notice={options.message.notice} />
    ) : null;
  const csrf = c.var.csrfToken;
  return renderPage(
    c,
    { title: "Account and security", status: options.status },
    <>
      <p>
        <a href="/settings">Profile settings</a> · <a href="/settings/delete">Delete account</a>
      </p>
      <section class="card" id="email">
        <h2>E-mail</h2>
        <form method="post" action="/settings/email" class="stack">
          {msg("email")}
          <CsrfField token={csrf} />
          <label>
            E-mail address
            <input
              type="email"
              name="email"
              value={options.email ?? user.email}
              required
              autocomplete="email"
            />
            <small>You can log in with it as with your username.</small>
          </label>
          <label>
            Current password
            <input type="password" name="password" required autocomplete="current-password" />
          </label>
          <button type="submit">Change e-mail</button>
        </form>
        <p />
      </section>
      <section class="card" id="password">
        <h2>Password</h2>
        <form method="post" action="/settings/password" class="stack">
          {msg("password")}
          <CsrfField token={csrf} />
          <label>
            Current password
            <input type="password" name="current" required autocomplete="current-password" />
          </label>
          <label>
            New password
            <input
              type="password"
              name="next"
              required
              minlength={PASSWORD_MIN}
              autocomplete="new-password"
            />
            <small>At least {PASSWORD_MIN} characters.</small>
          </label>
          <label>
            New password again
            <input
              type="password"
              name="repeat"
              required
              minlength={PASSWORD_MIN}
              autocomplete="new-password"
            />
          </label>
          <p class="muted">Changing it logs you out everywhere except in this browser.</p>
          <button type="submit">Change password</button>
        </form>
        <p />
      </section>
      <section class="card" id="sessions">
        <h2>Where you are logged in</h2>
        {msg("sessions")}
        <div class="table-wrap">
          <table data-testid="sessions">
            <thead>
              <tr>
                <th>Browser</th>
                <th>Since</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr data-current={s.current ? "yes" : "no"}>
                  <td style="overflow-wrap: anywhere">
                    {s.userAgent || <span class="muted">unknown browser</span>}
                  </td>
                  <td>{when(s.createdAt, config.timeZone)}</td>
                  <td>
                    {s.current ? (
                      <strong>this browser</strong>
                    ) : (
                      <form method="post" action="/settings/sessions/end" class="inline">
                        <CsrfField token={csrf} />
                        <input type="hidden" name="id" value={s.id} />
                        <button type="submit" class="link">
                          Log out
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {sessions.some((s) => !s.current) && (
          <form method="post" action="/settings/sessions/end-others">
            <p>
              <CsrfField token={csrf} />
              <button type="submit" class="secondary">
                Log out everywhere else
              </button>
            </p>
          </form>
        )}
        <p />
      </section>
    </>,
  );
}

/** Re-renders the page with the refusal next to its form; anything else is not ours to answer. */
function refusal(c: Context<AppEnv>, box: Box, e: unknown, email?: string) {
  if (!(e instanceof AccountError)) throw e;
  return accountPage(c, { status: errorStatus(e.code), message: { box, error: e.message }, email });
}

export function accountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/settings/account", requireLogin(), (c) => {
    const done = c.req.query("done");
    const notices: Record<string, Message> = {
      email: { box: "email", notice: "Your e-mail address was changed." },
      password: {
        box: "password",
        notice: "Your password was changed; you are logged out everywhere else.",
      },
      ended: { box: "sessions", notice: "That session was logged out." },
      others: { box: "sessions", notice: "You are logged out everywhere else." },
    };
    return accountPage(c, { message: done ? notices[done] : undefined });
  });

  app.post("/settings/email", formGuard(), requireLogin(), async (c) => {
    const form = await readForm(c);
    const email = form.get("email").slice(0, 300);
    try {
      await changeEmail(c.var.deps.database.db, requireUser(c).id, {
        email,
        password: form.get("password"),
      });
    } catch (e) {
      return refusal(c, "email", e, email);
    }
    return c.redirect("/settings/account?done=email#email", 303);
  });

  app.post("/settings/password", formGuard(), requireLogin(), async (c) => {
    const form = await readForm(c);
    try {
      await changePassword(c.var.deps.database.db, requireUser(c).id, {
        current: form.get("current"),
        next: form.get("next"),
        repeat: form.get("repeat"),
        keepSessionToken: sessionToken(c),
      });
    } catch (e) {
      return refusal(c, "password", e);
    }
    return c.redirect("/settings/account?done=password#password", 303);
  });

  app.post("/settings/sessions/end", formGuard(), requireLogin(), async (c) => {
    const form = await readForm(c);
    const ended = await endSessionById(
      c.var.deps.database.db,
      requireUser(c).id,
      form.get("id").slice(0, 100),
    );
    if (!ended) {
      return accountPage(c, {
        status: 404,
        message: { box: "sessions", error: "That session is already logged out." },
      });
    }
    return c.redirect("/settings/account?done=ended#sessions", 303);
  });

  app.post("/settings/sessions/end-others", formGuard(), requireLogin(), async (c) => {
    await endOtherSessions(c.var.deps.database.db, requireUser(c).id, sessionToken(c));
    return c.redirect("/settings/account?done=others#sessions", 303);
  });

  return app;
}
