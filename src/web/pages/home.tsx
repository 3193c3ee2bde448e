import { Hono } from "hono";
import { type AppEnv, socialDeps } from "../../http/env.ts";
import { homeSummary } from "../../settlement/home-summary.ts";
import { homeTimeline } from "../../social/timelines.ts";
import { renderPage } from "../layout.tsx";
import { Compose, entryView, Status, statusHead } from "../status-views.tsx";
import { HomeMonth, homeHead } from "./home-month.tsx";

/** What a visitor reads first: what Fediflattr is, how it works in three lines, how to join. */
function Welcome(props: { registration: "open" | "invite" | "closed" }) {
  const { registration } = props;
  return (
    <>
      <p class="big-line">
        Give a little to what you read on the fediverse, in one monthly budget.
      </p>
      <ol data-testid="how-it-works">
        <li>Put money in your wallet and choose a monthly budget (from a couple of euros).</li>
        <li>
          Flattr posts, profiles and pages you like: here, on websites with a Flattr button, or by
          favouriting from any fediverse app.
        </li>
        <li>
          At the end of the month your budget is shared between everything you flattred, to the
          cent, and the creators are paid.
        </li>
      </ol>
      <p class="actions">
        {registration !== "closed" && (
          <a href="/signup" class="button">
            {registration === "invite" ? "Sign up with an invite code" : "Sign up"}
          </a>
        )}
        <a href="/login" class="button secondary">
          Log in
        </a>
        <a href="/discover">See what people here make</a>
      </p>
      {registration === "closed" && <p class="muted">Sign-ups are closed on this instance.</p>}
    </>
  );
}

export function homeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const user = c.var.user;
    const { config, clock, database } = c.var.deps;
    if (!user)
      return renderPage(
        c,
        { title: "Flattr for the fediverse" },
        <Welcome registration={config.registration} />,
      );
    const [summary, timeline] = await Promise.all([
      homeSummary(database.db, config, clock, user.id),
      homeTimeline(socialDeps(c).db, config, user.id, { limit: 10 }),
    ]);
    return renderPage(
      c,
      {
        title: `Welcome, ${user.displayName || user.username}`,
        head: (
          <>
            {statusHead()}
            {homeHead()}
          </>
        ),
      },
      <>
        <HomeMonth summary={summary} timeZone={config.timeZone} />
        <h2>Latest from you and the people you follow</h2>
        <Compose csrfToken={c.var.csrfToken} />
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
      </>,
    );
  });
  return app;
}
