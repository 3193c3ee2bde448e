import { Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { profilePath } from "../../http/urls.ts";
import { renderPage } from "../layout.tsx";

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => {
    const user = c.var.user;
    const { registration } = c.var.deps.config;
    if (user) {
      return renderPage(
        c,
        { title: `Welcome, ${user.displayName || user.username}` },
        <ul>
          <li>
            <a href={profilePath(user.username)}>Your public profile</a>
          </li>
          <li>
            <a href="/settings">Profile settings</a>
          </li>
          <li>
            <a href="/invites">Invite people</a>
          </li>
        </ul>,
      );
    }
    return renderPage(
      c,
      { title: "Flattr for the fediverse" },
      <>
        <p>
          Set a monthly budget, favourite posts from any fediverse app, and at the end of the month
          your budget is shared between everything you flattr'd, to the cent.
        </p>
        <p>
          <a href="/login">Log in</a>
          {registration === "open" && (
            <>
              {" or "}
              <a href="/signup">sign up</a>
            </>
          )}
          {registration === "invite" && (
            <>
              {" or "}
              <a href="/signup">sign up with an invite code</a>
            </>
          )}
          .{registration === "closed" && " Sign-ups are closed on this instance."}
        </p>
      </>,
    );
  });
  return app;
}
