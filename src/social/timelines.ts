import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import { profileUrl } from "../config/urls.ts";
import { type Db, queryRows } from "../db/client.ts";

/*
 * Timelines: statuses (local posts and remote notes, one table) as a person reads them. Ids
 * sort by publication time (src/db/ids.ts), so pages are id ranges, as in Mastodon's API:
 * `maxId` (older than, exclusive) and `minId` (newer than, exclusive), newest first.
 */

export interface TimelineEntry {
  id: bigint;
  uri: string;
  /** The HTML page of the status (ours or its server's). */
  url: string;
  author: {
    /** The local user, or null for a remote author. */
    userId: number | null;
    remoteActorId: bigint | null;
    /** `user@host` (no leading @). */
    handle: string;
    name: string;
    /** The author's HTML profile. */
    url: string;
  };
  /** Sanitised HTML (ours rendered from plain text, remote cleaned on the way in). */
  contentHtml: string;
  summary: string;
  inReplyToUri: string | null;
  visibility: string;
  publishedAt: Date;
  editedAt: Date | null;
  thingId: number | null;
}

export interface TimelinePage {
  maxId?: bigint | null;
  minId?: bigint | null;
  limit: number;
}

type Row = {
  id: string;
  uri: string;
  url: string | null;
  user_id: string | null;
  remote_actor_id: string | null;
  username: string | null;
  display_name: string | null;
  handle: string | null;
  remote_name: string | null;
  remote_url: string | null;
  remote_uri: string | null;
  content_html: string;
  summary: string;
  in_reply_to_uri: string | null;
  visibility: string;
  published_at: Date | string;
  edited_at: Date | string | null;
  thing_id: string | null;
};

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

function toEntry(config: Config, r: Row): TimelineEntry {
  const local = r.username !== null;
  return {
    id: BigInt(r.id),
    uri: r.uri,
    url: r.url ?? r.uri,
    author: local
      ? {
          userId: Number(r.user_id),
          remoteActorId: null,
          handle: `${r.username}@${config.origin.host}`,
          name: r.display_name || r.username!,
          url: profileUrl(config, r.username!),
        }
      : {
          userId: null,
          remoteActorId: r.remote_actor_id === null ? null : BigInt(r.remote_actor_id),
          handle: r.handle ?? r.remote_uri ?? "",
          name: r.remote_name || r.handle || r.remote_uri || "",
          url: r.remote_url ?? r.remote_uri ?? "",
        },
    contentHtml: r.content_html,
    summary: r.summary,
    inReplyToUri: r.in_reply_to_uri,
    visibility: r.visibility,
    publishedAt: date(r.published_at),
    editedAt: r.edited_at === null ? null : date(r.edited_at),
    thingId: r.thing_id === null ? null : Number(r.thing_id),
  };
}

/**
 * A user's home timeline: their own posts and the live statuses of everyone they follow (local
 * users and remote actors whose follow was accepted), public, unlisted or followers-only.
 * Direct messages and mentions belong to notifications, not here.
 */
export async function homeTimeline(
  db: Db,
  config: Config,
  userId: number,
  page: TimelinePage,
): Promise<TimelineEntry[]> {
  const limit = Math.max(1, Math.min(page.limit, 100));
  const rows = await queryRows<Row>(
    db,
    sql`with followed as (
          select target_user_id, remote_actor_id from following
           where user_id = ${userId} and accepted_at is not null
        )
        select s.id::text as id, s.uri, s.url, s.user_id::text as user_id,
               s.remote_actor_id::text as remote_actor_id, u.username, u.display_name,
               ra.handle, ra.name as remote_name, ra.url as remote_url, ra.uri as remote_uri,
               s.content_html, s.summary, s.in_reply_to_uri, s.visibility, s.published_at,
               s.edited_at, s.thing_id::text as thing_id
          from statuses s
          left join users u on u.id = s.user_id
          left join remote_actors ra on ra.id = s.remote_actor_id
         where s.deleted_at is null
           and s.visibility in ('public', 'unlisted', 'private')
           and (s.user_id = ${userId}
                or s.user_id in (select target_user_id from followed where target_user_id is not null)
                or s.remote_actor_id in (select remote_actor_id from followed
                                          where remote_actor_id is not null))
           ${page.maxId != null ? sql`and s.id < ${page.maxId}` : sql``}
           ${page.minId != null ? sql`and s.id > ${page.minId}` : sql``}
         order by s.id desc
         limit ${limit}`,
  );
  return rows.map((r) => toEntry(config, r));
}
