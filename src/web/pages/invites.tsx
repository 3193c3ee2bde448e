import { type Context, Hono } from "hono";
import { AccountError } from "../../accounts/errors.ts";
import {
  createInvites,
  type Invite,
  invitesRemaining,
  listInvites,
} from "../../accounts/invites.ts";
import type { AppEnv } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { profilePath } from "../../http/urls.ts";
import { formGuard } from "../csrf.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";

const day = (d: Date) => d.toISOString().slice(0, 10);

function InviteTable(props: { invites: Invite[]; origin: URL }) {
  if (props.invites.length === 0) return <p class="muted">You have not created any invites yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Code</th>
          <th>Created</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {props.invites.map((invite) => (
          <tr data-code={invite.code}>
            <td>
              <code>{invite.code}</code>
              {!invite.usedAt && (
                <>
                  {" "}
                  <a href={new URL(`/signup?invite=${invite.code}`, props.origin).href}>
                    sign-up link
                  </a>
                </>
              )}
            </td>
            <td>{day(invite.createdAt)}</td>
            <td>
              {invite.usedAt ? (
                <>
                  Used {day(invite.usedAt)}
                  {invite.usedByUsername && (
                    <>
                      {" by "}
                      <a href={profilePath(invite.usedByUsername)}>@{invite.usedByUsername}</a>
                    </>
                  )}
                </>
              ) : (
                "Unused"
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function invitesRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const page = async (c: Context<AppEnv>, status: 200 | 403 | 422 = 200, error?: string) => {
    const { config, database } = c.var.deps;
    const user = requireUser(c);
    const [invites, remaining] = await Promise.all([
      listInvites(database.db, user.id),
      invitesRemaining(database.db, config, user),
    ]);
    return renderPage(
      c,
      { title: "Invites", status },
      <>
        {config.registration === "open" && (
          <p class="notice">Sign-ups are open on this instance: nobody needs a code right now.</p>
        )}
        {config.registration === "closed" && (
          <p class="notice">Sign-ups are closed on this instance: codes cannot be used for now.</p>
        )}
        <FormMessage error={error} />
        <p>
          Each code lets one person create an account.{" "}
          {remaining === null
            ? "As an administrator you can create as many as you like."
            : `You can create ${remaining} more.`}
        </p>
        {(remaining === null || remaining > 0) && (
          <form method="post" action="/invites">
            <CsrfField token={c.var.csrfToken} />
            <button type="submit">Create an invite code</button>
          </form>
        )}
        <h2>Your codes</h2>
        <InviteTable invites={invites} origin={config.origin} />
      </>,
    );
  };

  app.get("/invites", requireLogin(), (c) => page(c));

  app.post("/invites", formGuard(), requireLogin(), async (c) => {
    const { config, database, clock } = c.var.deps;
    try {
      await createInvites(database.db, clock, config, { creator: requireUser(c), count: 1 });
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      const status = errorStatus(e.code);
      return page(c, status === 403 ? 403 : 422, e.message);
    }
    return c.redirect("/invites", 303);
  });

  return app;
}
