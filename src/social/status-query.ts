import { type SQL, sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { actorUrl, profileUrl } from "../config/urls.ts";
import { type Db, preparedRows, queryRows } from "../db/client.ts";
import type { RemoteActorCounts } from "./remote-actors.ts";

export {
  type MentionRow,
  mentionOf,
  mentionsJson,
  mentionsOf,
  type StatusMention,
} from "./status-mentions.ts";

/*
 * Statuses (local posts and remote notes, one table) as readers see them, with their authors:
 * the one query behind timelines, threads and single statuses (the web pages and the Mastodon
 * API). Ids sort by publication time (src/db/ids.ts), so pages are id ranges.
 */

export interface StatusAuthor {
  /** The local user, or null for a remote author. */
  userId: number | null;
  remoteActorId: bigint | null;
  /** Local users: their username; remote actors: the part of the handle before the @. */
  username: string;
  /** `user@host` (no leading @). */
  handle: string;
  name: string;
  /** The author's HTML profile. */
  url: string;
  /** The author's ActivityPub id. */
  uri: string;
  /** Remote actors: their icon, if any (local avatars are built from the username). */
  iconUrl: string | null;
  /** Local: the bio as typed (plain text); remote: sanitised HTML (`noteIsHtml`). */
  note: string;
  noteIsHtml: boolean;
  /** Local: when the account was created; remote: when we first stored the actor. */
  createdAt: Date;
  bot: boolean;
  /** Remote actors: the totals their server published (null: unknown); local: null. */
  remoteCounts: RemoteActorCounts | null;
}

export interface TimelineEntry {
  id: bigint;
  uri: string;
  /** The HTML page of the status (ours or its server's). */
  url: string;
  author: StatusAuthor;
  /** Sanitised HTML (ours rendered from plain text, remote cleaned on the way in). */
  contentHtml: string;
  /** Local posts: the text as typed; null for remote notes. */
  contentSource: string | null;
  summary: string;
  inReplyToUri: string | null;
  /** The status answered, when we store it. */
  inReplyToId: bigint | null;
  /** Its author: a local user id or a remote actor id (Mastodon's in_reply_to_account_id). */
  inReplyToAuthorId: string | null;
  visibility: string;
  publishedAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  thingId: number | null;
  /** Live answers to it that we store (by the indexed in_reply_to_uri: a reply names its parent so). */
  repliesCount: number;
}

export interface TimelinePage {
  maxId?: bigint | null;
  minId?: bigint | null;
  /** Newer than, but the newest page (Mastodon's since_id). */
  sinceId?: bigint | null;
  limit: number;
}

/** A status row as `statusColumns` read it (from a driver, or from JSON: dates may be text). */
export type StatusRow = {
  id: string;
  uri: string;
  url: string | null;
  user_id: string | null;
  remote_actor_id: string | null;
  username: string | null;
  display_name: string | null;
  bio: string | null;
  user_created_at: Date | string | null;
  handle: string | null;
  remote_name: string | null;
  remote_url: string | null;
  remote_uri: string | null;
  remote_type: string | null;
  icon_url: string | null;
  summary_html: string | null;
  remote_created_at: string | null;
  followers_count: number | null;
  following_count: number | null;
  statuses_count: number | null;
  content_html: string;
  content_source: string | null;
  summary: string;
  in_reply_to_uri: string | null;
  in_reply_to_id: string | null;
  parent_user_id: string | null;
  parent_remote_actor_id: string | null;
  visibility: string;
  published_at: Date | string;
  edited_at: Date | string | null;
  deleted_at: Date | string | null;
  thing_id: string | null;
  replies_count: string;
};

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null) => (v === null ? null : date(v));

function remoteAuthor(r: StatusRow): StatusAuthor {
  const uri = r.remote_uri ?? "";
  const handle = r.handle ?? uri;
  return {
    userId: null,
    remoteActorId: r.remote_actor_id === null ? null : BigInt(r.remote_actor_id),
    username: r.handle ? r.handle.split("@")[0]! : uri,
    handle,
    name: r.remote_name || r.handle || uri,
    url: r.remote_url ?? uri,
    uri,
    iconUrl: r.icon_url,
    note: r.summary_html ?? "",
    noteIsHtml: true,
    // remote_actors ids are time ids: the time we first stored the actor.
    createdAt: r.remote_created_at ? new Date(Number(r.remote_created_at)) : new Date(0),
    bot: r.remote_type === "Service" || r.remote_type === "Application",
    remoteCounts: {
      followers: r.followers_count === null ? null : Number(r.followers_count),
      following: r.following_count === null ? null : Number(r.following_count),
      statuses: r.statuses_count === null ? null : Number(r.statuses_count),
    },
  };
}

