import { type SQL, sql } from "drizzle-orm";
import { type Db, preparedRows } from "../db/client.ts";

/** What a profile counts (Mastodon's Account entity shows these). */
export interface AccountStats {
  followers: number;
  following: number;
  statuses: number;
  lastStatusAt: Date | null;
}

/** The counts of `accountStatsColumns`, int8 as text. */
export interface AccountStatsRow {
  followers: string;
  following: string;
  statuses: string;
  last_status_at: string | null;
}

/**
 * The counts of the local user `user` (an int8 expression) as the columns of an
 * `AccountStatsRow`: here, and in the star's statement, which answers the whole Status
 * (src/flattr/star-batch.ts).
 */
export function accountStatsColumns(user: SQL): SQL {
  return sql`(select count(*) from followers where user_id = ${user})::text as followers,
          (select count(*) from following
            where user_id = ${user} and accepted_at is not null)::text as following,
          (select count(*) from statuses
            where user_id = ${user} and deleted_at is null)::text as statuses,
          (select (extract(epoch from max(published_at)) * 1000)::int8::text from statuses
            where user_id = ${user} and deleted_at is null) as last_status_at`;
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
    sql`select ${accountStatsColumns(sql`${userId}::int8`)}`,
  );
  return accountStatsOf(row);
}
