import { sql } from "drizzle-orm";
import { type Db, preparedRows } from "../db/client.ts";

/** What a profile counts (Mastodon's Account entity shows these). */
export interface AccountStats {
  followers: number;
  following: number;
  statuses: number;
  lastStatusAt: Date | null;
}

/** Followers, accepted follows, live posts and the newest post's time of a local user. */
export async function accountStats(db: Db, userId: number): Promise<AccountStats> {
  const [row] = await preparedRows<{
    followers: string;
    following: string;
    statuses: string;
    last_status_at: string | null;
  }>(
    db,
    "account_stats",
    sql`select
          (select count(*) from followers where user_id = ${userId}::int8)::text as followers,
          (select count(*) from following
            where user_id = ${userId}::int8 and accepted_at is not null)::text as following,
          (select count(*) from statuses
            where user_id = ${userId}::int8 and deleted_at is null)::text as statuses,
          (select (extract(epoch from max(published_at)) * 1000)::int8::text from statuses
            where user_id = ${userId}::int8 and deleted_at is null) as last_status_at`,
  );
  return {
    followers: Number(row?.followers ?? 0),
    following: Number(row?.following ?? 0),
    statuses: Number(row?.statuses ?? 0),
    lastStatusAt: row?.last_status_at ? new Date(Number(row.last_status_at)) : null,
  };
}
