import { type Context, Hono } from "hono";
import { findAppById } from "../../accounts/oauth/apps.ts";
import {
  type AuthorizedApp,
  listAuthorizedApps,
  revokeAppForUser,
} from "../../accounts/oauth/authorizations.ts";
import {
  type AppFlattr,
  appFlattrsThisPeriod,
  withdrawAppFlattrs,
} from "../../flattr/app-flattrs.ts";
import type { AppEnv, SessionUser } from "../../http/env.ts";
import { ClientError } from "../../http/errors.ts";
import { formGuard } from "../csrf.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { scopeWords } from "./oauth-scopes.ts";

/*
 * The apps a user authorized over OAuth (Mastodon apps), with what each may do, what it
 * flattred this month (a star in the app is a flattr), when it was authorized and last used, and
 * a way to revoke it (asked first: revoking signs the app out, and may withdraw its flattrs of
 * the open month).
 */

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "never");

function browserUser(c: Context<AppEnv>): SessionUser {
  const user = requireUser(c);
  if (user.scopes) throw new ClientError(403, "Apps can only be managed from a logged-in browser.");
  return user;
}

const idOf = (raw: string) => (/^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : 0);

function Flattred(props: { flattrs: AppFlattr[] }) {
  const n = props.flattrs.length;
  if (n === 0) return <p class="muted">It flattred nothing this month.</p>;
  return (
    <details data-testid="app-flattrs">
      <summary>
        It flattred {n} {n === 1 ? "thing" : "things"} this month
      </summary>
      <ul>
        {props.flattrs.map((f) => (
          <li>
            <a href={f.url} rel="noopener noreferrer nofollow">
              {f.title}
            </a>
          </li>
        ))}
      </ul>
    </details>
  );
}

function AppList(props: { apps: AuthorizedApp[]; flattrs: Map<number, AppFlattr[]> }) {
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
          <Flattred flattrs={props.flattrs.get(a.appId) ?? []} />
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
    const { database, clock, config } = c.var.deps;
    const apps = await listAuthorizedApps(database.db, user.id);
    const flattrs = await appFlattrsThisPeriod(database.db, clock, config, user.id);
    const withdrawn = Number(c.req.query("withdrawn") ?? 0) || 0;
    const notice =
      c.req.query("revoked") === undefined
        ? undefined
        : withdrawn > 0
          ? `The app was revoked and ${withdrawn} of its flattrs this month withdrawn.`
          : "The app was revoked.";
    return renderPage(
      c,
      { title: "Authorized apps" },
      <>
        <FormMessage notice={notice} />
        <AppList apps={apps} flattrs={flattrs} />
      </>,
    );
  });

  app.get("/settings/apps/:id/revoke", requireLogin(), async (c) => {
    const user = browserUser(c);
    const { database, clock, config } = c.var.deps;
    const found = await findAppById(database.db, idOf(c.req.param("id")));
    if (!found) throw new ClientError(404, "No such app.");
    const flattrs =
      (await appFlattrsThisPeriod(database.db, clock, config, user.id)).get(found.id) ?? [];
    return renderPage(
      c,
      { title: `Revoke ${found.name}?` },
      <form method="post" action={`/settings/apps/${found.id}/revoke`} class="stack">
        <CsrfField token={c.var.csrfToken} />
        <p>{found.name} will be signed out and can no longer use your account.</p>
        {flattrs.length > 0 ? (
          <>
            <p>
              This month it flattred {flattrs.length} {flattrs.length === 1 ? "thing" : "things"}{" "}
              for you:
            </p>
            <ul>
              {flattrs.map((f) => (
                <li>{f.title}</li>
              ))}
            </ul>
            <label>
              <input type="checkbox" name="withdraw" value="1" /> Also withdraw{" "}
              {flattrs.length === 1 ? "this flattr" : `these ${flattrs.length} flattrs`} (the month
              is still open, so nothing was paid yet)
            </label>
          </>
        ) : (
          <p class="muted">It made no flattr this month.</p>
        )}
        <div class="actions">
          <button type="submit">Revoke</button> <a href="/settings/apps">Cancel</a>
        </div>
      </form>,
    );
  });

  app.post("/settings/apps/:id/revoke", formGuard(), requireLogin(), async (c) => {
    const user = browserUser(c);
    const { database, clock, config } = c.var.deps;
    const appId = idOf(c.req.param("id"));
    const form = await c.req.parseBody();
    const n = await revokeAppForUser(database.db, clock, user.id, appId);
    if (n === 0) throw new ClientError(404, "This app holds no access to your account.");
    // After the revoke, so the app cannot flattr again in between.
    const withdrawn =
      form.withdraw === "1"
        ? await withdrawAppFlattrs(database.db, clock, config, user.id, appId)
        : 0;
    return c.redirect(
      `/settings/apps?revoked${withdrawn > 0 ? `&withdrawn=${withdrawn}` : ""}`,
      303,
    );
  });

  return app;
}
