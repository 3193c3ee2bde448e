import { Hono } from "hono";
import { findUserByUsername } from "../../accounts/users.ts";
import { listOwnedThings } from "../../flattr/owner-things.ts";
import { type AppEnv, socialDeps } from "../../http/env.ts";
import { ClientError } from "../../http/errors.ts";
import { actorUrl, paymentLinkPath, paymentLinkUrl, profilePath } from "../../http/urls.ts";
import { followCounts, followState } from "../../social/follows.ts";
import { listPostsByUser } from "../../social/posts.ts";
import { Bio } from "../bio.tsx";
import { FormMessage, renderPage } from "../layout.tsx";
import { postView, Status, statusHead } from "../status-views.tsx";
import { FollowButton } from "./following.tsx";
import { ProfileButton, ProfileThings } from "./profile-things.tsx";

/**
 * The public HTML profile at `/@username`. `/users/{username}` belongs to federation (the
 * ActivityPub actor); this page links to it as the alternate representation.
 */
export function profileRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/:handle{@[A-Za-z0-9_]{1,30}}", async (c) => {
    const { config, database } = c.var.deps;
    const username = c.req.param("handle").slice(1);
    const user = await findUserByUsername(database.db, username);
    if (!user) throw new ClientError(404, `There is no user @${username} here.`);
    if (user.username !== username) return c.redirect(profilePath(user.username), 301);
    const actor = actorUrl(config, user.username);
    const viewer = c.var.user;
    const [posts, counts, state, owned] = await Promise.all([
      listPostsByUser(socialDeps(c), user.id, { limit: 20 }),
      followCounts(database.db, user.id),
      viewer && viewer.id !== user.id ? followState(database.db, viewer.id, actor) : null,
      listOwnedThings(database.db, c.var.deps.clock, config, user.id),
    ]);
    return renderPage(
      c,
      {
        title: user.displayName || user.username,
        head: (
          <>
            <link rel="alternate" type="application/activity+json" href={actor} />
            <link rel="payment" href={paymentLinkUrl(config, user.username)} type="text/html" />
            {statusHead()}
          </>
        ),
      },
      <>
        <p class="muted">
          @{user.username}@{config.origin.host}
        </p>
        <FormMessage
          notice={c.req.query("deleted") !== undefined ? "Your post was deleted." : null}
        />
        <p>
          <a class="button" href={paymentLinkPath(user.username)}>
            Flattr @{user.username}
          </a>
        </p>
        {user.bio ? <Bio text={user.bio} /> : <p class="muted">No bio yet.</p>}
        <p class="muted" data-testid="follow-counts">
          {counts.following} following · {counts.followers}{" "}
          {counts.followers === 1 ? "follower" : "followers"}
        </p>
        {state !== null && (
          <FollowButton
            csrfToken={c.var.csrfToken}
            actorUri={state === "none" ? `@${user.username}` : actor}
            following={state !== "none"}
            next={profilePath(user.username)}
          />
        )}
        {viewer?.id === user.id && (
          <p>
            <a href="/posts/new">Write a post</a> · <a href="/following">Following</a>
          </p>
        )}
        <ProfileThings things={owned.things} own={viewer?.id === user.id} />
        <h2>Posts</h2>
        {posts.length === 0 ? (
          <p class="muted">No posts yet.</p>
        ) : (
          posts.map((post) => (
            <Status
              config={config}
              status={postView(config, post, viewer?.id ?? null)}
              csrfToken={c.var.csrfToken}
            />
          ))
        )}
        <ProfileButton config={config} username={user.username} />
      </>,
    );
  });
  // Browsers that follow an actor id (Fedify answers only ActivityPub there and hands HTML
  // requests on to us) land on the profile. Only for an existing, exactly spelled user and an
  // HTML client, so ActivityPub clients keep getting Fedify's 404.
  app.get("/users/:username{[A-Za-z0-9_]{1,30}}", async (c, next) => {
    const username = c.req.param("username");
    const user = await findUserByUsername(c.var.deps.database.db, username);
    if (!user || user.username !== username || !c.req.header("accept")?.includes("text/html")) {
      return next();
    }
    return c.redirect(profilePath(username), 302);
  });
  return app;
}
