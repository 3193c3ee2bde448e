import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AccountError } from "../../accounts/errors.ts";
import { hitRateLimit, refundRateLimit, signupRateKey } from "../../accounts/rate-limit.ts";
import { signUp } from "../../accounts/signup.ts";
import { validateNewUser } from "../../accounts/users.ts";
import { PASSWORD_MIN, USERNAME_MAX } from "../../accounts/validation.ts";
import type { Registration } from "../../config/config.ts";
import { clientIp } from "../../http/client-ip.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { startSession } from "../session.ts";

interface Values {
  username: string;
  email: string;
  invite: string;
}

function SignupForm(props: {
  csrfToken: string;
  registration: Registration;
  values: Values;
  error?: string;
}) {
  const { values } = props;
  return (
    <form method="post" action="/signup" class="stack">
      <FormMessage error={props.error} />
      <CsrfField token={props.csrfToken} />
      {props.registration === "invite" && (
        <label>
          Invite code
          <input
            type="text"
            name="invite"
            value={values.invite}
            required
            autocomplete="off"
            spellcheck={false}
          />
          <small>Sign-ups here need a code from someone who already has an account.</small>
        </label>
      )}
      <label>
        Username
        <input
          type="text"
          name="username"
          value={values.username}
          required
          maxlength={USERNAME_MAX}
          pattern="[A-Za-z0-9_]+"
          autocomplete="username"
          spellcheck={false}
        />
        <small>Letters, digits and underscores, up to {USERNAME_MAX}. This is your @name.</small>
      </label>
      <label>
        E-mail
        <input type="email" name="email" value={values.email} required autocomplete="email" />
      </label>
      <label>
        Password
        <input
          type="password"
          name="password"
          required
          minlength={PASSWORD_MIN}
          autocomplete="new-password"
        />
        <small>At least {PASSWORD_MIN} characters.</small>
      </label>
      <button type="submit">Sign up</button>
    </form>
  );
}

export function signupRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/signup", (c) => {
    if (c.var.user) return c.redirect("/", 303);
    const { registration } = c.var.deps.config;
    if (registration === "closed") {
      return renderPage(
        c,
        { title: "Sign-ups are closed", status: 403 },
        <p>This instance does not accept new accounts at the moment.</p>,
      );
    }
    const invite = (c.req.query("invite") ?? "").slice(0, 100);
    return renderPage(
      c,
      { title: "Sign up" },
      <SignupForm
        csrfToken={c.var.csrfToken}
        registration={registration}
        values={{ username: "", email: "", invite }}
      />,
    );
  });

  app.post("/signup", formGuard(), async (c) => {
    if (c.var.user) return c.redirect("/", 303);
    const { config, database, clock } = c.var.deps;
    const form = await readForm(c);
    const values: Values = {
      username: form.get("username").slice(0, 200),
      email: form.get("email").slice(0, 300),
      invite: form.get("invite").slice(0, 100),
    };
    const password = form.get("password");
    const fail = (status: ContentfulStatusCode, error: string) =>
      renderPage(
        c,
        { title: "Sign up", status },
        <SignupForm
          csrfToken={c.var.csrfToken}
          registration={config.registration}
          values={values}
          error={error}
        />,
      );
    let counted: string | null = null;
    try {
      if (config.registration === "closed") {
        throw new AccountError("registration_closed", "Sign-ups are closed on this instance.");
      }
      // The limit counts accounts made: typos are refused before it, other refusals give back.
      validateNewUser({ username: values.username, email: values.email, password });
      counted = signupRateKey(clientIp(c, config));
      const limit = await hitRateLimit(database.db, clock, counted, config.signupRateLimit);
      if (!limit.allowed) {
        counted = null; // a refused attempt stays counted
        c.header("Retry-After", String(limit.retryAfterSeconds));
        return fail(
          429,
          `Too many sign-ups from your address. Try again in ${Math.ceil(limit.retryAfterSeconds / 60)} minutes.`,
        );
      }
      const user = await signUp(database.db, clock, config, {
        username: values.username,
        email: values.email,
        password,
        inviteCode: values.invite,
      });
      await startSession(c, user.id);
      return c.redirect("/", 303);
    } catch (e) {
      // Only accounts made count: a taken name or a wrong invite code gives the hit back (it was
      // taken first, so parallel sign-ups cannot slip past the limit).
      if (counted) await refundRateLimit(database.db, counted);
      if (e instanceof AccountError) return fail(errorStatus(e.code), e.message);
      throw e;
    }
  });

  return app;
}
