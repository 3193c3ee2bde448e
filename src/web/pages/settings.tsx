import { Hono } from "hono";
import { AccountError } from "../../accounts/errors.ts";
import { readPreferences, updatePreferences } from "../../accounts/preferences.ts";
import { findUserById, updateProfile } from "../../accounts/users.ts";
import { BIO_MAX, DISPLAY_NAME_MAX } from "../../accounts/validation.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { PreferencesForm } from "./preferences-form.tsx";

function ProfileForm(props: {
  csrfToken: string;
  displayName: string;
  bio: string;
  error?: string;
  notice?: string;
}) {
  return (
    <form method="post" action="/settings" class="stack">
      <FormMessage error={props.error} notice={props.notice} />
      <CsrfField token={props.csrfToken} />
      <label>
        Display name
        <input
          type="text"
          name="displayName"
          value={props.displayName}
          maxlength={DISPLAY_NAME_MAX}
        />
        <small>Up to {DISPLAY_NAME_MAX} characters.</small>
      </label>
      <label>
        Bio
        <textarea name="bio" maxlength={BIO_MAX}>
          {props.bio}
        </textarea>
        <small>Up to {BIO_MAX} characters.</small>
      </label>
      <button type="submit">Save</button>
    </form>
  );
}

export function settingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/settings", requireLogin(), async (c) => {
    const { db } = c.var.deps.database;
    const user = await findUserById(db, requireUser(c).id);
    if (!user) throw new ClientError(404, "Your account no longer exists.");
    const preferences = await readPreferences(db, user.id);
    return renderPage(
      c,
      { title: "Profile settings" },
      <>
        <p>
          <a href="/settings/account">E-mail, password and where you are logged in</a>
        </p>
        <ProfileForm
          csrfToken={c.var.csrfToken}
          displayName={user.displayName}
          bio={user.bio}
          notice={c.req.query("saved") !== undefined ? "Your profile was saved." : undefined}
        />
        <PreferencesForm
          csrfToken={c.var.csrfToken}
          preferences={preferences}
          notice={
            c.req.query("preferences") !== undefined ? "Your preferences were saved." : undefined
          }
        />
      </>,
    );
  });

  app.post("/settings/preferences", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const { db } = c.var.deps.database;
    // Unchecked boxes are absent from a form: absent means off here.
    const changes = {
      language: form.get("language"),
      sensitive: form.get("sensitive") !== "",
      expandMedia: form.get("expandMedia"),
      expandSpoilers: form.get("expandSpoilers") !== "",
    };
    try {
      await updatePreferences(db, user.id, changes);
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      return renderPage(
        c,
        { title: "Profile settings", status: errorStatus(e.code) },
        <PreferencesForm
          csrfToken={c.var.csrfToken}
          preferences={await readPreferences(db, user.id)}
          error={e.message}
        />,
      );
    }
    return c.redirect("/settings?preferences", 303);
  });

  app.post("/settings", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const displayName = form.get("displayName");
    const bio = form.get("bio");
    try {
      await updateProfile(c.var.deps.database.db, user.id, { displayName, bio });
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      return renderPage(
        c,
        { title: "Profile settings", status: errorStatus(e.code) },
        <ProfileForm
          csrfToken={c.var.csrfToken}
          displayName={displayName.slice(0, 1000)}
          bio={bio.slice(0, 5000)}
          error={e.message}
        />,
      );
    }
    return c.redirect("/settings?saved", 303);
  });

  return app;
}
