import type { Context } from "hono";
import { findUserById } from "../accounts/users.ts";
import type { AppEnv } from "../http/env.ts";
import { accountStats } from "../social/account-stats.ts";
import type { Notification } from "../social/notifications.ts";
import { findRemoteActorById } from "../social/remote-actors.ts";
import { statusesByIds } from "../social/timelines.ts";
import { localAccount, type MastodonAccount, remoteAccount } from "./entities/account.ts";
import { type MastodonNotification, notificationJson } from "./entities/notification.ts";
import { presentStatuses } from "./present.ts";

/*
 * Notifications as the Mastodon API answers them: each with the account that acted and, for
 * favourites and mentions, the status, read once per page. A notification whose status the
 * viewer can no longer read (deleted, or no longer visible to them) is left out, as Mastodon's.
 */

async function accountsOf(
  c: Context<AppEnv>,
  list: readonly Notification[],
): Promise<Map<string, MastodonAccount>> {
  const { config, database } = c.var.deps;
  const db = database.db;
  const out = new Map<string, MastodonAccount>();
  for (const n of list) {
    if (n.fromUserId !== null) {
      const key = `u${n.fromUserId}`;
      if (out.has(key)) continue;
      const user = await findUserById(db, n.fromUserId);
      if (user) out.set(key, localAccount(config, user, await accountStats(db, user.id)));
    } else if (n.fromRemoteActorId !== null) {
      const key = `r${n.fromRemoteActorId}`;
      if (out.has(key)) continue;
      const actor = await findRemoteActorById(db, n.fromRemoteActorId);
      if (actor) out.set(key, remoteAccount(config, actor));
    }
  }
  return out;
}

export async function presentNotifications(
  c: Context<AppEnv>,
  list: readonly Notification[],
  viewerId: number,
): Promise<MastodonNotification[]> {
  const { config, database } = c.var.deps;
  const statusIds = [...new Set(list.flatMap((n) => (n.statusId === null ? [] : [n.statusId])))];
  const [accounts, entries] = await Promise.all([
    accountsOf(c, list),
    statusesByIds(database.db, config, statusIds, viewerId),
  ]);
  const presented = await presentStatuses(c, [...entries.values()], viewerId);
  const statuses = new Map(presented.map((s) => [s.id, s]));
  const out: MastodonNotification[] = [];
  for (const n of list) {
    const account = accounts.get(
      n.fromUserId !== null ? `u${n.fromUserId}` : `r${n.fromRemoteActorId}`,
    );
    if (!account) continue;
    const status = n.statusId === null ? undefined : statuses.get(String(n.statusId));
    if (n.statusId !== null && !status) continue;
    out.push(notificationJson(n, account, status));
  }
  return out;
}
