import type { User } from "../../accounts/users.ts";
import type { Config } from "../../config/config.ts";
import { actorUrl, avatarUrl, headerImageUrl, profileUrl } from "../../http/urls.ts";
import type { AccountStats } from "../../social/account-stats.ts";
import { dayOf, plainToHtml } from "./text.ts";

/*
 * Mastodon's Account entity (docs.joinmastodon.org/entities/Account), for a local user: the
 * fields apps read. Local users keep their small ids; remote actors (a later serializer beside
 * this one) have time-sorted ids above 2^40, so ids never collide.
 */

export interface MastodonAccount {
  id: string;
  username: string;
  acct: string;
  display_name: string;
  locked: boolean;
  bot: boolean;
  discoverable: boolean;
  indexable: boolean;
  group: boolean;
  noindex: boolean;
  created_at: string;
  note: string;
  url: string;
  uri: string;
  avatar: string;
  avatar_static: string;
  header: string;
  header_static: string;
  followers_count: number;
  following_count: number;
  statuses_count: number;
  last_status_at: string | null;
  hide_collections: boolean;
  emojis: never[];
  fields: never[];
  roles: never[];
}

export function localAccount(config: Config, user: User, stats: AccountStats): MastodonAccount {
  const avatar = avatarUrl(config, user.username);
  const header = headerImageUrl(config);
  return {
    id: String(user.id),
    username: user.username,
    acct: user.username,
    display_name: user.displayName,
    locked: false,
    bot: false,
    discoverable: true,
    indexable: false,
    group: false,
    noindex: false,
    created_at: dayOf(user.createdAt),
    note: plainToHtml(user.bio),
    url: profileUrl(config, user.username),
    uri: actorUrl(config, user.username),
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: stats.followers,
    following_count: stats.following,
    statuses_count: stats.statuses,
    last_status_at: stats.lastStatusAt ? stats.lastStatusAt.toISOString().slice(0, 10) : null,
    hide_collections: false,
    emojis: [],
    fields: [],
    roles: [],
  };
}

/**
 * The CredentialAccount of `verify_credentials`: the account plus `source` (what the settings
 * form edits) and `role`. A token with only the `profile` scope gets neither (Mastodon 4.3).
 */
export function credentialAccount(
  config: Config,
  user: User,
  stats: AccountStats,
  options: { profileOnly: boolean },
) {
  const account = localAccount(config, user, stats);
  if (options.profileOnly) return account;
  return {
    ...account,
    source: {
      privacy: "public",
      sensitive: false,
      language: null,
      note: user.bio,
      fields: [],
      follow_requests_count: 0,
      hide_collections: false,
      discoverable: true,
      indexable: false,
    },
    role: user.isAdmin
      ? { id: "3", name: "Owner", color: "", permissions: "1", highlighted: true }
      : { id: "-99", name: "", color: "", permissions: "0", highlighted: false },
  };
}
