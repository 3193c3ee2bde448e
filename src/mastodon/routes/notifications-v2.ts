import { type Context, Hono } from "hono";
import type { AppEnv } from "../../http/env.ts";
import {
  dismissNotification,
  getNotification,
  type Notification,
} from "../../social/notifications.ts";
import { callerUser, requireScope } from "../auth.ts";
import type { MastodonAccount } from "../entities/account.ts";
import type { MastodonNotification } from "../entities/notification.ts";
import type { MastodonStatus } from "../entities/status.ts";
import { notFound } from "../errors.ts";
import { notificationPage } from "../notification-query.ts";
import { idParam } from "../pagination.ts";
import { presentNotifications } from "../present-notifications.ts";
import { unreadCount } from "./notifications.ts";

/*
 * Mastodon 4.3's grouped notifications (`/api/v2/notifications`), which apps use when the
 * instance says it is 4.3 (Phanpy does). Every notification is its own group (`ungrouped-<id>`),
 * which Mastodon's documentation allows for any type; accounts and statuses are sent once,
 * beside the groups. The notification policy and requests answer that nothing is filtered.
 */

interface Group {
  group_key: string;
  notifications_count: number;
  type: string;
  most_recent_notification_id: string;
  page_min_id: string;
  page_max_id: string;
  latest_page_notification_at: string;
  sample_account_ids: string[];
  status_id?: string;
  flattr?: boolean;
}

function grouped(list: readonly MastodonNotification[]) {
  const accounts = new Map<string, MastodonAccount>();
  const statuses = new Map<string, MastodonStatus>();
  const groups: Group[] = list.map((n) => {
    accounts.set(n.account.id, n.account);
    if (n.status) statuses.set(n.status.id, n.status);
    return {
      group_key: n.group_key,
      notifications_count: 1,
      type: n.type,
      most_recent_notification_id: n.id,
      page_min_id: n.id,
      page_max_id: n.id,
      latest_page_notification_at: n.created_at,
      sample_account_ids: [n.account.id],
      ...(n.status ? { status_id: n.status.id } : {}),
      ...(n.flattr === undefined ? {} : { flattr: n.flattr }),
    };
  });
  return {
    accounts: [...accounts.values()],
    statuses: [...statuses.values()],
    notification_groups: groups,
  };
}

/** The notification a group key names (`ungrouped-<id>`, or a bare id). */
async function byGroupKey(c: Context<AppEnv>, userId: number): Promise<Notification | null> {
  const raw = c.req.param("group_key") ?? "";
  const id = idParam(raw.startsWith("ungrouped-") ? raw.slice("ungrouped-".length) : raw);
  return id === undefined ? null : getNotification(c.var.deps.database.db, userId, id);
}

const POLICY_V2 = {
  for_not_following: "accept",
  for_not_followers: "accept",
  for_new_accounts: "accept",
  for_private_mentions: "accept",
  for_limited_accounts: "accept",
  summary: { pending_requests_count: 0, pending_notifications_count: 0 },
};
const POLICY_V1 = {
  filter_not_following: false,
  filter_not_followers: false,
  filter_new_accounts: false,
  filter_private_mentions: false,
  summary: { pending_requests_count: 0, pending_notifications_count: 0 },
};

export function groupedNotificationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/api/v2/notifications", requireScope("read:notifications"), async (c) => {
    const user = await callerUser(c);
    const list = await notificationPage(c, user.id);
    return c.json(grouped(await presentNotifications(c, list, user.id)));
  });

  app.get("/api/v2/notifications/unread_count", requireScope("read:notifications"), unreadCount);

  for (const [path, policy] of [
    ["/api/v2/notifications/policy", POLICY_V2],
    ["/api/v1/notifications/policy", POLICY_V1],
  ] as const) {
    app.get(path, requireScope("read:notifications"), (c) => c.json(policy));
    // Nothing is filtered here, so there is nothing to change: the policy stays as it is.
    app.on(["PUT", "PATCH"], path, requireScope("write:notifications"), (c) => c.json(policy));
  }
  app.get("/api/v1/notifications/requests", requireScope("read:notifications"), (c) => c.json([]));
  app.get("/api/v1/notifications/requests/merged", requireScope("read:notifications"), (c) =>
    c.json({ merged: true }),
  );

  app.get("/api/v2/notifications/:group_key", requireScope("read:notifications"), async (c) => {
    const user = await callerUser(c);
    const n = await byGroupKey(c, user.id);
    const list = n ? await presentNotifications(c, [n], user.id) : [];
    if (list.length === 0) throw notFound();
    return c.json(grouped(list));
  });

  app.get(
    "/api/v2/notifications/:group_key/accounts",
    requireScope("read:notifications"),
    async (c) => {
      const user = await callerUser(c);
      const n = await byGroupKey(c, user.id);
      const [json] = n ? await presentNotifications(c, [n], user.id) : [];
      if (!json) throw notFound();
      return c.json([json.account]);
    },
  );

  app.post(
    "/api/v2/notifications/:group_key/dismiss",
    requireScope("write:notifications"),
    async (c) => {
      const user = await callerUser(c);
      const n = await byGroupKey(c, user.id);
      const { database, clock } = c.var.deps;
      if (!n || !(await dismissNotification(database.db, clock, user.id, n.id))) throw notFound();
      return c.json({});
    },
  );

  return app;
}
