import type { Notification } from "../../social/notifications.ts";
import type { MastodonAccount } from "./account.ts";
import type { MastodonStatus } from "./status.ts";

/*
 * Mastodon's Notification entity (docs.joinmastodon.org/entities/Notification). A flattr of
 * your post is a `favourite` (what apps know how to show) with `flattr: true`, a field apps
 * ignore and Fediflattr-aware ones may read; a plain favourite from a server that does not pay
 * has `flattr: false`.
 */

export interface MastodonNotification {
  id: string;
  type: string;
  created_at: string;
  group_key: string;
  account: MastodonAccount;
  status?: MastodonStatus;
  flattr?: boolean;
}

export function notificationJson(
  n: Notification,
  account: MastodonAccount,
  status: MastodonStatus | undefined,
): MastodonNotification {
  return {
    id: String(n.id),
    type: n.type,
    created_at: n.createdAt.toISOString(),
    // Mastodon 4.3 groups favourites of one status; ungrouped ones are keyed by their id.
    group_key: `ungrouped-${n.id}`,
    account,
    ...(status ? { status } : {}),
    ...(n.type === "favourite" ? { flattr: n.flattr } : {}),
  };
}
