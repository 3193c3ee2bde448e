import { Hono } from "hono";
import { logIn } from "../../accounts/login.ts";
import { ANY_CONTROL } from "../../accounts/validation.ts";
import { clientIp } from "../../http/client-ip.ts";
import type { AppEnv } from "../../http/env.ts";
import { formGuard } from "../csrf.ts";
import { readForm, safeNext } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { endSession, startSession } from "../session.ts";

export function LoginForm(props: {
  csrfToken: string;
  username: string;
  next: string;
  error?: string;
  notice?: string;
}) {
  return (
    <form method="post" action="/login" class="stack">
      <FormMessage error={props.error} notice={props.notice} />
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="next" value={props.next} />
      <label>
        Username or e-mail
        <input
          type="text"
          name="username"
          value={props.username}
          required
          autocomplete="username"
          spellcheck={false}
        />
      </label>
      <label>
        Password
        <input type="password" name="password" required autocomplete="current-password" />
      </label>
      <button type="submit">Log in</button>
    </form>
  );
}

export function loginRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/login", (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.var.user) return c.redirect(next, 303);
    return renderPage(
      c,
      { title: "Log in" },
      <LoginForm
        csrfToken={c.var.csrfToken}
        username=""
        next={next}
        notice={
          c.req.query("reset") !== undefined
            ? "Your new password is set. Log in with it."
            : undefined
        }
      />,
    );
  });

  app.post("/login", formGuard(), async (c) => {
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const username = form.get("username").trim().slice(0, 300);
    const password = form.get("password");
    const next = safeNext(form.get("next"));
    const fail = (status: 401 | 422 | 429, error: string) =>
      renderPage(
        c,
        { title: "Log in", status },
        <LoginForm csrfToken={c.var.csrfToken} username={username} next={next} error={error} />,
      );
    if (!username || !password) return fail(422, "Enter your username and your password.");
    if (ANY_CONTROL.test(username)) return fail(422, "Enter a valid username or e-mail address.");
    const outcome = await logIn(database.db, clock, config, {
      ip: clientIp(c, config),
      identifier: username,
      password,
    });
    if (!outcome.ok && outcome.reason === "limited") {
      c.header("Retry-After", String(outcome.retryAfterSeconds));
      const minutes = Math.ceil(outcome.retryAfterSeconds / 60);
      return fail(
        429,
        outcome.scope === "address"
          ? `Too many failed logins from your address. Try again in ${minutes} minutes.`
          : `Too many failed logins for this account from your address. Try again in ${minutes} minutes.`,
      );
    }
    if (!outcome.ok) return fail(401, "Wrong username or password.");
    const user = outcome.user;
    await endSession(c, { keepCookie: true }); // an older session of this browser ends
    await startSession(c, user.id);
    return c.redirect(next, 303);
  });

  app.post("/logout", formGuard(), async (c) => {
    await endSession(c);
    return c.redirect("/", 303);
  });

  return app;
}
