import { type Context, Hono } from "hono";
import type { Config } from "../config/config.ts";
import { unwrap } from "../errors.ts";
import { apiUser } from "../http/bearer.ts";
import { type AppEnv, socialDeps } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { apiPostUrl, profileUrl } from "../http/urls.ts";
import { PostError } from "../social/errors.ts";
import {
  createPost,
  deletePost,
  editPost,
  getPost,
  type Post,
  parsePostId,
} from "../social/posts.ts";
import { readJson, stringField } from "./input.ts";

/*
 * Posts in the REST API: write, read, edit, delete your own. Ids are strings: they are int8s
 * that sort by time (as in Mastodon's API) and exceed what a JSON number holds exactly.
 * Written in the hand-made style of the other route files, with the OpenAPI document beside.
 */

export function postJson(config: Config, post: Post) {
  return {
    id: String(post.id),
    uri: post.uri,
    url: post.url,
    thing_id: post.thingId,
    content: post.contentSource,
    content_html: post.contentHtml,
    in_reply_to: post.inReplyToUri,
    created_at: post.publishedAt.toISOString(),
    edited_at: post.editedAt?.toISOString() ?? null,
    author: { username: post.username, url: profileUrl(config, post.username) },
    mentions: post.mentions.map((m) => ({ handle: m.handle, actor: m.actorUri, url: m.url })),
  };
}

function postId(c: Context<AppEnv>): bigint {
  const id = parsePostId(c.req.param("id"));
  if (id === null)
    throw new ApiError(404, "No such post: ids are positive whole numbers.", "not_found");
  return id;
}

/** A live post by id, or 404 (post_not_found) for unknown and deleted ones. */
async function livePost(c: Context<AppEnv>, id: bigint): Promise<Post> {
  const post = await getPost(socialDeps(c), id);
  if (!post || post.deletedAt) throw new PostError("post_not_found", "There is no such post.");
  return post;
}

export function postRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/posts", async (c) => {
    const user = await apiUser(c, "write");
    const body = await readJson(c);
    const content = stringField(body, "content", true);
    const inReplyTo = stringField(body, "in_reply_to", false);
    const created = unwrap(await createPost(socialDeps(c), user.id, { content, inReplyTo }));
    const { config } = c.var.deps;
    c.header("Location", apiPostUrl(config, created.id));
    return c.json(
      { id: String(created.id), uri: created.uri, url: created.url, thing_id: created.thingId },
      201,
    );
  });

  app.get("/posts/:id", async (c) => {
    await apiUser(c, "read");
    return c.json(postJson(c.var.deps.config, await livePost(c, postId(c))));
  });

  const edit = async (c: Context<AppEnv>) => {
    const user = await apiUser(c, "write");
    const id = postId(c);
    const body = await readJson(c);
    const content = stringField(body, "content", true);
    unwrap(await editPost(socialDeps(c), user.id, id, { content }));
    return c.json(postJson(c.var.deps.config, await livePost(c, id)));
  };
  app.put("/posts/:id", edit);
  app.patch("/posts/:id", edit);

  app.delete("/posts/:id", async (c) => {
    const user = await apiUser(c, "write");
    const deleted = unwrap(await deletePost(socialDeps(c), user.id, postId(c)));
    return c.json({ id: String(deleted.id), thing_id: deleted.thingId, deleted: true });
  });

  return app;
}
