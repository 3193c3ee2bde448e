import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../http/env.ts";
import { socialDeps } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import {
  type FollowEntry,
  follow,
  listFollowers,
  listFollowing,
  unfollow,
} from "../../social/follows.ts";
import { formGuard } from "../csrf.ts";
import { readForm, safeNext } from "../forms.ts";
import { CsrfField, FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";

/*
 * Following on the web: whom you follow (with a box to follow anyone by handle or URL, here or
 * on another server, and an unfollow button each), who follows you, and the follow/unfollow
 * buttons profiles post to.
 */

const PAGE = 100;

/** A follow or unfollow button; after it, the browser comes back to `next`. */
export function FollowButton(props: {
  csrfToken: string;
  actorUri: string;
  following: boolean;
  next: string;
  label?: string;
}) {
  return (
    <form method="post" action={props.following ? "/unfollow" : "/follow"} class="inline">
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name={props.following ? "actor" : "target"} value={props.actorUri} />
      <input type="hidden" name="next" value={props.next} />
      <button type="submit" class={props.following ? "link" : undefined}>
        {props.label ?? (props.following ? "Unfollow" : "Follow")}
      </button>
    </form>
  );
}

function EntryList(props: {
  entries: FollowEntry[];
  csrfToken?: string;
  empty: string;
  next: string;
}) {
  if (props.entries.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <table>
      <tbody>
        {props.entries.map((e) => (
          <tr data-testid="follow-entry">
            <td>
              <a href={e.url} rel={e.userId === null ? "nofollow noopener noreferrer" : undefined}>
                {e.name}
              </a>{" "}
              <span class="muted">{e.handle ? `@${e.handle}` : e.actorUri}</span>
              {!e.accepted && <span class="muted"> (waiting for them to accept)</span>}
            </td>
            {props.csrfToken && (
              <td>
                <FollowButton
                  csrfToken={props.csrfToken}
                  actorUri={e.actorUri}
                  following
                  next={props.next}
                />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

async function followingPage(
  c: Context<AppEnv>,
  options: { error?: string; notice?: string; target?: string; status?: ContentfulStatusCode } = {},
) {
  const user = requireUser(c);
  const list = await listFollowing(socialDeps(c), user.id, { limit: PAGE });
  return renderPage(
    c,
    { title: "Following", status: options.status },
    <>
      <FormMessage error={options.error} notice={options.notice} />
      <form method="post" action="/follow" class="stack">
        <CsrfField token={c.var.csrfToken} />
        <input type="hidden" name="next" value="/following?followed" />
        <label>
          Follow someone
          <input
            type="text"
            name="target"
            value={options.target ?? ""}
            placeholder="@someone@server.example or a profile URL"
            required
          />
          <small>
            Anyone on the fediverse (Mastodon and friends) or here. Their posts appear on your home
            page, where you can flattr them.
          </small>
        </label>
        <button type="submit">Follow</button>
      </form>
      <h2>You follow</h2>
      <EntryList
        entries={list.entries}
        csrfToken={c.var.csrfToken}
        empty="You follow nobody yet."
        next="/following"
      />
      <p>
        <a href="/followers">Who follows you</a>
      </p>
    </>,
  );
}

const NOTICES: Record<string, string> = {
  followed: "Followed. Someone on another server may need a moment to accept.",
  unfollowed: "You no longer follow them.",
};

export function followingRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/following", requireLogin(), (c) => {
    const done = Object.keys(NOTICES).find((k) => c.req.query(k) !== undefined);
    return followingPage(c, { notice: done ? NOTICES[done] : undefined });
  });

  app.get("/followers", requireLogin(), async (c) => {
    const user = requireUser(c);
    const list = await listFollowers(socialDeps(c), user.id, { limit: PAGE });
    return renderPage(
      c,
      { title: "Followers" },
      <EntryList entries={list.entries} empty="Nobody follows you yet." next="/followers" />,
    );
  });

  app.post("/follow", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const target = form.get("target");
    const result = await follow(socialDeps(c), user.id, target);
    if (!result.ok)
      return followingPage(c, {
        error: result.error.message,
        target: target.slice(0, 300),
        status: errorStatus(result.error.code),
      });
    return c.redirect(safeNext(form.get("next") || "/following?followed"), 303);
  });

  app.post("/unfollow", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    await unfollow(socialDeps(c), user.id, form.get("actor"));
    return c.redirect(safeNext(form.get("next") || "/following?unfollowed"), 303);
  });

  return app;
}
