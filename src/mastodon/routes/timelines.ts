import { type Context, Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import { homeTimeline, publicTimeline, type TimelineEntry } from "../../social/timelines.ts";
import { callerUser, optionalViewer, requireScope } from "../auth.ts";
import { asBoolean, readParams } from "../input.ts";
import { linkHeader, pageParams } from "../pagination.ts";
import { presentStatuses } from "../present.ts";

/*
 * Timelines: home (your posts and those of whom you follow) and public (`local` for this
 * server's posts only, `remote` for the others'). Tags and lists have no posts here: an empty
 * page, as Mastodon answers for a tag nobody used.
 */

export function timelineRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const page = async (c: Context<AppEnv>, entries: TimelineEntry[], viewer: number | null) => {
    const link = linkHeader(
      new URL(c.req.url),
      entries.map((e) => e.id),
    );
    if (link) c.header("Link", link);
    return c.json(await presentStatuses(c, entries, viewer));
  };

  app.get("/api/v1/timelines/home", requireScope("read:statuses"), async (c) => {
    const user = await callerUser(c);
    const { database, config } = c.var.deps;
    const p = pageParams(await readParams(c));
    return page(c, await homeTimeline(database.db, config, user.id, p), user.id);
  });

  app.get("/api/v1/timelines/public", async (c) => {
    const viewer = await optionalViewer(c, "read:statuses");
    const { database, config } = c.var.deps;
    const params = await readParams(c);
    if (asBoolean(params.only_media)) return c.json([]);
    const options = { local: asBoolean(params.local), remote: asBoolean(params.remote) };
    const entries = await publicTimeline(database.db, config, options, pageParams(params));
    return page(c, entries, viewer);
  });

  app.get("/api/v1/timelines/tag/:tag", async (c) => {
    await optionalViewer(c, "read:statuses");
    return c.json([]);
  });
  app.get("/api/v1/timelines/list/:id", requireScope("read:lists"), (c) =>
    c.json({ error: "Record not found" }, 404),
  );

  return app;
}
