import { sql } from "drizzle-orm";
import type { Clock } from "../config/clock.ts";
import type { Config } from "../config/config.ts";
import { type Db, preparedRows, queryRows } from "../db/client.ts";
import { currentPeriod } from "./current-period.ts";

/*
 * What a status's star shows in a Mastodon app (favourite = flattr): how often its thing was
 * flattred, in every period, here and from other servers, plus the plain favourites (Likes
 * without money) it received; and whether the viewer flattred it in the open period, so that a
 * star can be given again next month, as Flattr allowed. Withdrawn flattrs do not count. The count
 * is the database's star_count() (src/db/sql/star-functions.sql), which the star's own statement
 * also answers.
 */

export interface StarFacts {
  /** Active flattrs (here and incoming) of all periods plus active plain favourites. */
  count: number;
  /** The viewer has an active flattr of the thing in the current period. */
  flattred: boolean;
}

export const NO_STARS: StarFacts = { count: 0, flattred: false };

/** The star facts of these things for `viewerId` (null: nobody signed in), by thing id. */
export async function starFacts(
  db: Db,
  clock: Clock,
  config: Config,
  viewerId: number | null,
  thingIds: readonly number[],
): Promise<Map<number, StarFacts>> {
  const out = new Map<number, StarFacts>();
  const ids = [...new Set(thingIds)];
  if (ids.length === 0) return out;
  const period = currentPeriod(clock, config);
  // Prepared per list length (the text depends only on it): every star answer reads this.
  const rows = await preparedRows<{ id: string; n: string; mine: boolean }>(
    db,
    `star_facts_${ids.length}`,
    sql`select t.id::text as id, star_count(t.id)::text as n,
               exists (select 1 from flattrs f
                        where f.thing_id = t.id and f.payer_id = ${viewerId ?? 0}::int8
                          and f.period = ${period}::text and f.withdrawn_at is null) as mine
          from unnest(array[${sql.join(
            ids.map((id) => sql`${id}::int8`),
            sql`, `,
          )}]) as t(id)`,
  );
  for (const r of rows) out.set(Number(r.id), { count: Number(r.n), flattred: r.mine === true });
  return out;
}

/** Who flattred or favourited a thing (Mastodon's favourited_by): local users, remote actors. */
export interface Flattrers {
  userIds: number[];
  remoteActorIds: bigint[];
}

/**
 * The accounts with an active flattr (any period) or plain favourite of the thing, newest first,
 * each once, at most `limit`.
 */
export async function flattrersOf(db: Db, thingId: number, limit: number): Promise<Flattrers> {
  const rows = await queryRows<{ user_id: string | null; remote_actor_id: string | null }>(
    db,
    sql`select user_id, remote_actor_id from (
          select f.payer_id::text as user_id, null::text as remote_actor_id, max(f.created_at) as at
            from flattrs f where f.thing_id = ${thingId}::int8 and f.withdrawn_at is null
           group by f.payer_id
          union all
          select null, x.remote_actor_id::text, max(x.at) from (
            select remote_actor_id, received_at as at from incoming_flattrs
             where thing_id = ${thingId}::int8 and withdrawn_at is null
            union all
            select remote_actor_id, created_at from favourites
             where thing_id = ${thingId}::int8 and withdrawn_at is null) x
           group by x.remote_actor_id) a
        order by at desc
        limit ${Math.max(1, Math.min(limit, 80))}`,
  );
  return {
    userIds: rows.filter((r) => r.user_id !== null).map((r) => Number(r.user_id)),
    remoteActorIds: rows
      .filter((r) => r.remote_actor_id !== null)
      .map((r) => BigInt(r.remote_actor_id!)),
  };
}

/** A flattr of a status, for the payer's list of favourites (Mastodon's `/api/v1/favourites`). */
export interface FlattredStatus {
  /** The flattr's id: what the list pages by. */
  flattrId: number;
  statusId: bigint;
}

/**
 * The statuses a payer flattred, newest flattr first, across periods (active flattrs of live
 * statuses), paged by flattr id: older than `maxId`, newer than `minId` / `sinceId`.
 */
export async function flattredStatuses(
  db: Db,
  payerId: number,
  page: { maxId?: bigint; minId?: bigint; sinceId?: bigint; limit: number },
): Promise<FlattredStatus[]> {
  const limit = Math.max(1, Math.min(page.limit, 80));
  const oldestFirst = page.minId !== undefined;
  const rows = await queryRows<{ id: string; status_id: string }>(
    db,
    sql`select f.id::text as id, s.id::text as status_id
          from flattrs f join statuses s on s.thing_id = f.thing_id
         where f.payer_id = ${payerId}::int8 and f.withdrawn_at is null and s.deleted_at is null
           ${page.maxId !== undefined ? sql`and f.id < ${page.maxId}::int8` : sql``}
           ${page.minId !== undefined ? sql`and f.id > ${page.minId}::int8` : sql``}
           ${page.sinceId !== undefined ? sql`and f.id > ${page.sinceId}::int8` : sql``}
         order by f.id ${oldestFirst ? sql`asc` : sql`desc`}
         limit ${limit}`,
  );
  const list = rows.map((r) => ({ flattrId: Number(r.id), statusId: BigInt(r.status_id) }));
  return oldestFirst ? list.reverse() : list;
}
