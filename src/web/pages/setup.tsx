import { type Context, Hono } from "hono";
import { AccountError } from "../../accounts/errors.ts";
import { completeSetup, type SetupTokenState, setupTokenState } from "../../accounts/setup.ts";
import { PASSWORD_MIN, USERNAME_MAX } from "../../accounts/validation.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { endSession, startSession } from "../session.ts";

/** The path of a setup link; the server logs `<ORIGIN>/setup/<token>` at start. */
export function setupPath(token: string): string {
  return `/setup/${encodeURIComponent(token)}`;
}

interface Values {
  username: string;
  email: string;
}

function SetupForm(props: { token: string; csrfToken: string; values: Values; error?: string }) {
  return (
    <>
      <p>
        This instance has no administrator yet. Create the first one here: it can record deposits,
        create invite codes without limit and see every admin page.
      </p>
      <form method="post" action={setupPath(props.token)} class="stack">
        <FormMessage error={props.error} />
        <CsrfField token={props.csrfToken} />
        <label>
          Username
          <input
            type="text"
            name="username"
            value={props.values.username}
            required
            maxlength={USERNAME_MAX}
            pattern="[A-Za-z0-9_]+"
            autocomplete="username"
            spellcheck={false}
          />
          <small>Letters, digits and underscores, up to {USERNAME_MAX}.</small>
        </label>
        <label>
          E-mail
          <input
            type="email"
            name="email"
            value={props.values.email}
            required
            autocomplete="email"
          />
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
        <button type="submit">Create administrator</button>
      </form>
      <p class="muted">
        This link works once, for 24 hours after the server start that printed it.
      </p>
    </>
  );
}

/** The page for a link that does not (or no longer) work: 404 unknown, 410 expired or used. */
function deadLink(c: Context<AppEnv>, state: Exclude<SetupTokenState, "valid">) {
  if (state === "done") {
    return renderPage(
      c,
      { title: "This instance is set up", status: 410 },
      <p>
        It already has an administrator, so setup links no longer work.{" "}
        {c.var.user ? <a href="/">Go to the home page</a> : <a href="/login">Log in</a>}.
      </p>,
    );
  }
  if (state === "expired") {
    return renderPage(
      c,
      { title: "This setup link has expired", status: 410 },
      <p>
        Setup links work for 24 hours. Restart the server: while the instance has no administrator,
        each start prints a new link in its log.
      </p>,
    );
  }
  return renderPage(
    c,
    { title: "Unknown setup link", status: 404 },
    <p>
      This setup link is not valid. Copy the whole link from the server's log; while the instance
      has no administrator, each start prints a new one.
    </p>,
  );
}

export function setupRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // The link is a secret: keep its pages out of caches and (by the app's policy) of referrers.
  app.use("/setup/*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });

  app.get("/setup/:token", async (c) => {
    const { database, clock } = c.var.deps;
    const token = c.req.param("token");
    const state = await setupTokenState(database.db, clock, token);
    if (state !== "valid") return deadLink(c, state);
    return renderPage(
      c,
      { title: "Set up this instance" },
      <SetupForm
        token={token}
        csrfToken={c.var.csrfToken}
        values={{ username: "admin", email: "" }}
      />,
    );
  });

  app.post("/setup/:token", formGuard(), async (c) => {
    const { database, clock } = c.var.deps;
    const token = c.req.param("token");
    const form = await readForm(c);
    const values: Values = {
      username: form.get("username").slice(0, 200),
      email: form.get("email").slice(0, 300),
    };
    try {
      const result = await completeSetup(database.db, clock, token, {
        ...values,
        password: form.get("password"),
      });
      if (!result.ok) return deadLink(c, result.state);
      await endSession(c, { keepCookie: true }); // a session this browser had ends
      await startSession(c, result.user.id);
      return c.redirect("/", 303);
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      return renderPage(
        c,
        { title: "Set up this instance", status: errorStatus(e.code) },
        <SetupForm token={token} csrfToken={c.var.csrfToken} values={values} error={e.message} />,
      );
    }
  });

  return app;
}
