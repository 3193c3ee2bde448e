import { type Context, Hono } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../../http/env.ts";
import { readMarkers } from "../../social/markers.ts";
import {
  clearNotifications,
  dismissNotification,
  getNotification,
  listNotifications,
} from "../../social/notifications.ts";
import { callerUser, requireScope } from "../auth.ts";
import { notFound } from "../errors.ts";
import { lenient, parseParams, readParams } from "../input.ts";
import { notificationPage } from "../notification-query.ts";
import { idParam, pageParams } from "../pagination.ts";
import { presentNotifications } from "../present-notifications.ts";

/*
 * `/api/v1/notifications`: list (types, exclude_types, account_id, Link pagination), show,
 * dismiss, clear. Written by the database where events happen (docs/adr/0021).
 */

const DismissParams = v.object({ id: lenient.string() });

/**
 * Mastodon 4.3: how many notifications are newer than the notifications marker (v1 and v2),
 * counted up to `limit` (default 100, at most 1000, as Mastodon's; apps show "99+").
 */
export async function unreadCount(c: Context<AppEnv>): Promise<Response> {
  const user = await callerUser(c);
  const { db } = c.var.deps.database;
  const marker = (await readMarkers(db, user.id, ["notifications"])).notifications;
  const list = await listNotifications(db, user.id, {
    limit: pageParams(await readParams(c), { defaultLimit: 100, maxLimit: 1000 }).limit,
    sinceId: marker ? BigInt(marker.lastReadId) : undefined,
  });
  return c.json({ count: list.length });
}

export function notificationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/api/v1/notifications", requireScope("read:notifications"), async (c) => {
    const user = await callerUser(c);
    const list = await notificationPage(c, user.id);
    return c.json(await presentNotifications(c, list, user.id));
  });

  app.get("/api/v1/notifications/unread_count", requireScope("read:notifications"), unreadCount);

  app.get("/api/v1/notifications/:id", requireScope("read:notifications"), async (c) => {
    const user = await callerUser(c);
    const id = idParam(c.req.param("id"));
    const n = id === undefined ? null : await getNotification(c.var.deps.database.db, user.id, id);
    const [json] = n ? await presentNotifications(c, [n], user.id) : [];
    if (!json) throw notFound();
    return c.json(json);
  });

  const dismiss = async (
    user: { id: number },
    raw: string | undefined,
    deps: AppEnv["Variables"]["deps"],
  ) => {
    const id = idParam(raw);
    if (id === undefined || !(await dismissNotification(deps.database.db, deps.clock, user.id, id)))
      throw notFound();
  };

  app.post("/api/v1/notifications/clear", requireScope("write:notifications"), async (c) => {
    const user = await callerUser(c);
    await clearNotifications(c.var.deps.database.db, c.var.deps.clock, user.id);
    return c.json({});
  });

  // The pre-3.1 form, still sent by some apps: the id as a parameter.
  app.post("/api/v1/notifications/dismiss", requireScope("write:notifications"), async (c) => {
    const user = await callerUser(c);
    const { id } = await parseParams(c, DismissParams);
    await dismiss(user, id, c.var.deps);
    return c.json({});
  });

  app.post("/api/v1/notifications/:id/dismiss", requireScope("write:notifications"), async (c) => {
    const user = await callerUser(c);
    await dismiss(user, c.req.param("id"), c.var.deps);
    return c.json({});
  });

  return app;
}
