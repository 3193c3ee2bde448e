import { type Context, Hono } from "hono";
import { findAppById } from "../../accounts/oauth/apps.ts";
import {
  type AuthorizedApp,
  listAuthorizedApps,
  revokeAppForUser,
} from "../../accounts/oauth/authorizations.ts";
import type { AppEnv, SessionUser } from "../../http/env.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { scopeWords } from "./oauth-scopes.ts";

/*
 * The apps a user authorized over OAuth (Mastodon apps), with what each may do, when it was
 * authorized and last used, and a way to revoke it (asked first: revoking signs the app out).
 */

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "never");

function browserUser(c: Context<AppEnv>): SessionUser {
  const user = requireUser(c);
  if (user.scopes) throw new ClientError(403, "Apps can only be managed from a logged-in browser.");
  return user;
}

const idOf = (raw: string) => (/^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : 0);

function AppList(props: { apps: AuthorizedApp[] }) {
  if (props.apps.length === 0)
    return (
      <p class="muted">
        No app can use your account. When you sign in to this instance from a Mastodon app (Elk,
        Phanpy, Tusky, Ivory, …) it appears here.
      </p>
    );
  // Cards rather than a table: the scope lists are long and must fit a phone.
  return (
    <div class="stack">
      {props.apps.map((a) => (
        <section class="card" data-app-id={String(a.appId)}>
          <h2>{a.name}</h2>
          {a.website && (
            <p>
              <a href={a.website} rel="noopener noreferrer nofollow">
                {a.website}
              </a>
            </p>
          )}
          <ul>
            {a.scopes.map((s) => (
              <li title={s}>{scopeWords(s)}</li>
            ))}
          </ul>
          <p class="muted">
            Authorized {when(a.authorizedAt)} · last used {when(a.lastUsedAt)}
          </p>
          <p>
            <a href={`/settings/apps/${a.appId}/revoke`}>Revoke</a>
          </p>
        </section>
      ))}
    </div>
  );
}

export function appsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/settings/apps", requireLogin(), async (c) => {
    const user = browserUser(c);
    const apps = await listAuthorizedApps(c.var.deps.database.db, user.id);
    return renderPage(
      c,
      { title: "Authorized apps" },
      <>
        <FormMessage
          notice={c.req.query("revoked") !== undefined ? "The app was revoked." : undefined}
        />
        <AppList apps={apps} />
      </>,
    );
  });

  app.get("/settings/apps/:id/revoke", requireLogin(), async (c) => {
    browserUser(c);
    const found = await findAppById(c.var.deps.database.db, idOf(c.req.param("id")));
    if (!found) throw new ClientError(404, "No such app.");
    return renderPage(
      c,
      { title: `Revoke ${found.name}?` },
      <form method="post" action={`/settings/apps/${found.id}/revoke`} class="stack">
        <CsrfField token={c.var.csrfToken} />
        <p>
          {found.name} will be signed out and can no longer use your account. Flattrs it already
          made stay (withdraw them on <a href="/flattrs">Flattrs</a> while the month is open).
        </p>
        <div class="actions">
          <button type="submit">Revoke</button> <a href="/settings/apps">Cancel</a>
        </div>
      </form>,
    );
  });

  app.post("/settings/apps/:id/revoke", formGuard(), requireLogin(), async (c) => {
    const user = browserUser(c);
    const { database, clock } = c.var.deps;
    const n = await revokeAppForUser(database.db, clock, user.id, idOf(c.req.param("id")));
    if (n === 0) throw new ClientError(404, "This app holds no access to your account.");
    return c.redirect("/settings/apps?revoked", 303);
  });

  return app;
}
