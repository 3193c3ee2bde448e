import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountError } from "../../accounts/errors.ts";
import {
  createPasswordReset,
  PASSWORD_RESET_TTL_SECONDS,
  passwordResetUser,
  usePasswordReset,
} from "../../accounts/password-resets.ts";
import { PASSWORD_MIN, USERNAME_MAX } from "../../accounts/validation.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { passwordResetPath, passwordResetUrl } from "../../http/urls.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { endSession, requireAdmin, requireLogin } from "../session.ts";

/*
 * Password resets, made by an administrator (there is no mail server): /admin/users makes a
 * one-time link as `fediflattr user reset-password` does, and /reset-password/<token> sets the
 * new password once. The door is src/accounts/password-resets.ts.
 */

function ResetForm(props: { token: string; csrfToken: string; username: string; error?: string }) {
  return (
    <form method="post" action={passwordResetPath(props.token)} class="stack">
      <p>
        Choose a new password for <strong>@{props.username}</strong>. This link works once; after it
        you are logged out everywhere and log in with the new password.
      </p>
      <FormMessage error={props.error} />
      <CsrfField token={props.csrfToken} />
      <label>
        New password
        <input
          type="password"
          name="password"
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
      <button type="submit">Set password</button>
    </form>
  );
}

function gone(c: Context<AppEnv>, e: AccountError) {
  return renderPage(
    c,
    { title: "Set a new password", status: errorStatus(e.code) },
    <>
      <FormMessage error={e.message} />
      <p>
        <a href="/login">Log in</a>
      </p>
    </>,
  );
}

async function usersPage(
  c: Context<AppEnv>,
  options: { status?: ContentfulStatusCode; error?: string; link?: string; username?: string } = {},
) {
  const hours = PASSWORD_RESET_TTL_SECONDS / 3600;
  return renderPage(
    c,
    { title: "Reset a password", status: options.status },
    <>
      <p>
        This instance sends no e-mail. When someone cannot log in, make a link here and give it to
        them through a channel where you know it is them. The link sets a new password once, works
        for {hours} hours, and logs the account out everywhere. A new link replaces an unused one.
      </p>
      {options.link && (
        <div class="notice" role="status">
          <p>
            One-time link for <strong>@{options.username}</strong>:
          </p>
          <p>
            <code data-testid="reset-link" style="overflow-wrap: anywhere">
              {options.link}
            </code>
          </p>
        </div>
      )}
      <form method="post" action="/admin/users/reset-password" class="stack">
        <FormMessage error={options.error} />
        <CsrfField token={c.var.csrfToken} />
        <label>
          Username
          <input
            type="text"
            name="username"
            value={options.link ? "" : (options.username ?? "")}
            required
            maxlength={USERNAME_MAX + 1}
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <button type="submit">Make a reset link</button>
      </form>
    </>,
  );
}

export function passwordResetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/reset-password/:token", async (c) => {
    const { database, clock } = c.var.deps;
    const token = c.req.param("token");
    try {
      const user = await passwordResetUser(database.db, clock, token);
      return renderPage(
        c,
        { title: "Set a new password" },
        <ResetForm token={token} csrfToken={c.var.csrfToken} username={user.username} />,
      );
    } catch (e) {
      if (e instanceof AccountError) return gone(c, e);
      throw e;
    }
  });

  app.post("/reset-password/:token", formGuard(), async (c) => {
    const { database, clock } = c.var.deps;
    const token = c.req.param("token");
    const form = await readForm(c);
    try {
      await usePasswordReset(database.db, clock, token, {
        password: form.get("password"),
        repeat: form.get("repeat"),
      });
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      if (e.code === "reset_invalid") return gone(c, e);
      const user = await passwordResetUser(database.db, clock, token).catch(() => null);
      if (!user) return gone(c, e);
      return renderPage(
        c,
        { title: "Set a new password", status: errorStatus(e.code) },
        <ResetForm
          token={token}
          csrfToken={c.var.csrfToken}
          username={user.username}
          error={e.message}
        />,
      );
    }
    // Whoever this browser was logged in as, it is not any more: log in with the new password.
    await endSession(c);
    return c.redirect("/login?reset", 303);
  });

  app.get("/admin/users", requireLogin(), requireAdmin(), (c) => usersPage(c));

  app.post("/admin/users/reset-password", formGuard(), requireAdmin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const username = form.get("username").trim().slice(0, 100);
    try {
      const reset = await createPasswordReset(database.db, clock, username);
      return usersPage(c, {
        link: passwordResetUrl(config, reset.token),
        username: reset.user.username,
      });
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      return usersPage(c, { status: errorStatus(e.code), error: e.message, username });
    }
  });

  return app;
}
