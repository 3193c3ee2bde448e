import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/** What the instance counts publicly (Mastodon's instance entity, NodeInfo). */
export interface InstanceStats {
  users: number;
  localStatuses: number;
  /** Other servers we know actors of. */
  domains: number;
}

export async function instanceStats(db: Db): Promise<InstanceStats> {
  const [row] = await queryRows<{ users: string; statuses: string; domains: string }>(
    db,
    sql`select (select count(*) from users)::text as users,
               (select count(*) from statuses
                 where user_id is not null and deleted_at is null)::text as statuses,
               (select count(distinct host) from remote_actors)::text as domains`,
  );
  return {
    users: Number(row?.users ?? 0),
    localStatuses: Number(row?.statuses ?? 0),
    domains: Number(row?.domains ?? 0),
  };
}
