import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../http/env.ts";
import { socialDeps } from "../../http/env.ts";
import { errorStatus } from "../../http/error-status.ts";
import { ClientError } from "../../http/errors.ts";
import { flattrUrl, postPath, profilePath, thingPath } from "../../http/urls.ts";
import type { PostError } from "../../social/errors.ts";
import { createPost, deletePost, editPost, getPost, parsePostId } from "../../social/posts.ts";
import { formGuard } from "../csrf.ts";
import { readForm } from "../forms.ts";
import { FormMessage, renderPage } from "../layout.tsx";
import { requireLogin, requireUser } from "../session.ts";
import { Compose, postView, Status, statusHead } from "../status-views.tsx";

/*
 * Posts on the web: writing one (`/posts/new`, or the box on the home page), its own page at
 * its `url` (`/@name/posts/{id}`), editing and deleting it. Its ActivityPub id
 * (`/users/name/posts/{id}`) answers ActivityPub clients through Fedify (src/federation/notes.ts);
 * a browser that opens the id is sent here, and a deleted post answers 410 there.
 */

function composePage(
  c: Context<AppEnv>,
  options: { content?: string; inReplyTo?: string; error?: string; status?: ContentfulStatusCode },
) {
  return renderPage(
    c,
    { title: options.inReplyTo ? "Reply" : "New post", status: options.status, head: statusHead() },
    <>
      <FormMessage error={options.error} />
      <Compose
        csrfToken={c.var.csrfToken}
        content={options.content}
        inReplyTo={options.inReplyTo}
      />
    </>,
  );
}

async function loadPost(c: Context<AppEnv>) {
  const id = parsePostId(c.req.param("id"));
  const post = id === null ? null : await getPost(socialDeps(c), id);
  if (!post) throw new ClientError(404, "There is no such post.");
  return post;
}

/** A refusal's status and message, for pages that show the form again. */
const refusal = (e: PostError) => ({ error: e.message, status: errorStatus(e.code) });

export function postRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/posts/new", requireLogin(), (c) => {
    const inReplyTo = c.req.query("in_reply_to")?.slice(0, 2048);
    return composePage(c, { inReplyTo });
  });

  app.post("/posts", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const form = await readForm(c);
    const content = form.get("content");
    const inReplyTo = form.get("in_reply_to");
    const result = await createPost(socialDeps(c), user.id, { content, inReplyTo });
    if (!result.ok)
      return composePage(c, {
        content: content.slice(0, 20_000),
        inReplyTo: inReplyTo.slice(0, 2048) || undefined,
        ...refusal(result.error),
      });
    return c.redirect(postPath(user.username, result.value.id), 303);
  });

  app.get("/:handle{@[A-Za-z0-9_]{1,30}}/posts/:id", async (c) => {
    const post = await loadPost(c);
    const username = c.req.param("handle").slice(1);
    if (post.username !== username) throw new ClientError(404, "There is no such post.");
    const { config } = c.var.deps;
    const viewer = c.var.user;
    if (post.deletedAt)
      return renderPage(
        c,
        { title: "Deleted post", status: 410 },
        <p>
          This post by <a href={profilePath(post.username)}>@{post.username}</a> was deleted. Its
          flattrs stay on <a href={thingPath(post.thingId)}>its thing page</a>.
        </p>,
      );
    return renderPage(
      c,
      {
        title: `Post by ${post.displayName || post.username}`,
        head: (
          <>
            {statusHead()}
            <link rel="alternate" type="application/activity+json" href={post.uri} />
            <link rel="payment" href={flattrUrl(config, post.thingId)} type="text/html" />
          </>
        ),
      },
      <>
        <FormMessage notice={c.req.query("saved") !== undefined ? "Your post was saved." : null} />
        <Status
          config={config}
          status={postView(config, post, viewer?.id ?? null)}
          csrfToken={c.var.csrfToken}
        />
        {viewer && (
          <p>
            <a href={`/posts/new?in_reply_to=${encodeURIComponent(post.uri)}`}>Reply</a>
          </p>
        )}
      </>,
    );
  });

  const editPage = (
    c: Context<AppEnv>,
    postId: bigint,
    content: string,
    problem?: { error: string; status: ContentfulStatusCode },
  ) =>
    renderPage(
      c,
      { title: "Edit post", status: problem?.status },
      <>
        <FormMessage error={problem?.error} />
        <Compose
          csrfToken={c.var.csrfToken}
          content={content}
          action={`/posts/${postId}/edit`}
          submit="Save"
        />
      </>,
    );

  app.get("/posts/:id/edit", requireLogin(), async (c) => {
    const post = await loadPost(c);
    if (post.userId !== requireUser(c).id || post.deletedAt)
      throw new ClientError(404, "There is no such post of yours.");
    return editPage(c, post.id, post.contentSource);
  });

  app.post("/posts/:id/edit", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const post = await loadPost(c);
    const content = (await readForm(c)).get("content");
    const result = await editPost(socialDeps(c), user.id, post.id, { content });
    if (!result.ok) return editPage(c, post.id, content.slice(0, 20_000), refusal(result.error));
    return c.redirect(`${postPath(post.username, post.id)}?saved`, 303);
  });

  app.post("/posts/:id/delete", formGuard(), requireLogin(), async (c) => {
    const user = requireUser(c);
    const post = await loadPost(c);
    const result = await deletePost(socialDeps(c), user.id, post.id);
    if (!result.ok) throw new ClientError(errorStatus(result.error.code), result.error.message);
    return c.redirect(`${profilePath(user.username)}?deleted`, 303);
  });

  // A post's ActivityPub id that Fedify did not answer: anything but an ActivityPub client
  // (sent to the page), or a deleted post (410 Gone with a Tombstone, as Mastodon answers).
  app.get("/users/:username{[A-Za-z0-9_]{1,30}}/posts/:id", async (c, next) => {
    const id = parsePostId(c.req.param("id"));
    const post = id === null ? null : await getPost(socialDeps(c), id);
    if (!post || post.username !== c.req.param("username")) return next();
    const wantsActivityJson = /application\/(activity|ld)\+json/.test(c.req.header("accept") ?? "");
    if (!wantsActivityJson) return c.redirect(postPath(post.username, post.id), 302);
    if (!post.deletedAt) return next();
    return c.json(
      {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: post.uri,
        type: "Tombstone",
        deleted: post.deletedAt.toISOString(),
      },
      410,
      { "Content-Type": "application/activity+json" },
    );
  });

  return app;
}
