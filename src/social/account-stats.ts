import { type SQL, sql } from "drizzle-orm";
import { type Db, preparedRows } from "../db/client.ts";

/** What a profile counts (Mastodon's Account entity shows these). */
export interface AccountStats {
  followers: number;
  following: number;
  statuses: number;
  lastStatusAt: Date | null;
}

/** The counts of `accountStatsQuery`, int8 as text. */
export interface AccountStatsRow {
  followers: string;
  following: string;
  statuses: string;
  last_status_at: string | null;
}

/**
 * The counts of the local user `user` (an int8 expression) as a one-row subquery with the
 * columns of an `AccountStatsRow`: here, and as a lateral of the star's statement, which answers
 * the whole Status (src/flattr/star-batch.ts). The live posts and the newest one's time are read
 * by one scan of the user's posts, not two (docs/adr/0039).
 */
export function accountStatsQuery(user: SQL): SQL {
  return sql`(select (select count(*) from followers where user_id = ${user})::text as followers,
          (select count(*) from following
            where user_id = ${user} and accepted_at is not null)::text as following,
          count(*)::text as statuses,
          (extract(epoch from max(published_at)) * 1000)::int8::text as last_status_at
     from statuses where user_id = ${user} and deleted_at is null)`;
}

/** The stats of an `AccountStatsRow` (none: zeros). */
export function accountStatsOf(row: AccountStatsRow | undefined): AccountStats {
  return {
    followers: Number(row?.followers ?? 0),
    following: Number(row?.following ?? 0),
    statuses: Number(row?.statuses ?? 0),
    lastStatusAt: row?.last_status_at ? new Date(Number(row.last_status_at)) : null,
  };
}

/** Followers, accepted follows, live posts and the newest post's time of a local user. */
export async function accountStats(db: Db, userId: number): Promise<AccountStats> {
  const [row] = await preparedRows<AccountStatsRow & Record<string, unknown>>(
    db,
    "account_stats",
    sql`select st.* from ${accountStatsQuery(sql`${userId}::int8`)} st`,
  );
  return accountStatsOf(row);
}
