import { type Context, Hono } from "hono";
import * as v from "valibot";
import { unwrap } from "../../errors.ts";
import { type AppEnv, socialDeps } from "../../http/env.ts";
import { PostError } from "../../social/errors.ts";
import { createPostOnce } from "../../social/post-idempotency.ts";
import { createPost, deletePost, editPost, parsePostId } from "../../social/posts.ts";
import { statusById, threadOf } from "../../social/timelines.ts";
import { callerUser, optionalViewer, requireScope } from "../auth.ts";
import { MastodonError, notFound } from "../errors.ts";
import { lenient, parseParams, readParams } from "../input.ts";
import { presentStatus, presentStatuses } from "../present.ts";

/*
 * Statuses: write (with `Idempotency-Key`), read, thread, edit, delete. Posts here are public
 * plain text; what we do not have (media, polls, content warnings, other visibilities) is
 * refused with a JSON 422 saying so, never silently dropped: a post meant for followers only
 * must not go out public.
 */

type Ctx = Context<AppEnv>;

/** The status id of the path, or 404 (Mastodon's answer to any id it does not know). */
export function statusIdOf(c: Ctx): bigint {
  const id = parsePostId(c.req.param("id"));
  if (id === null) throw notFound();
  return id;
}

export const unsupported = (what: string) =>
  new MastodonError(422, `${what} are not supported on this server.`);

const StatusParams = v.object({
  status: lenient.string(),
  in_reply_to_id: lenient.string(),
  visibility: lenient.string(),
  spoiler_text: lenient.string(),
  media_ids: lenient.stringList(),
  sensitive: lenient.boolean(),
  language: lenient.string(),
});

/** Refuses what a post here cannot carry; answers the text and the reply's status id. */
async function postInput(c: Ctx) {
  const params = await readParams(c);
  const p = await parseParams(c, StatusParams);
  if ((p.media_ids ?? []).length > 0) throw unsupported("Media attachments");
  if (Object.keys(params).some((k) => k === "poll" || k.startsWith("poll[")))
    throw unsupported("Polls");
  if (p.visibility && p.visibility !== "public")
    throw new MastodonError(
      422,
      `Only public posts can be written here; this one was meant to be ${p.visibility.slice(0, 20)}.`,
    );
  if (p.spoiler_text && p.spoiler_text.trim() !== "") throw unsupported("Content warnings");
  const text = p.status ?? "";
  if (text.trim() === "") throw new MastodonError(422, "Validation failed: Text can't be blank");
  return { text, inReplyToId: p.in_reply_to_id };
}

export function statusRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/api/v1/statuses", requireScope("write:statuses"), async (c) => {
    const user = await callerUser(c);
    const { text, inReplyToId } = await postInput(c);
    let inReplyTo: string | null = null;
    if (inReplyToId) {
      const id = parsePostId(inReplyToId);
      const parent =
        id === null
          ? null
          : await statusById(c.var.deps.database.db, c.var.deps.config, id, user.id);
      if (!parent) throw notFound("The post this answers does not exist");
      inReplyTo = parent.uri;
    }
    const deps = socialDeps(c);
    const input = { content: text, inReplyTo };
    const key = c.req.header("idempotency-key")?.trim();
    const id = key
      ? unwrap(await createPostOnce(deps, user.id, input, key)).id
      : unwrap(await createPost(deps, user.id, input)).id;
    const entry = await statusById(deps.db, deps.config, id, user.id);
    if (!entry) throw notFound();
    return c.json(await presentStatus(c, entry, user.id));
  });

  app.get("/api/v1/statuses/:id", async (c) => {
    const viewer = await optionalViewer(c, "read:statuses");
    const { database, config } = c.var.deps;
    const entry = await statusById(database.db, config, statusIdOf(c), viewer);
    if (!entry) throw notFound();
    return c.json(await presentStatus(c, entry, viewer));
  });

  app.get("/api/v1/statuses/:id/context", async (c) => {
    const viewer = await optionalViewer(c, "read:statuses");
    const { database, config } = c.var.deps;
    const id = statusIdOf(c);
    if (!(await statusById(database.db, config, id, viewer))) throw notFound();
    const { ancestors, descendants } = await threadOf(database.db, config, id, viewer);
    return c.json({
      ancestors: await presentStatuses(c, ancestors, viewer),
      descendants: await presentStatuses(c, descendants, viewer),
    });
  });

  app.get("/api/v1/statuses/:id/source", requireScope("read:statuses"), async (c) => {
    const user = await callerUser(c);
    const { database, config } = c.var.deps;
    const entry = await statusById(database.db, config, statusIdOf(c), user.id);
    if (!entry || entry.author.userId !== user.id) throw notFound();
    return c.json({ id: String(entry.id), text: entry.contentSource ?? "", spoiler_text: "" });
  });

  app.put("/api/v1/statuses/:id", requireScope("write:statuses"), async (c) => {
    const user = await callerUser(c);
    const id = statusIdOf(c);
    const { text } = await postInput(c);
    const deps = socialDeps(c);
    const edited = await editPost(deps, user.id, id, { content: text });
    if (!edited.ok && edited.error.code !== "invalid_content") throw notFound();
    unwrap(edited);
    const entry = await statusById(deps.db, deps.config, id, user.id);
    if (!entry) throw notFound();
    return c.json(await presentStatus(c, entry, user.id));
  });

  // Mastodon answers the deleted status with its source, so an app can offer "delete and redraft".
  app.delete("/api/v1/statuses/:id", requireScope("write:statuses"), async (c) => {
    const user = await callerUser(c);
    const id = statusIdOf(c);
    const deps = socialDeps(c);
    const entry = await statusById(deps.db, deps.config, id, user.id);
    if (!entry || entry.author.userId !== user.id) throw notFound();
    const json = await presentStatus(c, entry, user.id, { withSource: true });
    const deleted = await deletePost(deps, user.id, id);
    if (!deleted.ok) throw new PostError("post_not_found", "There is no such post.");
    return c.json(json);
  });

  app.get("/api/v1/statuses/:id/reblogged_by", async (c) => {
    const viewer = await optionalViewer(c, "read:statuses");
    const { database, config } = c.var.deps;
    if (!(await statusById(database.db, config, statusIdOf(c), viewer))) throw notFound();
    return c.json([]);
  });

  for (const action of ["reblog", "unreblog"])
    app.post(`/api/v1/statuses/:id/${action}`, requireScope("write:statuses"), () => {
      throw unsupported("Boosts");
    });
  for (const action of ["bookmark", "unbookmark"])
    app.post(`/api/v1/statuses/:id/${action}`, requireScope("write:bookmarks"), () => {
      throw unsupported("Bookmarks");
    });
  for (const action of ["pin", "unpin"])
    app.post(`/api/v1/statuses/:id/${action}`, requireScope("write:accounts"), () => {
      throw unsupported("Pinned posts");
    });
  for (const action of ["mute", "unmute"])
    app.post(`/api/v1/statuses/:id/${action}`, requireScope("write:mutes"), () => {
      throw unsupported("Muted conversations");
    });
  for (const path of ["/api/v1/media", "/api/v2/media"])
    app.post(path, requireScope("write:media"), () => {
      throw unsupported("Media uploads");
    });
  app.put("/api/v1/media/:id", requireScope("write:media"), () => {
    throw unsupported("Media uploads");
  });
  app.post("/api/v1/polls/:id/votes", requireScope("write:statuses"), () => {
    throw unsupported("Polls");
  });

  return app;
}
