import { POST_VISIBILITY, type Preferences } from "../../accounts/preferences.ts";
import type { User } from "../../accounts/users.ts";
import type { Config } from "../../config/config.ts";
import { actorUrl, avatarUrl, headerImageUrl, profileUrl } from "../../http/urls.ts";
import type { AccountStats } from "../../social/account-stats.ts";
import type { RemoteActor } from "../../social/remote-actors.ts";
import type { StatusAuthor } from "../../social/timelines.ts";
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

/** What the Account entity of a local user is made of. */
export type LocalUser = Pick<User, "id" | "username" | "displayName" | "bio" | "createdAt">;

export const NO_STATS: AccountStats = {
  followers: 0,
  following: 0,
  statuses: 0,
  lastStatusAt: null,
};

export function localAccount(
  config: Config,
  user: LocalUser,
  stats: AccountStats,
): MastodonAccount {
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
 * A remote actor as an Account: `acct` is its full handle; the counts are the totals its server
 * published when we last fetched it, 0 where it published none (Mastodon's own answer then).
 */
export function remoteAccount(
  config: Config,
  actor: Pick<
    RemoteActor,
    | "id"
    | "uri"
    | "handle"
    | "name"
    | "summaryHtml"
    | "url"
    | "iconUrl"
    | "type"
    | "goneAt"
    | "followersCount"
    | "followingCount"
    | "statusesCount"
  >,
): MastodonAccount {
  const handle = actor.handle ?? actor.uri;
  const username = actor.handle ? actor.handle.split("@")[0]! : actor.uri;
  // No icon: the generated avatar of a name, as local users without one get.
  const avatar =
    actor.iconUrl ??
    avatarUrl(config, username.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 30) || "remote");
  const header = headerImageUrl(config);
  return {
    id: String(actor.id),
    username,
    acct: handle,
    display_name: actor.name,
    locked: false,
    bot: actor.type === "Service" || actor.type === "Application",
    discoverable: true,
    indexable: false,
    group: actor.type === "Group",
    noindex: false,
    // Remote actor ids are time ids: the day we first stored the actor.
    created_at: dayOf(new Date(Number(actor.id >> 16n))),
    note: actor.summaryHtml,
    url: actor.url ?? actor.uri,
    uri: actor.uri,
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: actor.followersCount ?? 0,
    following_count: actor.followingCount ?? 0,
    statuses_count: actor.statusesCount ?? 0,
    last_status_at: null,
    hide_collections: false,
    emojis: [],
    fields: [],
    roles: [],
  };
}

/** The Account of a status's author (local stats given by the caller, remote ones as cached). */
export function authorAccount(
  config: Config,
  author: StatusAuthor,
  stats: AccountStats,
): MastodonAccount {
  if (author.userId !== null)
    return localAccount(
      config,
      {
        id: author.userId,
        username: author.username,
        displayName: author.name === author.username ? "" : author.name,
        bio: author.note,
        createdAt: author.createdAt,
      },
      stats,
    );
  return remoteAccount(config, {
    id: author.remoteActorId ?? 0n,
    uri: author.uri,
    handle: author.handle === author.uri ? null : author.handle,
    name: author.name,
    summaryHtml: author.note,
    url: author.url,
    iconUrl: author.iconUrl,
    type: author.bot ? "Service" : "Person",
    goneAt: null,
    followersCount: author.remoteCounts?.followers ?? null,
    followingCount: author.remoteCounts?.following ?? null,
    statusesCount: author.remoteCounts?.statuses ?? null,
  });
}

/**
 * The CredentialAccount of `verify_credentials`: the account plus `source` (what the settings
 * form edits) and `role`. A token with only the `profile` scope gets neither (Mastodon 4.3).
 */
export function credentialAccount(
  config: Config,
  user: User,
  stats: AccountStats,
  preferences: Preferences,
  options: { profileOnly: boolean },
) {
  const account = localAccount(config, user, stats);
  if (options.profileOnly) return account;
  return {
    ...account,
    source: {
      privacy: POST_VISIBILITY,
      sensitive: preferences.sensitive,
      language: preferences.language,
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
