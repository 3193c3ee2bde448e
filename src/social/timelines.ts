import { sql } from "drizzle-orm";
import type { Config } from "../config/config.ts";
import type { Db } from "../db/client.ts";
import {
  pageBounds,
  selectStatuses,
  type TimelineEntry,
  type TimelinePage,
  visibleTo,
} from "./status-query.ts";

export type {
  StatusAuthor,
  StatusMention,
  TimelineEntry,
  TimelinePage,
} from "./status-query.ts";
export { mentionsOf } from "./status-query.ts";

/*
 * Timelines: statuses (local posts and remote notes, one table) as a person reads them. Ids
 * sort by publication time (src/db/ids.ts), so pages are id ranges, as in Mastodon's API:
 * `maxId` (older than, exclusive) and `minId` (newer than, exclusive), newest first.
 */

const page = (p: TimelinePage) => ({ limit: p.limit, oldestFirst: p.minId != null });

/**
 * A user's home timeline: their own posts and the live statuses of everyone they follow (local
 * users and remote actors whose follow was accepted), public, unlisted or followers-only.
 * Direct messages and mentions belong to notifications, not here.
 */
export async function homeTimeline(
  db: Db,
  config: Config,
  userId: number,
  p: TimelinePage,
): Promise<TimelineEntry[]> {
  return selectStatuses(
    db,
    config,
    sql`s.deleted_at is null
        and s.visibility in ('public', 'unlisted', 'private')
        and (s.user_id = ${userId}::int8
             or s.user_id in (select target_user_id from following
                               where user_id = ${userId}::int8 and accepted_at is not null
                                 and target_user_id is not null)
             or s.remote_actor_id in (select remote_actor_id from following
                                       where user_id = ${userId}::int8 and accepted_at is not null
                                         and remote_actor_id is not null))
        ${pageBounds(p)}`,
    page(p),
  );
}

/**
 * The public timeline: live public statuses, only local posts with `local`, only remote notes
 * with `remote` (Mastodon's `local` and `remote` parameters).
 */
export async function publicTimeline(
  db: Db,
  config: Config,
  options: { local?: boolean; remote?: boolean },
  p: TimelinePage,
): Promise<TimelineEntry[]> {
  return selectStatuses(
    db,
    config,
    sql`s.deleted_at is null and s.visibility = 'public'
        ${options.local ? sql`and s.user_id is not null` : sql``}
        ${options.remote ? sql`and s.remote_actor_id is not null` : sql``}
        ${pageBounds(p)}`,
    page(p),
  );
}

/** An account's live statuses the viewer may read, newest first (a profile's posts). */
export async function statusesByAuthor(
  db: Db,
  config: Config,
  author: { userId: number } | { remoteActorId: bigint },
  viewerId: number | null,
  p: TimelinePage & { excludeReplies?: boolean },
): Promise<TimelineEntry[]> {
  const by =
    "userId" in author
      ? sql`s.user_id = ${author.userId}::int8`
      : sql`s.remote_actor_id = ${author.remoteActorId}::int8`;
  return selectStatuses(
    db,
    config,
    sql`${by} and s.deleted_at is null and ${visibleTo(viewerId)}
        ${p.excludeReplies ? sql`and s.in_reply_to_uri is null` : sql``}
        ${pageBounds(p)}`,
    page(p),
  );
}

/** These statuses, live and readable by the viewer, in no particular order. */
export async function statusesByIds(
  db: Db,
  config: Config,
  ids: readonly bigint[],
  viewerId: number | null,
): Promise<Map<bigint, TimelineEntry>> {
  const found = new Map<bigint, TimelineEntry>();
  if (ids.length === 0) return found;
  const rows = await selectStatuses(
    db,
    config,
    sql`s.id in (${sql.join(
      ids.map((id) => sql`${id}::int8`),
      sql`, `,
    )}) and s.deleted_at is null and ${visibleTo(viewerId)}`,
    {
      limit: ids.length,
      prepared:
        ids.length === 1 ? `status_by_id_${viewerId === null ? "anon" : "viewer"}` : undefined,
    },
  );
  for (const r of rows) found.set(r.id, r);
  return found;
}

/** One live status the viewer may read, or null. */
export async function statusById(
  db: Db,
  config: Config,
  id: bigint,
  viewerId: number | null,
): Promise<TimelineEntry | null> {
  return (await statusesByIds(db, config, [id], viewerId)).get(id) ?? null;
}

const THREAD_DEPTH = 40;

/**
 * A status's thread as Mastodon's `context` shows it: the statuses it answers (oldest first)
 * and the answers to it, depth first by time, each readable by the viewer and live.
 */
export async function threadOf(
  db: Db,
  config: Config,
  id: bigint,
  viewerId: number | null,
): Promise<{ ancestors: TimelineEntry[]; descendants: TimelineEntry[] }> {
  const ancestors = await selectStatuses(
    db,
    config,
    sql`s.id in (with recursive up(id, parent, depth) as (
                   select id, in_reply_to_id, 0 from statuses where id = ${id}::int8
                   union all
                   select p.id, p.in_reply_to_id, up.depth + 1
                     from statuses p join up on p.id = up.parent
                    where up.depth < ${THREAD_DEPTH})
                 select id from up where id <> ${id}::int8)
        and s.deleted_at is null and ${visibleTo(viewerId)}`,
    { limit: THREAD_DEPTH, order: sql`s.id asc` },
  );
  const descendants = await selectStatuses(
    db,
    config,
    sql`s.id in (with recursive down(id, uri, depth) as (
                   select id, uri, 0 from statuses where id = ${id}::int8
                   union all
                   select c.id, c.uri, down.depth + 1
                     from statuses c join down on c.in_reply_to_uri = down.uri
                    where down.depth < ${THREAD_DEPTH})
                 select id from down where id <> ${id}::int8)
        and s.deleted_at is null and ${visibleTo(viewerId)}`,
    { limit: 200, order: sql`s.id asc` },
  );
  return { ancestors, descendants };
}