/** The entry of a status row. */
export function toEntry(config: Config, r: StatusRow): TimelineEntry {
  const author: StatusAuthor =
    r.username !== null
      ? {
          userId: Number(r.user_id),
          remoteActorId: null,
          username: r.username,
          handle: `${r.username}@${config.origin.host}`,
          name: r.display_name || r.username,
          url: profileUrl(config, r.username),
          uri: actorUrl(config, r.username),
          iconUrl: null,
          note: r.bio ?? "",
          noteIsHtml: false,
          createdAt: date(r.user_created_at ?? new Date(0)),
          bot: false,
          remoteCounts: null,
        }
      : remoteAuthor(r);
  return {
    id: BigInt(r.id),
    uri: r.uri,
    url: r.url ?? r.uri,
    author,
    contentHtml: r.content_html,
    contentSource: r.content_source,
    summary: r.summary,
    inReplyToUri: r.in_reply_to_uri,
    inReplyToId: r.in_reply_to_id === null ? null : BigInt(r.in_reply_to_id),
    inReplyToAuthorId: r.parent_user_id ?? r.parent_remote_actor_id,
    visibility: r.visibility,
    publishedAt: date(r.published_at),
    editedAt: dateOrNull(r.edited_at),
    deletedAt: dateOrNull(r.deleted_at),
    thingId: r.thing_id === null ? null : Number(r.thing_id),
    repliesCount: Number(r.replies_count),
  };
}

/**
 * The columns of a status with its author (a `Row`), from `statusJoins`: the one select list of
 * every status read, also the star's answer (src/flattr/star-batch.ts), which reads it as JSON.
 */
export const statusColumns = sql.raw(`s.id::text as id, s.uri, s.url, s.user_id::text as user_id,
               s.remote_actor_id::text as remote_actor_id, u.username, u.display_name, u.bio,
               u.created_at as user_created_at, ra.handle, ra.name as remote_name,
               ra.url as remote_url, ra.uri as remote_uri, ra.type as remote_type, ra.icon_url,
               ra.summary_html, (ra.id >> 16)::text as remote_created_at,
               ra.followers_count, ra.following_count, ra.statuses_count,
               s.content_html, s.content_source, s.summary, s.in_reply_to_uri,
               s.in_reply_to_id::text as in_reply_to_id, p.user_id::text as parent_user_id,
               p.remote_actor_id::text as parent_remote_actor_id, s.visibility, s.published_at,
               s.edited_at, s.deleted_at, s.thing_id::text as thing_id,
               (select count(*) from statuses c
                 where c.in_reply_to_uri = s.uri and c.deleted_at is null)::text as replies_count`);

/** `statuses s` with its author (local `u` or remote `ra`) and the status it answers (`p`). */
export const statusJoins = sql.raw(`statuses s
          left join users u on u.id = s.user_id
          left join remote_actors ra on ra.id = s.remote_actor_id
          left join statuses p on p.id = s.in_reply_to_id`);

/**
 * Whether the viewer (a local user, or nobody) may read status `s`: public and unlisted ones
 * always; followers-only ones their author, the author's accepted followers and the accounts it
 * mentions; direct ones their author and the accounts they mention. The star's statement
 * (favourite_request in src/db/sql/star-functions.sql) spells the same test for one status.
 */
export function visibleTo(viewerId: number | null): SQL {
  if (viewerId === null) return sql`s.visibility in ('public', 'unlisted')`;
  return sql`(s.visibility in ('public', 'unlisted')
    or s.user_id = ${viewerId}::int8
    or exists (select 1 from status_mentions m where m.status_id = s.id and m.user_id = ${viewerId}::int8)
    or (s.visibility = 'private' and exists (
          select 1 from following f
           where f.user_id = ${viewerId}::int8 and f.accepted_at is not null
             and (f.target_user_id = s.user_id or f.remote_actor_id = s.remote_actor_id))))`;
}

/** The page bounds of `page` as conditions on `s.id` (each starting with `and`). */
export function pageBounds(page: TimelinePage): SQL {
  return sql`${page.maxId != null ? sql`and s.id < ${page.maxId}::int8` : sql``}
    ${page.minId != null ? sql`and s.id > ${page.minId}::int8` : sql``}
    ${page.sinceId != null ? sql`and s.id > ${page.sinceId}::int8` : sql``}`;
}

/**
 * Statuses matching `where` (conditions on `s`, the statuses row), ordered by `order` (default:
 * newest first), at most `limit` of them. A `min_id` page is the oldest ones newer than it,
 * still answered newest first, as Mastodon does.
 */
export async function selectStatuses(
  db: Db,
  config: Config,
  where: SQL,
  options: {
    limit: number;
    oldestFirst?: boolean;
    order?: SQL;
    /**
     * Hot reads whose text never changes (a status by id): a prepared statement of this name,
     * parsed and planned once per connection instead of every time.
     */
    prepared?: string;
  },
): Promise<TimelineEntry[]> {
  const limit = Math.max(1, Math.min(options.limit, 200));
  const order = options.order ?? (options.oldestFirst ? sql`s.id asc` : sql`s.id desc`);
  const run = (q: SQL) =>
    options.prepared
      ? preparedRows<StatusRow>(db, options.prepared, q)
      : queryRows<StatusRow>(db, q);
  const rows = await run(
    sql`select ${statusColumns}
          from ${statusJoins}
         where ${where}
         order by ${order}
         limit ${limit}`,
  );
  const entries = rows.map((r) => toEntry(config, r));
  return options.oldestFirst ? entries.reverse() : entries;
}
