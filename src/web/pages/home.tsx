import { Hono } from "hono";
import { type AppEnv, socialDeps } from "../../http/env.ts";
import { profilePath, searchPath } from "../../http/urls.ts";
import { homeTimeline } from "../../social/timelines.ts";
import { renderPage } from "../layout.tsx";
import { Compose, entryView, Status, statusHead } from "../status-views.tsx";

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const user = c.var.user;
    const { registration } = c.var.deps.config;
    if (user) {
      const { config } = c.var.deps;
      const timeline = await homeTimeline(socialDeps(c).db, config, user.id, { limit: 20 });
      return renderPage(
        c,
        { title: `Welcome, ${user.displayName || user.username}`, head: statusHead() },
        <>
          <Compose csrfToken={c.var.csrfToken} />
          <h2>Latest from you and the people you follow</h2>
          {timeline.length === 0 ? (
            <p class="muted">
              Nothing yet. <a href="/following">Follow someone</a>, here or on any fediverse server.
            </p>
          ) : (
            timeline.map((entry) => (
              <Status
                config={config}
                status={entryView(entry, user.id)}
                csrfToken={c.var.csrfToken}
              />
            ))
          )}
          <h2>Your account</h2>
          <ul>
            <li>
              <a href={searchPath()}>Find a profile or post to flattr</a>, here or on any fediverse
              server
            </li>
            <li>
              <a href={profilePath(user.username)}>Your public profile</a>
            </li>
            <li>
              <a href="/settings">Profile settings</a>
            </li>
            <li>
              <a href="/following">Following</a> and <a href="/followers">followers</a>
            </li>
            <li>
              <a href="/invites">Invite people</a>
            </li>
          </ul>
        </>,
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
